"""Implied volatility of Black-76 prices (PLACEHOLDER: bisection; being replaced by a
Jäckel-style fixed-iteration solver with the same signature and status codes)."""

from __future__ import annotations

import enum

import jax
import jax.numpy as jnp


class IVStatus(enum.IntEnum):
    """Status code of each implied vol (``int8`` arrays hold these values)."""

    OK = 0                 # converged to full accuracy
    BELOW_INTRINSIC = 1    # price < discounted intrinsic value: vol is NaN
    ABOVE_MAXIMUM = 2      # price > D*F (call) or D*K (put): vol is NaN
    AT_INTRINSIC = 3       # price == discounted intrinsic: vol is 0
    AT_MAXIMUM = 4         # price == the upper bound: vol is +inf
    BAD_INPUT = 5          # non-finite input, or forward, strike, t or discount <= 0: NaN
    NOT_CONVERGED = 6      # the fixed iteration budget left a residual: vol is the last iterate


def implied_vol(price, forward, strike, t, is_call, discount=1.0):
    """Black-76 implied vol and an ``IVStatus`` code per option (arrays, broadcast shape)."""
    from jaxmm import black

    price, forward, strike, t, discount = black._inputs(price, forward, strike, t, discount)
    shape = jnp.broadcast_shapes(price.shape, forward.shape, strike.shape, t.shape, discount.shape,
                                 jnp.shape(is_call))
    price, forward, strike, t, discount = (jnp.broadcast_to(a, shape) for a in (price, forward, strike, t, discount))
    is_call = jnp.broadcast_to(is_call, shape)
    undiscounted = price / discount
    intrinsic = jnp.where(is_call, jnp.maximum(forward - strike, 0.0), jnp.maximum(strike - forward, 0.0))
    upper = jnp.where(is_call, forward, strike)
    bad = ~(jnp.isfinite(price) & jnp.isfinite(forward) & jnp.isfinite(strike) & jnp.isfinite(t)
            & jnp.isfinite(discount)) | (forward <= 0) | (strike <= 0) | (t <= 0) | (discount <= 0)

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        above = black.price(forward, strike, t, jnp.exp(mid), is_call) > undiscounted
        return jnp.where(above, lo, mid), jnp.where(above, mid, hi)

    lo, hi = jax.lax.fori_loop(0, 120, body, (jnp.full(shape, -12.0), jnp.full(shape, 3.0)))
    vol = jnp.exp(0.5 * (lo + hi))
    status = jnp.select(
        [bad, undiscounted < intrinsic, undiscounted > upper, undiscounted == intrinsic, undiscounted == upper],
        [IVStatus.BAD_INPUT, IVStatus.BELOW_INTRINSIC, IVStatus.ABOVE_MAXIMUM, IVStatus.AT_INTRINSIC,
         IVStatus.AT_MAXIMUM], IVStatus.OK).astype(jnp.int8)
    vol = jnp.select([status == IVStatus.AT_INTRINSIC, status == IVStatus.AT_MAXIMUM, status != IVStatus.OK],
                     [0.0, jnp.inf, jnp.nan], vol)
    return vol, status
