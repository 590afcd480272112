"""Black-76: prices and Greeks of European options on a forward (numerics core, no pandas).

With forward ``F``, strike ``K``, time to expiry ``t`` (years), volatility ``sigma`` and
discount factor ``D`` (the price of $1 paid at expiry)::

    s  = sigma * sqrt(t)                       (total standard deviation)
    d1 = (ln(F / K) + s^2 / 2) / s,   d2 = d1 - s
    call = D * (F N(d1) - K N(d2))
    put  = D * (K N(-d2) - F N(-d1))
    delta_F = D N(d1) (call), -D N(-d1) (put)  (dV/dF)
    gamma_F = D n(d1) / (F s)                  (d2V/dF2, same for calls and puts)
    vega    = D F n(d1) sqrt(t)                (dV/dsigma, per unit of vol, not per point)

N is the standard normal CDF (``jax.scipy.special.ndtr``), n its density.

Degenerate inputs never give NaN: where ``s == 0`` (zero vol or zero time) or ``K <= 0``
the price is the discounted intrinsic value ``D * max(+-(F - K), 0)``, delta is the
discounted intrinsic slope and gamma and vega are 0. Every function broadcasts its
arguments (``is_call`` is a boolean array or scalar); dtypes follow the inputs, so
float64 inputs give float64 results when ``jax_enable_x64`` is on.

Reference: F. Black, "The pricing of commodity contracts", J. Financial Economics 3
(1976) 167-179.

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> from jaxmm import black
    >>> float(black.price(100.0, 100.0, 1.0, 0.2, True))   # ATM: F * (2 N(s/2) - 1)
    7.965567455405804
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import ndtr

_INV_SQRT_2PI = 0.3989422804014327


def _inputs(*args):
    """Cast all inputs to one float dtype: that of the float arrays given (Python scalars
    and integer arrays follow them), else JAX's default float."""
    floats = [a for a in args if hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating)]
    dtype = jnp.result_type(*floats) if floats else jnp.result_type(float)
    return [jnp.asarray(a, dtype=dtype) for a in args]


def _d1_d2(forward, strike, t, vol):
    """d1, d2 with safe (finite) values where the model is degenerate, and the mask ``ok``."""
    sd = vol * jnp.sqrt(jnp.maximum(t, 0.0))
    ok = (sd > 0) & (strike > 0) & (forward > 0)
    # Safe operands in the masked branch: jnp.where evaluates both sides (and their
    # gradients), so log(0) or x/0 there would leak NaN into the result or its gradient.
    one = jnp.ones_like(sd)
    sd_s = jnp.where(ok, sd, one)
    f_s = jnp.where(ok, forward, one)
    k_s = jnp.where(ok, strike, one)
    d1 = (jnp.log(f_s / k_s) + 0.5 * sd_s * sd_s) / sd_s
    return d1, d1 - sd_s, sd_s, ok


def price(forward, strike, t, vol, is_call, discount=1.0):
    """Black-76 price ``D * E[(+-(F_T - K))^+]``; discounted intrinsic where vol*sqrt(t)==0.

    Args:
      forward, strike, t, vol, discount: arrays broadcastable to a common shape.
      is_call: bool array (True: call, False: put), broadcastable likewise.
    Returns:
      Array of prices, the broadcast shape.
    """
    forward, strike, t, vol, discount = _inputs(forward, strike, t, vol, discount)
    d1, d2, _, ok = _d1_d2(forward, strike, t, vol)
    call = forward * ndtr(d1) - strike * ndtr(d2)
    put = strike * ndtr(-d2) - forward * ndtr(-d1)
    model = jnp.where(is_call, call, put)
    intrinsic = jnp.where(is_call, jnp.maximum(forward - strike, 0.0), jnp.maximum(strike - forward, 0.0))
    return discount * jnp.where(ok, model, intrinsic)


def delta(forward, strike, t, vol, is_call, discount=1.0):
    """dPrice/dForward: ``D N(d1)`` (call) or ``-D N(-d1)`` (put); intrinsic slope where degenerate."""
    forward, strike, t, vol, discount = _inputs(forward, strike, t, vol, discount)
    d1, _, _, ok = _d1_d2(forward, strike, t, vol)
    model = jnp.where(is_call, ndtr(d1), -ndtr(-d1))
    itm = jnp.where(is_call, forward > strike, forward < strike)
    intrinsic = jnp.where(itm, jnp.where(is_call, 1.0, -1.0), 0.0).astype(model.dtype)
    return discount * jnp.where(ok, model, intrinsic)


def gamma(forward, strike, t, vol, discount=1.0):
    """d2Price/dForward2 ``D n(d1) / (F sigma sqrt(t))`` (calls and puts); 0 where degenerate."""
    forward, strike, t, vol, discount = _inputs(forward, strike, t, vol, discount)
    d1, _, sd_s, ok = _d1_d2(forward, strike, t, vol)
    f_s = jnp.where(ok, forward, jnp.ones_like(forward))
    g = _INV_SQRT_2PI * jnp.exp(-0.5 * d1 * d1) / (f_s * sd_s)
    return discount * jnp.where(ok, g, 0.0)


def vega(forward, strike, t, vol, discount=1.0):
    """dPrice/dvol ``D F n(d1) sqrt(t)`` per unit of vol (calls and puts); 0 where degenerate."""
    forward, strike, t, vol, discount = _inputs(forward, strike, t, vol, discount)
    d1, _, _, ok = _d1_d2(forward, strike, t, vol)
    v = forward * _INV_SQRT_2PI * jnp.exp(-0.5 * d1 * d1) * jnp.sqrt(jnp.maximum(t, 0.0))
    return discount * jnp.where(ok, v, 0.0)


from jaxmm.iv import IVStatus, implied_vol  # noqa: E402,F401  (public here: jaxmm.black.implied_vol)
