"""jaxmm.pricing.iv.implied_vol at the edges of its domain (issue 13, item 7): prices beyond the
representable range, prices at the discounted intrinsic value as float64 gives them, and
what NOT_CONVERGED returns.

Statuses are exact (no tolerance); "at intrinsic" means within the rounding of the bound
(the rounding of F - K plus half an ulp of the price, jaxmm.pricing.iv.implied_vol's doc), so a
price 4 ulps below the float64 intrinsic value is below it.
"""

import math

import jax.numpy as jnp
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jaxmm.pricing import black, iv
from jaxmm.pricing.iv import IVStatus, implied_vol

positive = st.floats(1e-3, 1e6)
discounts = st.floats(0.5, 1.2)
times = st.floats(1e-4, 30.0)


def _solve(price, forward, strike, t, is_call, discount):
    vol, status = implied_vol(price, forward, strike, t, is_call, discount)
    return float(vol), IVStatus(int(status))


@given(exponent=st.floats(299.9, 308.2), negative=st.booleans(), forward=positive, strike=positive, t=times,
       discount=discounts, is_call=st.booleans())
def test_prices_beyond_the_representable_range(exponent, negative, forward, strike, t, discount, is_call):
    """|price| from ~8e299 to the largest float: above the maximum (or below intrinsic when
    negative), vol NaN; never OK with a vol computed from overflowed arithmetic (before the
    fix, +-1e300 came back OK with vol ~1.4)."""
    price = (-1.0 if negative else 1.0) * min(10.0 ** exponent, np.finfo(np.float64).max)
    vol, status = _solve(price, forward, strike, t, is_call, discount)
    assert status is (IVStatus.BELOW_INTRINSIC if negative else IVStatus.ABOVE_MAXIMUM)
    assert math.isnan(vol)


def test_overflowing_discount_inputs_and_huge_forwards():
    # A tiny discount factor makes an ordinary price's undiscounted value overflow the range.
    assert _solve(1.0, 100.0, 100.0, 1.0, True, 1e-305)[1] is IVStatus.ABOVE_MAXIMUM
    assert _solve(-1.0, 100.0, 100.0, 1.0, True, 1e-305)[1] is IVStatus.BELOW_INTRINSIC
    # Forwards or strikes beyond 2^996 are outside the solver's range; infinities are bad input.
    assert _solve(1.0, 1e300, 100.0, 1.0, True, 1.0)[1] is IVStatus.BAD_INPUT
    assert _solve(1.0, 100.0, 1e305, 1.0, False, 1.0)[1] is IVStatus.BAD_INPUT
    for price in (np.inf, -np.inf, np.nan):
        assert _solve(price, 100.0, 100.0, 1.0, True, 1.0)[1] is IVStatus.BAD_INPUT
    # Just inside the range, a price below the bound still solves.
    vol, status = _solve(black.price(1e299, 1e299, 1.0, 0.3, True, 1.0), 1e299, 1e299, 1.0, True, 1.0)
    assert status is IVStatus.OK and abs(vol - 0.3) < 1e-12


@given(forward=positive, moneyness=st.floats(-3.0, 3.0), t=times, discount=discounts, is_call=st.booleans(),
       tiny=st.sampled_from([0.0, 1e-300, 1e-12]))
def test_price_at_the_discounted_intrinsic_is_at_intrinsic(forward, moneyness, t, discount, is_call, tiny):
    """black.price at a vanishing vol (the float64 intrinsic D fl(F - K), its rounding
    included) gives AT_INTRINSIC and vol 0, in or out of the money, never BELOW_INTRINSIC;
    4 ulps below it is BELOW_INTRINSIC wherever the intrinsic is positive."""
    strike = forward * math.exp(moneyness)
    price = float(black.price(forward, strike, t, tiny, is_call, discount))
    if price != float(black.price(forward, strike, t, 0.0, is_call, discount)):
        return                       # a time value survived in float64: not at intrinsic, not this test's case
    vol, status = _solve(price, forward, strike, t, is_call, discount)
    assert status is IVStatus.AT_INTRINSIC and vol == 0.0, price
    if price > 0:
        below = price
        for _ in range(4):
            below = math.nextafter(below, -math.inf)
        assert _solve(below, forward, strike, t, is_call, discount)[1] is IVStatus.BELOW_INTRINSIC


def test_known_at_intrinsic_cases():
    # F - K inexact (0.3 - 0.1 rounds) and D inexact: the float64 intrinsic was solved as a
    # time value of 1e-17 (vol 0.28, OK) before; 1 ulp below an exact intrinsic stays below.
    assert _solve(float(black.price(0.3, 0.1, 0.25, 0.0, True, 0.991)), 0.3, 0.1, 0.25, True, 0.991) == (
        0.0, IVStatus.AT_INTRINSIC)
    assert _solve(math.nextafter(10.0, -math.inf), 100.0, 90.0, 1.0, True, 1.0)[1] is IVStatus.BELOW_INTRINSIC
    assert _solve(10.0 + 1e-10, 100.0, 90.0, 1.0, True, 1.0)[1] is IVStatus.OK          # time value 1e-12 F


def test_not_converged_returns_the_last_iterate():
    """Prices near the float64 underflow (normalised price ~1e-310, subnormal) leave a last
    Householder step above 1e-4: NOT_CONVERGED with the last iterate s / sqrt(t) of
    iv.normalised_implied_vol, finite and positive, as documented."""
    for price, forward, strike, t, is_call, discount in [(1e-306, 100.0, 200.0, 1.0, True, 1.0),
                                                         (1e-306, 100.0, 50.0, 1.0, False, 1.0),
                                                         (5.7e-308, 171.5, 4029.6, 0.0029, True, 0.77)]:
        vol, status = _solve(price, forward, strike, t, is_call, discount)
        x = -abs(math.log(forward / strike))
        beta = price / discount / math.sqrt(forward * strike)
        s, converged = iv.normalised_implied_vol(jnp.float64(beta), jnp.float64(math.exp(0.5 * x) - beta),
                                                 jnp.float64(x))
        assert status is IVStatus.NOT_CONVERGED and not bool(converged)
        assert vol == float(s) / math.sqrt(t) and 0.0 < vol < math.inf


def test_tiny_at_the_money_price_converges():
    # s*s underflowed to 0 in the Householder step (NaN, then a bisection to s ~ 0.6): now
    # the at-the-money inverse b(0, s) ~ s / sqrt(2 pi) holds down to 1e-300.
    for price in (1e-100, 1e-200, 1e-300):
        vol, status = _solve(price, 100.0, 100.0, 1.0, True, 1.0)
        assert status is IVStatus.OK and abs(vol / (math.sqrt(2 * math.pi) * price / 100.0) - 1) < 1e-12


@given(log_price=st.floats(-320.0, 0.5), forward=positive, moneyness=st.floats(-4.0, 4.0), t=times,
       discount=discounts, is_call=st.booleans())
def test_status_contract_property(log_price, forward, moneyness, t, discount, is_call):
    """Any price from 1e-320 to ~3 forwards: OK has a finite positive vol that reprices the
    price (relative 1e-9 of the time value plus 1e-13 of the bound); NOT_CONVERGED a finite
    positive vol; AT_INTRINSIC 0; AT_MAXIMUM inf; the others NaN."""
    strike = forward * math.exp(moneyness)
    price = forward * 10.0 ** log_price
    vol, status = _solve(price, forward, strike, t, is_call, discount)
    upper = discount * (forward if is_call else strike)
    intrinsic = discount * max(forward - strike if is_call else strike - forward, 0.0)
    if status is IVStatus.OK:
        assert 0.0 < vol < math.inf
        repriced = float(black.price(forward, strike, t, vol, is_call, discount))
        assert abs(repriced - price) <= 1e-9 * (price - intrinsic) + 1e-13 * upper
    elif status is IVStatus.NOT_CONVERGED:
        assert 0.0 < vol < math.inf
    elif status is IVStatus.AT_INTRINSIC:
        assert vol == 0.0 and abs(price - intrinsic) <= 4e-16 * (upper + price)
    elif status is IVStatus.AT_MAXIMUM:
        assert vol == math.inf and abs(price - upper) <= 4e-16 * upper
    else:
        assert math.isnan(vol) and status in (IVStatus.BELOW_INTRINSIC, IVStatus.ABOVE_MAXIMUM)
        assert (price < intrinsic) if status is IVStatus.BELOW_INTRINSIC else (price > upper)
