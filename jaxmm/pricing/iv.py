"""Implied volatility of Black-76 prices to machine precision, batched and branch-free.

The solver follows P. Jäckel, "Let's be rational", Wilmott (2015) 40-53 (LBR): every
option is mapped to an out-of-the-money call on the normalised Black function

    b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2),   x = ln(F/K) <= 0,  s = vol sqrt(t)

with normalised price ``beta = time value / sqrt(F K)``. An initial guess comes from
rational cubic interpolations between the points ``s_l < s_c < s_h`` around the inflection
point ``s_c = sqrt(2|x|)`` (in transformed coordinates at the two ends, where ``b`` is
exponentially flat), and a fixed number of third-order Householder steps on an objective
chosen per segment (``1/ln b`` in the lowest, ``b`` in the middle, ``ln(b_max - b)`` in
the highest) brings ``s`` to machine precision. All branches are evaluated for every option
and selected with ``jnp.where``, so the solver is one fused XLA program with no
data-dependent control flow (vmap-, jit- and GPU-friendly).

Where this differs from LBR, for accuracy on float64 inputs:

* The time value and the distance to the upper bound are formed in double-double
  arithmetic from the raw inputs (``price/D - (F - K)`` and ``F - price/D``), so a price
  within 1e-12 of intrinsic, or within a few ulps of ``D F``, keeps all its digits.
* ``x = ln(F/K)`` carries the rounding of ``F/K`` as a correction, so it is exact to an
  ulp of ``x`` also next to the money.
* The upper segment works on the complement ``b_max - b`` computed directly as a sum of
  positive terms, never as a difference (``jaxmm.pricing.normalised_black``).
* ``b`` is evaluated without Jäckel's asymptotic expansion: in its region (``h < -10``)
  the erfcx form loses up to ``|h|/s`` ulps of ``b``, but the lowest segment's objective
  divides that by ``d ln b / d ln s ~ h^2`` (the accuracy grid of tests/test_iv_accuracy.py
  holds 1e-12 without it), and it saves a 17th-order polynomial per evaluation.

Statuses are ``IVStatus`` codes (``int8``); anything but ``OK`` says why the vol is what it
is. ``implied_vol`` has a custom JVP from the implicit function theorem,
``d vol = (d price - dP/dF dF - dP/dK dK - dP/dt dt - dP/dD dD) / vega``.
"""

from __future__ import annotations

import enum
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtri

from jaxmm._src.dtypes import float_inputs, require_x64
from jaxmm.pricing import black
from jaxmm.pricing.normalised_black import erfcx, normalised_black_otm


class IVStatus(enum.IntEnum):
    """Status code of each implied vol (``int8`` arrays hold these values)."""

    OK = 0                 # converged to full accuracy
    BELOW_INTRINSIC = 1    # price < discounted intrinsic value: vol is NaN
    ABOVE_MAXIMUM = 2      # price > D*F (call) or D*K (put): vol is NaN
    AT_INTRINSIC = 3       # price == discounted intrinsic: vol is 0
    AT_MAXIMUM = 4         # price == the upper bound: vol is +inf
    BAD_INPUT = 5          # non-finite input, forward, strike, t or discount <= 0, or forward or strike
                           # above 2^996 (~6.7e299, the range of the double-double arithmetic): NaN
    NOT_CONVERGED = 6      # the last iteration step was above 1e-4 of the vol: vol is the last
                           # iterate (finite and > 0; NaN where it was not), not at full accuracy

    @property
    def label(self) -> str:
        """The status as output tables write it: the name in lower case (``"at_intrinsic"``)."""
        return self.name.lower()


HOUSEHOLDER_STEPS = 2
CPU_CHUNK = 8192      # options per chunk when a large batch is solved on the CPU
# Householder(3) converges quartically: a last step of relative size d leaves an error of
# about C d^4 (C ~ 2 where measured, e.g. d = 0.072 -> 4.3e-5), so d <= 1e-4 leaves less
# than an ulp; a larger last step means the budget was too short and is flagged.
_CONVERGED_STEP = 1e-4
# Largest forward, strike or undiscounted price the double-double helpers handle: the Veltkamp
# split multiplies by 2^27 + 1, which must not overflow (2^996 x 2^27 < 2^1024).
_DD_MAX = 2.0 ** 996

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / _SQRT_2PI
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SQRT_3 = math.sqrt(3.0)
_TWO_PI_OVER_SQRT_27 = 2.0 * math.pi / math.sqrt(27.0)
_R_MIN = -(1.0 - math.sqrt(2.220446049250313e-16))       # rational cubic control parameter bounds
_R_MAX = 2.0 / 2.220446049250313e-16 ** 2

# ---------------------------------------------------------------------------------------
# Normal tails


def _ndtr_lower(z):
    """N(z) for z <= 0 as exp(-z^2/2) erfcx(-z/sqrt2) / 2 (full relative accuracy in the tail)."""
    return 0.5 * jnp.exp(-0.5 * z * z) * erfcx(-_INV_SQRT_2 * z)


# ---------------------------------------------------------------------------------------
# Rational cubic interpolation (Delbourgo & Gregory 1985), as LBR uses it for the guess


def _rational_cubic(t, omt, h, y_l, y_r, d_l, d_r, r):
    """Interpolant at ``t = (x - x_l)/h`` (``omt = 1 - t`` given separately for accuracy)."""
    t2, omt2 = t * t, omt * omt
    cubic = ((y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt)
             / (1.0 + (r - 3.0) * t * omt))
    return jnp.where(r >= _R_MAX, y_r * t + y_l * omt, cubic)


def _min_control(d_l, d_r, secant, prefer_shape):
    """Smallest control parameter keeping the interpolant monotone/convex (D&G (3.8), (3.18))."""
    tiny = jnp.finfo(jnp.result_type(d_l)).tiny
    monotonic = (d_l * secant >= 0) & (d_r * secant >= 0)
    convex = (d_l <= secant) & (secant <= d_r)
    concave = (d_l >= secant) & (secant >= d_r)
    big = -jnp.finfo(jnp.result_type(d_l)).max
    r1 = jnp.where(monotonic & (jnp.abs(secant) >= tiny), (d_r + d_l) / secant,
                   jnp.where(monotonic & prefer_shape, _R_MAX, big))
    dr_dl, dr_s, s_dl = d_r - d_l, d_r - secant, secant - d_l
    finite_r2 = (jnp.abs(s_dl) >= tiny) & (jnp.abs(dr_s) >= tiny)
    r2_shape = jnp.maximum(jnp.abs(dr_dl / jnp.where(finite_r2, dr_s, 1.0)),
                           jnp.abs(dr_dl / jnp.where(finite_r2, s_dl, 1.0)))
    r2 = jnp.where(convex | concave, jnp.where(finite_r2, r2_shape, _R_MAX if prefer_shape else big),
                   jnp.where(monotonic & prefer_shape, _R_MAX, big))
    r = jnp.maximum(_R_MIN, jnp.maximum(r1, r2))
    return jnp.where(monotonic | convex | concave, r, _R_MIN)


def _control_fit(h, y_l, y_r, d_l, d_r, second, prefer_shape, at_left: bool):
    """Control parameter matching the second derivative at one end, made convex (LBR)."""
    tiny = jnp.finfo(jnp.result_type(h)).tiny
    secant = (y_r - y_l) / h
    numerator = 0.5 * h * second + (d_r - d_l)
    denominator = secant - d_l if at_left else d_r - secant
    r = jnp.where(jnp.abs(denominator) < tiny, jnp.where(numerator > 0, _R_MAX, _R_MIN),
                  numerator / jnp.where(jnp.abs(denominator) < tiny, 1.0, denominator))
    r = jnp.where(jnp.abs(numerator) < tiny, 0.0, r)
    return jnp.maximum(r, _min_control(d_l, d_r, secant, prefer_shape))


# ---------------------------------------------------------------------------------------
# Normalised implied vol: x <= 0, 0 < beta, 0 < c (c = b_max - beta, given exactly)

_LOWER, _MIDDLE, _UPPER = 0, 1, 2


def _initial_guess(beta, c, x):
    """LBR's four-segment guess ``s0`` with its bracket and the objective to iterate on."""
    ax = -x
    b_max = jnp.exp(0.5 * x)
    s_c = jnp.sqrt(2.0 * ax)
    at_money = ax <= 0
    # At s_c, h = -t and t^2 = |x|/2: b_c = e^{x/2} (1 - erfcx(sqrt|x|)) / 2, v_c = e^{x/2} / sqrt(2 pi)
    # (a short series where the difference would cancel; the guess needs no more).
    y = jnp.sqrt(ax)
    one_minus_erfcx = jnp.where(y < 1e-2, y * (2.0 * _INV_SQRT_PI + y * (-1.0 + y * (4.0 / 3.0 * _INV_SQRT_PI
                                                                              - 0.5 * y))), 1.0 - erfcx(y))
    b_c = 0.5 * b_max * one_minus_erfcx
    v_c = _INV_SQRT_2PI * b_max

    # Lowest segment (beta < b_l): interpolate the "lower map" f(beta) (LBR (4.3)-(4.7)),
    # whose inverse s(f) is explicit, between f(0) = 0 and f(b_l).
    # At the money s_c = s_l = 0: there is no lowest segment (b_l = 0).
    s_l = jnp.where(at_money, 0.0, jnp.maximum(s_c - b_c / v_c, 1e-300))
    s_l_safe = jnp.where(at_money, 1.0, s_l)
    b_l, _, v_l = normalised_black_otm(x, s_l_safe, asymptotic=False)
    b_l = jnp.where(at_money, 0.0, b_l)
    z = ax / (_SQRT_3 * s_l_safe)
    y = z * z
    phi_cdf = _ndtr_lower(-z)
    phi_pdf = _INV_SQRT_2PI * jnp.exp(-0.5 * y)
    s2 = s_l_safe * s_l_safe
    f_l = _TWO_PI_OVER_SQRT_27 * ax * phi_cdf ** 3
    fp_l = 2.0 * math.pi * y * phi_cdf ** 2 * jnp.exp(y + 0.125 * s2)
    fpp_l = (math.pi / 6.0 * y / (s2 * s_l_safe) * phi_cdf
             * (8.0 * _SQRT_3 * s_l_safe * ax + (3.0 * s2 * (s2 - 8.0) - 8.0 * x * x) * phi_cdf / phi_pdf)
             * jnp.exp(2.0 * y + 0.25 * s2))
    r_ll = _control_fit(b_l, 0.0, f_l, 1.0, fp_l, fpp_l, True, at_left=False)
    t_l = beta / b_l
    f = _rational_cubic(t_l, 1.0 - t_l, b_l, 0.0, f_l, 1.0, fp_l, r_ll)
    # Round-off at extreme |x| can give f <= 0: fall back to the quadratic through f(0) = 0,
    # f'(0) = 1 and f(b_l), as LBR does.
    f = jnp.where(f > 0, f, (f_l * t_l + b_l * (1.0 - t_l)) * t_l)
    ratio = jnp.clip(f / (_TWO_PI_OVER_SQRT_27 * ax), 0.0, 1.0)
    s_lower = jnp.abs(ax / (_SQRT_3 * ndtri(jnp.exp(jnp.log(ratio) * (1.0 / 3.0)))))

    # Lower middle (b_l <= beta < b_c): s(beta) between (b_l, s_l) and (b_c, s_c), slopes 1/vega.
    h_lm = b_c - b_l
    r_lm = _control_fit(h_lm, s_l, s_c, 1.0 / v_l, 1.0 / v_c, 0.0, False, at_left=False)
    t_lm = (beta - b_l) / h_lm
    s_lower_middle = _rational_cubic(t_lm, 1.0 - t_lm, h_lm, s_l, s_c, 1.0 / v_l, 1.0 / v_c, r_lm)

    # Upper middle (b_c <= beta <= b_h), s_h one Newton step towards b_max from s_c.
    s_h = jnp.where(v_c > 1e-300, s_c + (b_max - b_c) / v_c, s_c)
    b_h, u_h, v_h = normalised_black_otm(x, s_h, asymptotic=False)
    h_hm = b_h - b_c
    r_hm = _control_fit(h_hm, s_c, s_h, 1.0 / v_c, 1.0 / v_h, 0.0, False, at_left=True)
    t_hm = (beta - b_c) / h_hm
    s_upper_middle = _rational_cubic(t_hm, 1.0 - t_hm, h_hm, s_c, s_h, 1.0 / v_c, 1.0 / v_h, r_hm)

    # Highest segment (beta > b_h): interpolate the "upper map" f = N(-s/2) between f(b_h) and
    # f(b_max) = 0, f'(b_max) = -1/2; 1 - t is formed from c = b_max - beta so no digits are
    # lost next to the maximum.
    f_h = _ndtr_lower(-0.5 * s_h)
    w = (x / s_h) ** 2
    fp_h = -0.5 * jnp.exp(0.5 * w)
    fpp_h = math.sqrt(math.pi / 2.0) * jnp.exp(w + 0.125 * s_h * s_h) * w / s_h
    r_hh = _control_fit(u_h, f_h, 0.0, fp_h, -0.5, fpp_h, True, at_left=True)
    omt_h = c / u_h
    f_up = _rational_cubic(1.0 - omt_h, omt_h, u_h, f_h, 0.0, fp_h, -0.5, r_hh)
    f_up = jnp.where(jnp.isfinite(r_hh) & (f_up > 0), f_up, (f_h * omt_h + 0.5 * u_h * (1.0 - omt_h)) * omt_h)
    s_upper = -2.0 * ndtri(f_up)

    lowest = beta < b_l
    below_c = beta < b_c
    highest = ~below_c & (beta > b_h)
    s0 = jnp.where(below_c, jnp.where(lowest, s_lower, s_lower_middle),
                   jnp.where(highest, s_upper, s_upper_middle))
    s_left = jnp.where(below_c, jnp.where(lowest, 0.0, s_l), jnp.where(highest, s_h, s_c))
    s_right = jnp.where(below_c, jnp.where(lowest, s_l, s_c), jnp.where(highest, jnp.inf, s_h))
    # LBR iterates on ln(b_max - b) only above half the maximum; below it b - beta is better.
    objective = jnp.where(lowest, _LOWER, jnp.where(highest & (beta > 0.5 * b_max), _UPPER, _MIDDLE))
    return s0, s_left, s_right, objective


def _householder_step(s, beta, ln_beta, c, x, objective):
    """One third-order Householder step on the segment's objective; returns (ds, b, u)."""
    b, u, bp = normalised_black_otm(x, s, asymptotic=False)
    b_halley = (x / s) ** 2 / s - 0.25 * s          # b''/b'
    b_hh3 = b_halley * b_halley - 3.0 * ((x / s) / s) ** 2 - 0.25   # b'''/b' (s*s underflows below 1e-154)

    # One logarithm serves both transformed objectives: ln b (lowest) or ln(c/u) (highest).
    log_arg = jnp.log(jnp.where(objective == _LOWER, jnp.where(b > 0, b, 1.0), c / u))
    # Lowest: g = 1/ln b - 1/ln beta.
    ln_b = log_arg
    bpob = bp / jnp.where(b > 0, b, 1.0)
    newton_l = (ln_beta - ln_b) * ln_b / ln_beta / bpob
    halley_l = b_halley - bpob * (1.0 + 2.0 / ln_b)
    hh3_l = (b_hh3 + 2.0 * bpob * bpob * (1.0 + 3.0 / ln_b * (1.0 + 1.0 / ln_b))
             - 3.0 * b_halley * bpob * (1.0 + 2.0 / ln_b))
    # Middle: g = b - beta (as u - c above half the maximum, where that is exact).
    residual = jnp.where(beta > 0.5 * jnp.exp(0.5 * x), u - c, beta - b)
    newton_m = residual / bp
    # Highest: g = ln(c / u).
    gp = bp / u
    newton_u = -log_arg / gp
    halley_u = b_halley + gp
    hh3_u = b_hh3 + gp * (2.0 * gp + 3.0 * b_halley)

    newton = jnp.select([objective == _LOWER, objective == _UPPER], [newton_l, newton_u], newton_m)
    halley = jnp.select([objective == _LOWER, objective == _UPPER], [halley_l, halley_u], b_halley)
    hh3 = jnp.select([objective == _LOWER, objective == _UPPER], [hh3_l, hh3_u], b_hh3)
    ds = newton * (1.0 + 0.5 * halley * newton) / (1.0 + newton * (halley + hh3 * newton / 6.0))
    # Underflow of b (lowest) or of the vega: no usable step, bisect instead (below).
    ds = jnp.where((objective == _LOWER) & (b <= 0), jnp.nan, ds)
    return jnp.maximum(-0.5 * s, ds), b, u


def normalised_implied_vol(beta, c, x, steps: int = HOUSEHOLDER_STEPS):
    """``s = vol sqrt(t)`` with ``b(x, s) = beta`` for ``x <= 0``, given ``c = e^{x/2} - beta > 0``.

    Returns ``(s, converged)``; ``converged`` is False where the last step was not negligible.
    """
    s, s_left, s_right, objective = _initial_guess(beta, c, x)
    s = jnp.where(jnp.isfinite(s) & (s > 0), s, jnp.where(jnp.isfinite(s_right), 0.5 * (s_left + s_right),
                                                             2.0 * s_left + 1.0))
    ds = jnp.full_like(s, jnp.inf)
    ln_beta = jnp.log(beta)
    for _ in range(steps):
        ds, b, u = _householder_step(s, beta, ln_beta, c, x, objective)
        # Tighten the bracket with the current point, then bisect where the step leaves it.
        above = jnp.where(beta > 0.5 * jnp.exp(0.5 * x), u < c, b > beta)
        s_right = jnp.where(above, jnp.minimum(s_right, s), s_right)
        s_left = jnp.where(above, s_left, jnp.maximum(s_left, s))
        s_next = s + ds
        inside = jnp.isfinite(s_next) & (s_next >= s_left) & (s_next <= s_right)
        bisect = jnp.where(jnp.isfinite(s_right), 0.5 * (s_left + s_right), 2.0 * s_left)
        ds = jnp.where(inside, ds, bisect - s)
        s = s + ds
    converged = jnp.abs(ds) <= _CONVERGED_STEP * s
    return s, converged


# ---------------------------------------------------------------------------------------
# Double-double helpers (error-free transformations), so that p/D - (F - K) and F - p/D
# keep the digits that matter next to the bounds.


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = 134217729.0 * a          # Veltkamp split, 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _divide_dd(p, d):
    """p / d as an unevaluated sum q + r (|r| <= ulp(q))."""
    q = p / d
    qd, qd_err = _two_prod(q, d)
    return q, ((p - qd) - qd_err) / d


# ---------------------------------------------------------------------------------------
# Public solver


def _solve(price, forward, strike, t, is_call, discount, steps):
    """The solver on inputs already cast by ``implied_vol`` (one float dtype, bool ``is_call``)."""
    shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in (price, forward, strike, t, discount, is_call)))
    price, forward, strike, t, discount, is_call = (jnp.broadcast_to(a, shape)
                                                    for a in (price, forward, strike, t, discount, is_call))

    finite = (jnp.isfinite(price) & jnp.isfinite(forward) & jnp.isfinite(strike) & jnp.isfinite(t)
              & jnp.isfinite(discount))
    # The double-double products below (Veltkamp split) overflow beyond ~1.3e300: a forward or
    # strike above _DD_MAX is outside the solver's range, and so is a price whose undiscounted
    # value is; since the bounds D F, D K are then far below it, such a price is above the
    # maximum, or below intrinsic when negative (never a vol computed from infinities).
    bad = ~finite | (forward <= 0) | (strike <= 0) | (t <= 0) | (discount <= 0)
    bad = bad | (forward > _DD_MAX) | (strike > _DD_MAX)
    huge = ~bad & ~(jnp.abs(price / jnp.where(bad, 1.0, discount)) <= _DD_MAX)
    negative = price < 0
    one = jnp.ones_like(price)
    forward, strike, t, discount = (jnp.where(bad, one, a) for a in (forward, strike, t, discount))
    price = jnp.where(bad | huge, one, price)

    # Undiscounted price q + r; time value over intrinsic and distance to the upper bound.
    q, r = _divide_dd(price, discount)
    itm = jnp.where(is_call, forward > strike, forward < strike)
    diff_hi, diff_lo = _two_sum(forward, -strike)           # F - K exactly
    signed_hi = jnp.where(is_call, diff_hi, -diff_hi)
    signed_lo = jnp.where(is_call, diff_lo, -diff_lo)
    time_value = jnp.where(itm, (q - signed_hi) + (r - signed_lo), q + r)
    upper = jnp.where(is_call, forward, strike)
    distance = (upper - q) - r

    # Out-of-the-money call equivalent: x = -|ln(F/K)| (puts map by x -> -x). ln(F/K) is
    # ln(r) for the rounded ratio r plus the rounding's share (F - r K)/F, formed exactly, so a
    # tiny |x| near the money keeps its digits.
    ratio = forward / strike
    rk_hi, rk_lo = _two_prod(ratio, strike)
    x = -jnp.abs(jnp.log(ratio) + ((forward - rk_hi) - rk_lo) / forward)
    root_fk = jnp.sqrt(forward) * jnp.sqrt(strike)
    solvable = ~bad & (time_value > 0) & (distance > 0)
    beta = jnp.where(solvable, time_value / root_fk, 0.5 * jnp.exp(0.5 * x))
    c = jnp.where(solvable, distance / root_fk, 0.5 * jnp.exp(0.5 * x))
    s, converged = normalised_implied_vol(beta, c, x, steps)
    vol = s / jnp.sqrt(t)

    # A price within the rounding of a bound cannot be told from it: at the bound. A bound's
    # price computed in float64 (black.price at a vanishing vol: D x fl(F - K), or D x F) is off
    # the exact one by the rounding of F - K (|diff_lo|, in the money) plus half an ulp of the
    # price, i.e. at most ~eps max(F, K) + eps |price| / 2 / D undiscounted; a price 1 ulp further
    # out is beyond it. In units of the undiscounted price q:
    half_ulp = 0.5 * jnp.abs(jnp.spacing(price)) / discount
    at_intrinsic_tol = half_ulp + jnp.where(itm, jnp.abs(signed_lo), 0.0)
    status = jnp.select(
        [bad, huge & negative, huge, negative | (time_value < -at_intrinsic_tol), distance < -half_ulp,
         time_value <= at_intrinsic_tol, distance <= half_ulp, ~(converged & jnp.isfinite(vol) & (vol > 0))],
        [IVStatus.BAD_INPUT, IVStatus.BELOW_INTRINSIC, IVStatus.ABOVE_MAXIMUM, IVStatus.BELOW_INTRINSIC,
         IVStatus.ABOVE_MAXIMUM, IVStatus.AT_INTRINSIC, IVStatus.AT_MAXIMUM, IVStatus.NOT_CONVERGED],
        IVStatus.OK).astype(jnp.int8)
    last_iterate = jnp.where(jnp.isfinite(vol) & (vol > 0), vol, jnp.nan)
    vol = jnp.select([status == IVStatus.OK, status == IVStatus.NOT_CONVERGED, status == IVStatus.AT_INTRINSIC,
                      status == IVStatus.AT_MAXIMUM], [vol, last_iterate, 0.0, jnp.inf], jnp.nan)
    return vol, status


@jax.custom_jvp
def _implied_vol(price, forward, strike, t, is_call, discount):
    return _solve(price, forward, strike, t, is_call, discount, HOUSEHOLDER_STEPS)


@_implied_vol.defjvp
def _implied_vol_jvp(primals, tangents):

    price, forward, strike, t, is_call, discount = primals
    d_price, d_forward, d_strike, d_t, _, d_discount = tangents
    vol, status = _implied_vol(price, forward, strike, t, is_call, discount)
    ok = status == IVStatus.OK
    vol_safe = jnp.where(ok, vol, 0.2)

    def model(f, k, tt, d):
        return black.price(f, k, tt, vol_safe, is_call, d)

    _, d_model = jax.jvp(model, (forward, strike, t, discount), (d_forward, d_strike, d_t, d_discount))
    vega = black.vega(forward, strike, t, vol_safe, discount)
    d_vol = jnp.where(ok, (d_price - d_model) / vega, jnp.nan)
    return (vol, status), (d_vol, jnp.zeros(status.shape, jax.dtypes.float0))


def implied_vol(price, forward, strike, t, is_call, discount=1.0):
    """Black-76 implied vol and an ``IVStatus`` code per option.

    Args:
      price: option price (discounted, in the units of ``forward``).
      forward, strike: positive; t: years to expiry, positive; discount: price of $1 paid
        at expiry, positive. is_call: bool (True call, False put).
      All broadcast to one shape.

    Returns:
      ``(vol, status)``: annualised vol (float, the inputs' dtype) and ``int8`` status
      (``IVStatus``). Relative error about 1e-15 against the exact inverse of the price
      where the status is ``OK``; NaN with ``BELOW_INTRINSIC`` / ``ABOVE_MAXIMUM`` /
      ``BAD_INPUT``; 0 with ``AT_INTRINSIC`` and +inf with ``AT_MAXIMUM``, i.e. within the
      rounding of the bound (the rounding of ``F - K`` plus half an ulp of the price,
      ``<= eps (max(F, K) + |price| / D)`` undiscounted: a bound priced in float64, as
      ``black.price`` prices it at a vanishing vol, is at the bound, not past it);
      ``NOT_CONVERGED`` (last step above 1e-4 of the vol) the last iterate, finite and
      positive (NaN where it was not). A price whose undiscounted value exceeds 2^996
      (~6.7e299) is ``ABOVE_MAXIMUM``, or ``BELOW_INTRINSIC`` when negative. Differentiable in price, forward, strike, t and discount (custom JVP,
      the implicit function theorem; NaN tangents where the status is not OK).

    Example::

        >>> import jax; jax.config.update("jax_enable_x64", True)
        >>> from jaxmm.pricing import black
        >>> vol, status = implied_vol(black.price(100.0, 120.0, 0.5, 0.3, True), 100.0, 120.0, 0.5, True)
        >>> round(float(vol), 15), int(status)
        (0.3, 0)
    """
    require_x64("implied vols")
    args = float_inputs(price, forward, strike, t, discount)
    args.insert(4, jnp.asarray(is_call, dtype=bool))
    shape = jnp.broadcast_shapes(*(a.shape for a in args))
    size = math.prod(shape)
    if size <= CPU_CHUNK or jax.default_backend() != "cpu":
        return _implied_vol(*args)
    # Large batches on the CPU: the solver's intermediates for one chunk stay in cache
    # (about 2x faster than one pass over the whole batch); a GPU takes the batch whole.
    flat = [jnp.broadcast_to(a, shape).reshape(-1) for a in args]
    vol, status = jax.lax.map(lambda chunk: _implied_vol(*chunk), tuple(flat), batch_size=CPU_CHUNK)
    return vol.reshape(shape), status.reshape(shape)
