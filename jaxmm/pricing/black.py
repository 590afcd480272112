"""Black-76 and Black-Scholes: prices, Greeks, digitals, spreads and rules of thumb.

Numerics core (no pandas). With forward ``F``, strike ``K``, time to expiry ``t`` (years),
volatility ``sigma`` and discount factor ``D`` (the price of $1 paid at expiry)::

    s  = sigma sqrt(t)                          (total standard deviation)
    x  = ln(F / K),   d1 = x / s + s / 2,   d2 = d1 - s
    call = D (F N(d1) - K N(d2)),   put = D (K N(-d2) - F N(-d1))

**Tail accuracy.** The formula above loses every digit far out of the money (``N(d)``
near 1 in ``1 - N``, and ``F N(d1) - K N(d2)`` cancelling when both are tiny). Here the
out-of-the-money option is evaluated directly, through the normalised Black function
(Jäckel's notation, ``h = x/s``, ``t' = s/2``)::

    b(x, s) = e^{x/2} N(h + t') - e^{-x/2} N(h - t')       for x <= 0 (an OTM call),
    OTM price = D sqrt(F K) b(-|x|, s),
    ITM price = D * intrinsic + OTM price                  (put-call parity; no 1 - N),

and ``b`` is computed in one private routine (``_normalised_otm``) with Jäckel's four
regions: an asymptotic expansion (``h < -10``), a small-``s`` Taylor series, the plain
form where ``b`` is close to its maximum, and the scaled complementary error function
``erfcx`` elsewhere. Measured against 50-digit mpmath on a grid of one hour to 30 years,
vols 0.1% to 500% and prices down to 1e-300 of F, the relative error is at most 18 ulps
(4e-15) within 2 standard deviations of the money and at most ``5 eps kappa`` everywhere,
``kappa = 1 + h^2 + (s/2)^2`` (4e-13 at 37 sd): ``kappa`` is the conditioning of the price
itself to a one-ulp change of ``F``, ``K`` or ``sigma``, so the tail error is that of
rounding the inputs (``tests/test_black.py`` asserts the measured figures).

**Greeks by automatic differentiation.** The undiscounted price carries a custom JVP made
of its exact first partials, each evaluated directly (no ``1 - N``, no difference of
nearly equal terms)::

    dV/dF = +-N(+-d1),   dV/dK = -+N(+-d2),   dV/ds = F n(d1)      (call: upper signs)

so ``jax.grad`` / ``jax.jvp`` of ``price`` to any order is as accurate as the closed forms,
also in the tails, where differentiating the tail-stable value routine itself loses every
digit (its branches cancel in their derivatives; JAX's own ``erfcx`` derivative
``2 x erfcx(x) - 2/sqrt(pi)`` does). Every public Greek is such a derivative of ``price``
(or ``bs_price``), taken elementwise with ``jax.jvp`` on broadcast arrays; measured
against 50-digit mpmath each is as accurate as its closed form evaluated in float64
(``tests/test_black.py``), so none of them needs its analytic formula:

==============  ============================  ===========================================
delta           dV/dF                         call D N(d1), put -D N(-d1)
gamma           d2V/dF2                       D n(d1) / (F s)
vega            dV/dsigma (per unit of vol)   D F n(d1) sqrt(t)
theta           -dV/dt at fixed F and D       -D F n(d1) sigma / (2 sqrt(t))  (per year)
vanna           d2V/dF dsigma                 -D n(d1) d2 / sigma
volga           d2V/dsigma2                   vega d1 d2 / sigma
dual_delta      dV/dK                         call -D N(d2), put D N(-d2)
==============  ============================  ===========================================

Black-Scholes on a spot ``S`` with rate ``r`` and dividend yield ``q`` is Black-76 with
``F = S e^{(r-q) t}`` and ``D = e^{-r t}`` (``bs_price``); its Greeks (``bs_delta``,
``bs_gamma``, ``bs_theta``, ``bs_vega``, ``bs_rho``) differentiate ``bs_price``, so
``bs_theta`` lets the forward and the discount factor move with ``t``.

**Degenerate inputs** never give NaN, nor NaN gradients: where ``s == 0`` (zero vol or
zero time) or ``F <= 0`` or ``K <= 0`` the price is the discounted intrinsic value
``D max(+-(F - K), 0)``; its derivatives are those of the intrinsic value (delta 0 or
+-D, and +-D/2 exactly at the money, the ``s -> 0`` limit of ``N(+-d1)``; gamma, vega,
theta, vanna and volga 0).

Every function broadcasts its arguments (``is_call`` is a boolean array or scalar) and is
jit- and vmap-able; dtypes follow the inputs (float64 inputs give float64 results when
``jax_enable_x64`` is on, float32 inputs give float32).

References:
  F. Black, "The pricing of commodity contracts", J. Financial Economics 3 (1976) 167-179.
  P. Jäckel, "Let's be rational", Wilmott (2015) 40-53 (normalised Black, its regions).
  W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
  (1969) 631-637 (erfcx).

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> from jaxmm.pricing import black
    >>> float(black.price(100.0, 100.0, 1.0, 0.2, True))   # ATM: F (2 N(s/2) - 1)
    7.965567455405796
    >>> float(black.price(100.0, 110.0, 1.0 / 365, 0.2, True))   # 1 day, 10% OTM: ~9 sd
    5.106816901132674e-21
    >>> float(black.price(100.0, 130.0, 1.0 / 365, 0.2, True))   # 25 sd, to 1e-14 relative
    3.0426405124434964e-140
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from jaxmm._src.dtypes import float_inputs
from jaxmm.pricing.normalised_black import _gauss, _H_CLIP, normalised_black_otm


# ---------------------------------------------------------------------------------------
# The normalised Black function (jaxmm.pricing.normalised_black)


def _normalised_otm(x, s):
    """``b(x, s)`` for ``x <= 0``, all four of Jäckel's regions (value only)."""
    return normalised_black_otm(x, s)[0]


# ---------------------------------------------------------------------------------------
# Prices


@jax.custom_jvp
def _log_moneyness(forward, strike):
    """``ln(F/K)`` with an absolute error ~eps |ln(F/K)| (log1p near the money)."""
    # (XLA's log1p is off by up to ~30 ulps on -0.5 < u < -0.1: used on |u| < 0.1 only.)
    near = jnp.abs(forward - strike) < 0.1 * strike
    k_near = jnp.where(near, strike, forward)          # finite derivatives in either branch
    return jnp.where(near, jnp.log1p((forward - k_near) / k_near), jnp.log(forward / strike))


@_log_moneyness.defjvp
def _log_moneyness_jvp(primals, tangents):
    # d ln(F/K) = dF/F - dK/K (differentiating F/K would overflow for K ~ 1e-200).
    forward, strike = primals
    d_forward, d_strike = tangents
    return _log_moneyness(forward, strike), d_forward / forward - d_strike / strike


def _model(forward, strike, t, vol):
    """Safe operands and the mask ``ok`` where the model is not degenerate."""
    live = t > 0
    sd = jnp.where(live, vol * jnp.sqrt(jnp.where(live, t, 1.0)), 0.0)   # no sqrt'(0) = inf
    ok = (sd > 0) & (strike > 0) & (forward > 0)
    # jnp.where evaluates both sides (and their gradients): keep the masked side finite.
    one = jnp.ones_like(sd)
    return jnp.where(ok, forward, one), jnp.where(ok, strike, one), jnp.where(ok, sd, one), ok


def _time_value(f, k, s):
    """Undiscounted time value ``sqrt(F K) b(-|ln(F/K)|, s)`` (value only) and ``F > K``."""
    above = f > k
    x = _log_moneyness(f, k)
    return jnp.sqrt(f) * jnp.sqrt(k) * _normalised_otm(jnp.where(above, -x, x), s), above


@jax.custom_jvp
def _undiscounted(f, k, s, sign):
    """Undiscounted Black price ``intrinsic + time value`` for ``f, k, s > 0``; ``sign`` is
    +1 (call) or -1 (put). Its JVP uses the exact partials (``_undiscounted_jvp``)."""
    tv, _ = _time_value(f, k, s)
    return jnp.maximum(sign * (f - k), 0.0) + tv


@_undiscounted.defjvp
def _undiscounted_jvp(primals, tangents):
    # dV/dF = sign N(sign d1), dV/dK = -sign N(sign d2), dV/ds = F n(d1) = sqrt(F K) G(h, s/2):
    # each evaluated directly (no 1 - N, no difference of nearly equal terms), so they keep
    # their relative accuracy in the tails, and differentiating them again (gamma, vanna,
    # volga, ...) differentiates N and exp, whose derivatives JAX forms exactly.
    f, k, s, sign = primals
    df, dk, ds, _ = tangents
    h = jnp.clip(_log_moneyness(f, k) / s, -_H_CLIP, _H_CLIP)   # |h| > 40: n, N(<0) underflow
    t = 0.5 * s
    d_f = sign * ndtr(sign * (h + t))
    d_k = -sign * ndtr(sign * (h - t))
    d_s = jnp.sqrt(f) * jnp.sqrt(k) * _gauss(h, t)
    return _undiscounted(f, k, s, sign), d_f * df + d_k * dk + d_s * ds


@jax.jit
def price(forward, strike, t, vol, is_call, discount=1.0):
    """Black-76 price ``D E[(+-(F_T - K))^+]`` of a European call or put on a forward.

    ``call = D (F N(d1) - K N(d2))``, ``put = D (K N(-d2) - F N(-d1))``, evaluated as
    ``D (intrinsic + sqrt(F K) b(-|ln(F/K)|, sigma sqrt(t)))`` with the normalised Black
    function ``b`` (module docstring), so an out-of-the-money price keeps its relative
    accuracy however small it is. Discounted intrinsic value where ``sigma sqrt(t) == 0``
    or ``F <= 0`` or ``K <= 0``.

    Args:
      forward: forward price ``F``, shape broadcastable with the others.
      strike: strike ``K``.
      t: time to expiry in years.
      vol: Black volatility ``sigma`` (per unit, 0.2 = 20%).
      is_call: bool array or scalar (True: call, False: put).
      discount: discount factor ``D`` to expiry (default 1: undiscounted).
    Returns:
      Prices, the broadcast shape, the inputs' float dtype.

    Example::

      >>> from jaxmm.pricing import black
      >>> float(black.price(100.0, 90.0, 0.5, 0.25, False, 0.99))
      2.8127470872292686
    """
    forward, strike, t, vol, discount = float_inputs(forward, strike, t, vol, discount)
    f, k, s, ok = _model(forward, strike, t, vol)
    model = _undiscounted(f, k, s, jnp.where(is_call, 1.0, -1.0).astype(f.dtype))
    # Degenerate: max() puts half the slope on each side of F == K (JAX's rule for ties),
    # which is the s -> 0 limit of the delta N(+-d1) -> +-1/2 at the money.
    limit = jnp.where(is_call, jnp.maximum(forward - strike, 0.0), jnp.maximum(strike - forward, 0.0))
    return discount * jnp.where(ok, model, limit)


@jax.jit
def straddle(forward, strike, t, vol, discount=1.0):
    """Call plus put at the same strike: ``D (|F - K| + 2 sqrt(F K) b(-|x|, s))``.

    At the money (``K = F``) this is ``2 D F (2 N(s/2) - 1) = 2 D F erf(s / (2 sqrt 2))``.
    Shapes broadcast as in ``price``.
    """
    forward, strike, t, vol, discount = float_inputs(forward, strike, t, vol, discount)
    f, k, s, ok = _model(forward, strike, t, vol)
    tv, _ = _time_value(f, k, s)
    return discount * jnp.where(ok, jnp.abs(f - k) + 2.0 * tv, jnp.abs(forward - strike))


@jax.jit
def digital(forward, strike, t, vol, is_call, discount=1.0):
    """Cash-or-nothing digital paying 1 if ``F_T > K`` (call) or ``F_T < K`` (put).

    ``call = D N(d2)``, ``put = D N(-d2)`` (``= -dC/dK`` and ``dP/dK`` at a flat vol).
    Where ``s == 0``: ``D 1{+-(F - K) > 0}``, and ``D/2`` at ``F == K`` (the ``s -> 0``
    limit). Shapes broadcast as in ``price``.

    Example::

      >>> from jaxmm.pricing import black
      >>> float(black.digital(100.0, 100.0, 1.0, 0.2, True))   # N(-s/2)
      0.460172162722971
    """
    forward, strike, t, vol, discount = float_inputs(forward, strike, t, vol, discount)
    f, k, s, ok = _model(forward, strike, t, vol)
    d2 = _log_moneyness(f, k) / s - 0.5 * s
    model = ndtr(jnp.where(is_call, d2, -d2))
    up = jnp.where(is_call, forward > strike, forward < strike)
    limit = jnp.where(forward == strike, 0.5, jnp.where(up, 1.0, 0.0)).astype(model.dtype)
    return discount * jnp.where(ok, model, limit)


@jax.jit
def call_spread(forward, strike_low, strike_high, t, vol, discount=1.0, vol_high=None):
    """Call spread ``C(K1) - C(K2)``: long the call at ``strike_low``, short at ``strike_high``.

    ``vol`` prices the low strike and ``vol_high`` (default ``vol``) the high one. Bounds:
    ``0 <= spread <= D (K2 - K1)`` for ``K1 <= K2`` at one vol. Broadcast shape.
    """
    vol_high = vol if vol_high is None else vol_high
    return (price(forward, strike_low, t, vol, True, discount)
            - price(forward, strike_high, t, vol_high, True, discount))


@jax.jit
def tight_spread_digital(forward, strike, width, t, vol, discount=1.0):
    """The call spread approximation of a digital call: ``(C(K - w/2) - C(K + w/2)) / w``.

    A central difference of ``-dC/dK = D N(d2)``: at a flat vol,
    ``spread/w = D N(d2) - (w^2/24) d^3C/dK^3 + O(w^4)``, so it converges to ``digital``
    at ``O(w^2)`` (``tests/test_black.py`` checks the constant). This is how a prediction
    market contract ("pays $1 if F_T > K") is replicated with listed calls.

    Args:
      forward, strike, t, vol, discount: as in ``price``.
      width: distance ``w > 0`` between the two call strikes (same units as the strike).
    Returns:
      Price per unit of width, the broadcast shape.
    """
    return call_spread(forward, strike - 0.5 * width, strike + 0.5 * width, t, vol, discount) / width


# ---------------------------------------------------------------------------------------
# Rules of thumb


@jax.jit
def straddle_rule_of_thumb(forward, t, vol, discount=1.0):
    """Trader's ATM straddle ``0.8 D F sigma sqrt(t)``.

    Exact ATM (``K = F``) straddle: ``2 D F erf(s/(2 sqrt 2)) = D F s sqrt(2/pi)
    (1 - s^2/24 + s^4/640 - ...)``, so the rule's relative error is
    ``0.8 sqrt(pi/2) (1 + s^2/24 + O(s^4)) - 1 = 0.00266 + 0.0418 s^2 + O(s^4)``:
    below 1% for ``s < 0.41`` (0.8 stands for ``sqrt(2/pi) = 0.7979``). Broadcast shape.
    """
    forward, t, vol, discount = float_inputs(forward, t, vol, discount)
    return 0.8 * discount * forward * vol * jnp.sqrt(t)


@jax.jit
def atm_gamma_rule_of_thumb(forward, t, vol, discount=1.0):
    """Trader's ATM gamma of one option ``0.4 D / (F sigma sqrt(t))`` (a straddle: twice).

    Exact at ``K = F``: ``D n(s/2) / (F s) = D exp(-s^2/8) / (sqrt(2 pi) F s)``, so the
    rule's relative error is ``0.4 sqrt(2 pi) exp(s^2/8) - 1 = 0.00266 + 0.1253 s^2 +
    O(s^4)``: below 1% for ``s < 0.24``, 1.4% at ``s = 0.3``. (At the gamma-maximising
    strike ``K = F e^{s^2/2}``, ``d1 = 0`` and the error is the constant 0.27%.) With the
    straddle rule: straddle gamma ``~ 0.8/(F s) ~ 0.64 / straddle``. Broadcast shape.
    """
    forward, t, vol, discount = float_inputs(forward, t, vol, discount)
    return 0.4 * discount / (forward * vol * jnp.sqrt(t))


# ---------------------------------------------------------------------------------------
# Greeks: elementwise derivatives of the price by forward-mode autodiff


def _broadcast(*args):
    shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in args))
    return [jnp.broadcast_to(a, shape) for a in args]


def _partial(fn, args, i):
    """``d fn / d args[i]`` elementwise: ``fn`` maps broadcast arrays elementwise, so one
    JVP with a tangent of ones gives every element's own derivative."""
    def along(xi):
        return fn(*args[:i], xi, *args[i + 1:])
    return jax.jvp(along, (args[i],), (jnp.ones_like(args[i]),))[1]


def _derivative(fn, args, *argnums):
    """Mixed partial ``d^n fn / d args[argnums[0]] ... d args[argnums[-1]]``, elementwise."""
    if not argnums:
        return fn(*args)
    first, rest = argnums[0], argnums[1:]
    return _partial(lambda *a: _derivative(fn, a, *rest), list(args), first)


def _black_greek(args, is_call, *argnums):
    forward, strike, t, vol, discount = _broadcast(*float_inputs(*args))
    is_call = jnp.broadcast_to(is_call, forward.shape)
    return _derivative(lambda f, k, tt, v, d: price(f, k, tt, v, is_call, d),
                       (forward, strike, t, vol, discount), *argnums)


@jax.jit
def delta(forward, strike, t, vol, is_call, discount=1.0):
    """``dV/dF``: ``D N(d1)`` (call), ``-D N(-d1)`` (put); intrinsic slope where degenerate.

    Autodiff of ``price`` (exact partials of the normalised Black function). Args as in
    ``price``; returns the broadcast shape.
    """
    return _black_greek((forward, strike, t, vol, discount), is_call, 0)


@jax.jit
def gamma(forward, strike, t, vol, discount=1.0):
    """``d2V/dF2 = D n(d1) / (F sigma sqrt(t))`` (calls and puts alike); 0 where degenerate."""
    return _black_greek((forward, strike, t, vol, discount), True, 0, 0)


@jax.jit
def vega(forward, strike, t, vol, discount=1.0):
    """``dV/dsigma = D F n(d1) sqrt(t)`` per unit of vol (divide by 100 for per vol point)."""
    return _black_greek((forward, strike, t, vol, discount), True, 3)


@jax.jit
def theta(forward, strike, t, vol, discount=1.0):
    """``-dV/dt`` at fixed forward and discount factor, per year (divide by 365 per day).

    ``= -D F n(d1) sigma / (2 sqrt(t))``, the same for calls and puts (parity
    ``C - P = D (F - K)`` does not move with ``t`` at fixed ``F``, ``D``). It is the pure
    time decay of the vol; with ``D = e^{-r t}`` moving too add ``r V`` (the carry of the
    premium; ``bs_theta`` lets everything move). 0 where degenerate (the ``t -> 0`` limit
    is singular at the money).
    """
    return -_black_greek((forward, strike, t, vol, discount), True, 2)


@jax.jit
def vanna(forward, strike, t, vol, discount=1.0):
    """``d2V/dF dsigma = -D n(d1) d2 / sigma`` (calls and puts alike); 0 where degenerate."""
    return _black_greek((forward, strike, t, vol, discount), True, 0, 3)


@jax.jit
def volga(forward, strike, t, vol, discount=1.0):
    """``d2V/dsigma2 = vega d1 d2 / sigma`` (vomma; calls and puts alike); 0 where degenerate."""
    return _black_greek((forward, strike, t, vol, discount), True, 3, 3)


@jax.jit
def dual_delta(forward, strike, t, vol, is_call, discount=1.0):
    """``dV/dK``: ``-D N(d2)`` (call), ``D N(-d2)`` (put); minus the digital of the same side."""
    return _black_greek((forward, strike, t, vol, discount), is_call, 1)


# ---------------------------------------------------------------------------------------
# Black-Scholes on a spot with a continuous rate and dividend yield


@jax.jit
def bs_price(spot, strike, t, vol, is_call, rate=0.0, div_yield=0.0):
    """Black-Scholes(-Merton) price: Black-76 at ``F = S e^{(r-q)t}``, ``D = e^{-rt}``.

    ``call = S e^{-qt} N(d1) - K e^{-rt} N(d2)``, ``d1 = (ln(S/K) + (r - q + sigma^2/2) t)
    / (sigma sqrt(t))``. Args: ``spot`` ``S``, ``rate`` ``r`` and ``div_yield`` ``q``
    (continuously compounded, per year), the rest as in ``price``. Broadcast shape.

    Example::

      >>> from jaxmm.pricing import black
      >>> float(black.bs_price(100.0, 100.0, 1.0, 0.2, True, 0.05))   # Hull's 10.45
      10.450583572185574
    """
    spot, strike, t, vol, rate, div_yield = float_inputs(spot, strike, t, vol, rate, div_yield)
    return price(spot * jnp.exp((rate - div_yield) * t), strike, t, vol, is_call, jnp.exp(-rate * t))


def _bs_greek(args, is_call, *argnums):
    spot, strike, t, vol, rate, div_yield = _broadcast(*float_inputs(*args))
    is_call = jnp.broadcast_to(is_call, spot.shape)
    return _derivative(lambda s, k, tt, v, r, q: bs_price(s, k, tt, v, is_call, r, q),
                       (spot, strike, t, vol, rate, div_yield), *argnums)


@jax.jit
def bs_delta(spot, strike, t, vol, is_call, rate=0.0, div_yield=0.0):
    """``dV/dS``: ``e^{-qt} N(d1)`` (call), ``-e^{-qt} N(-d1)`` (put)."""
    return _bs_greek((spot, strike, t, vol, rate, div_yield), is_call, 0)


@jax.jit
def bs_gamma(spot, strike, t, vol, rate=0.0, div_yield=0.0):
    """``d2V/dS2 = e^{-qt} n(d1) / (S sigma sqrt(t))``."""
    return _bs_greek((spot, strike, t, vol, rate, div_yield), True, 0, 0)


@jax.jit
def bs_theta(spot, strike, t, vol, is_call, rate=0.0, div_yield=0.0):
    """``-dV/dt`` per year with the spot, ``r`` and ``q`` fixed (forward and discount move).

    Call: ``-S e^{-qt} n(d1) sigma / (2 sqrt(t)) + q S e^{-qt} N(d1) - r K e^{-rt} N(d2)``.
    """
    return -_bs_greek((spot, strike, t, vol, rate, div_yield), is_call, 2)


@jax.jit
def bs_vega(spot, strike, t, vol, rate=0.0, div_yield=0.0):
    """``dV/dsigma = S e^{-qt} n(d1) sqrt(t)`` per unit of vol."""
    return _bs_greek((spot, strike, t, vol, rate, div_yield), True, 3)


@jax.jit
def bs_rho(spot, strike, t, vol, is_call, rate=0.0, div_yield=0.0):
    """``dV/dr`` per unit of rate, the forward moving with ``r``: ``K t e^{-rt} N(d2)`` (call),
    ``-K t e^{-rt} N(-d2)`` (put)."""
    return _bs_greek((spot, strike, t, vol, rate, div_yield), is_call, 4)

