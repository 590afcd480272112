"""Implied forward and discount factor from put-call parity (jaxmm.parity).

Synthetic quotes are Black-76 prices with a known F and D (and a skewed smile), so C - P
= D (F - K) exactly; noise stays inside the quoted spread, outliers are far outside it.
Tolerances: exact data to 1e-9 (float64 least squares on ~1e3-sized strikes); noisy data
to the accuracy the spreads allow (stated per test).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaxmm import black, parity
from jaxmm.parity import ForwardMethod, Pairs, ParitySettings


def black_pairs(forward, discount, t=1.0, strikes=None, rel_spread=0.004, min_spread=0.1):
    """Exact call and put mids on a skewed smile, spreads proportional to the price."""
    strikes = np.arange(0.6, 1.41, 0.01) * forward if strikes is None else np.asarray(strikes, float)
    k = np.log(strikes / forward)
    vol = 0.2 - 0.15 * k + 0.2 * k**2
    call = np.asarray(black.price(forward, strikes, t, vol, True, discount))
    put = np.asarray(black.price(forward, strikes, t, vol, False, discount))
    return Pairs(strikes, call, put, np.maximum(rel_spread * call, min_spread),
                 np.maximum(rel_spread * put, min_spread))


def test_exact_prices_give_exact_forward_and_discount():
    fit = parity.fit_slice(black_pairs(5000.0, 0.96))
    assert fit.method is ForwardMethod.REGRESSION
    assert fit.forward == pytest.approx(5000.0, rel=1e-9)
    assert fit.discount == pytest.approx(0.96, rel=1e-9)
    assert fit.n_pairs == 60 and fit.residual_std < 1e-6


@given(forward=st.floats(10.0, 1e5), rate=st.floats(-0.02, 0.15), t=st.floats(0.01, 5.0))
def test_exact_recovery_property(forward, rate, t):
    discount = float(np.exp(-rate * t))
    fit = parity.fit_slice(black_pairs(forward, discount, t))
    assert fit.forward == pytest.approx(forward, rel=1e-8)
    assert fit.discount == pytest.approx(discount, rel=1e-8)


def test_noise_inside_the_spread_and_outliers():
    """Mid noise up to 0.4 half spread on each leg, and 6 stale pairs off by USD 15-40."""
    rng = np.random.default_rng(3)
    p = black_pairs(5000.0, 0.95, t=1.5)
    noisy_call = p.call_mid + rng.uniform(-0.2, 0.2, p.strike.size) * p.call_spread
    noisy_put = p.put_mid + rng.uniform(-0.2, 0.2, p.strike.size) * p.put_spread
    stale = rng.choice(np.flatnonzero(np.abs(np.log(p.strike / 5000.0)) < 0.2), 6, replace=False)
    noisy_call[stale] += rng.uniform(15.0, 40.0, 6)        # stale calls, all too high
    bad = p._replace(call_mid=noisy_call, put_mid=noisy_put)

    fit = parity.fit_slice(bad)
    assert fit.method is ForwardMethod.REGRESSION
    assert fit.n_downweighted >= 6
    assert abs(fit.forward / 5000.0 - 1) < 1e-4       # USD 0.5
    assert abs(fit.discount - 0.95) < 5e-4

    # Plain least squares on the same pairs is pulled off by the outliers.
    diff = bad.call_mid - bad.put_mid
    slope, intercept = np.polyfit(bad.strike, diff, 1)
    assert abs(-intercept / slope / 5000.0 - 1) > 5 * abs(fit.forward / 5000.0 - 1)


def test_huber_line_downweights_only_the_outlier():
    x = np.linspace(-1.0, 1.0, 21)
    y = 2.0 - 3.0 * x + np.where(np.arange(21) % 2, 1e-3, -1e-3)
    y[5] += 10.0
    fit = parity.huber_line(x, y, np.ones_like(x))
    assert fit.converged
    assert fit.intercept == pytest.approx(2.0, abs=1e-2) and fit.slope == pytest.approx(-3.0, abs=1e-2)
    assert fit.weights[5] < 1e-2 and np.all(np.delete(fit.weights, 5) > 0.5)


def test_near_money_window_is_used():
    p = black_pairs(5000.0, 0.97)
    fit = parity.fit_slice(p, ParitySettings(n_strikes=10, max_log_moneyness=0.05))
    assert fit.n_pairs == 10
    assert fit.forward == pytest.approx(5000.0, rel=1e-9)
    few = parity.fit_slice(p, ParitySettings(n_strikes=10, max_log_moneyness=0.015))
    assert few.method is ForwardMethod.FAILED            # 3 strikes within 1.5%: below min_pairs


def _subset(p: Pairs, idx) -> Pairs:
    return Pairs(*(a[idx] for a in p))


def test_fallbacks_interpolate_the_curve_and_are_flagged():
    """Five expiries of one snapshot, r = 4% and carry b = 2.5% flat (so interpolation is exact):
    regression (3), few_strikes (2 pairs), one_sided (no pair)."""
    spot, r, b = 4000.0, 0.04, 0.025
    t = np.array([0.25, 0.5, 1.0, 0.75, 2.0])
    forwards, discounts = spot * np.exp(b * t), np.exp(-r * t)
    pairs = [black_pairs(f, d, tt) for f, d, tt in zip(forwards, discounts, t)]
    pairs[3] = _subset(pairs[3], [40, 45])               # 2 pairs < min_pairs
    pairs[4] = Pairs.empty()                              # one-sided (extrapolated flat)
    out = parity.implied_forwards(t, np.full(5, spot), pairs)
    assert [f.method for f in out] == [ForwardMethod.REGRESSION] * 3 + [ForwardMethod.FEW_STRIKES,
                                                                       ForwardMethod.ONE_SIDED]
    for i in range(5):
        assert out[i].forward == pytest.approx(forwards[i], rel=1e-8), i
        assert out[i].discount == pytest.approx(discounts[i], rel=1e-8), i
    assert out[3].n_pairs == 2 and out[4].n_pairs == 0
    assert np.isnan(out[3].residual_std)


def test_no_regressed_expiry_uses_the_fallback_rate_and_spot():
    t = np.array([0.5, 1.0])
    few = _subset(black_pairs(4000.0 * np.exp(0.01), np.exp(-0.02), 1.0), [30, 40])
    out = parity.implied_forwards(t, np.array([4000.0, 4000.0]), [Pairs.empty(), few],
                                  ParitySettings(fallback_rate=0.02))
    assert out[0].method is ForwardMethod.ONE_SIDED and out[0].forward == 4000.0
    assert out[0].discount == pytest.approx(np.exp(-0.01))
    assert out[1].method is ForwardMethod.FEW_STRIKES
    assert out[1].forward == pytest.approx(4000.0 * np.exp(0.01), rel=1e-9)


def test_failed_sanity_checks():
    # A regression whose slope says D < 0 (C - P rising with K) is rejected ...
    p = black_pairs(5000.0, 0.96)
    flipped = p._replace(call_mid=p.put_mid, put_mid=p.call_mid)
    assert parity.fit_slice(flipped).method is ForwardMethod.FAILED
    # ... the median fallback then takes over (flagged few_strikes, D from fallback_rate) ...
    out = parity.implied_forwards([1.0], [np.nan], [flipped])
    assert out[0].method is ForwardMethod.FEW_STRIKES and out[0].discount == 1.0
    # ... and puts priced USD 1e5 too high leave no positive forward at all: failed, NaN.
    junk = p._replace(put_mid=p.put_mid + 1e5)
    out = parity.implied_forwards([1.0], [np.nan], [junk])
    assert out[0].method is ForwardMethod.FAILED and np.isnan(out[0].forward) and np.isnan(out[0].discount)
    # No pair and no underlying price: failed, not a silent guess.
    out = parity.implied_forwards([1.0], [np.nan], [Pairs.empty()])
    assert out[0].method is ForwardMethod.FAILED
    # D above max_discount fails the check.
    too_high = parity.fit_slice(black_pairs(5000.0, 1.1), ParitySettings(max_discount=1.05))
    assert too_high.method is ForwardMethod.FAILED


def test_conversion_and_reversal_edges():
    F, D, K = 100.0, 0.98, 95.0
    fair = D * (F - K)                                    # C - P at parity
    # At parity with spreads, both trades lose the half spreads crossed.
    conv, rev = parity.conversion_reversal_edges(K, F, D, call_bid=fair + 9.9, call_ask=fair + 10.1,
                                                 put_bid=9.9, put_ask=10.1)
    assert conv == pytest.approx(-0.2) and rev == pytest.approx(-0.2)
    # A call bid USD 1 over parity: conversion (sell call, buy put, long forward) earns 1 - 0.1.
    conv, rev = parity.conversion_reversal_edges(K, F, D, call_bid=fair + 11.0, call_ask=fair + 11.2,
                                                 put_bid=9.9, put_ask=10.1)
    assert conv == pytest.approx(0.9) and rev < 0
    # A put bid USD 1 over parity: reversal (buy call, sell put, short forward) earns it.
    conv, rev = parity.conversion_reversal_edges(K, F, D, call_bid=fair + 9.9, call_ask=fair + 10.1,
                                                 put_bid=11.0, put_ask=11.2)
    assert rev == pytest.approx(0.9) and conv < 0
