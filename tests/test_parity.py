"""Implied forward and discount factor from put-call parity (jaxmm.pricing.parity).

Synthetic quotes are Black-76 prices with a known F and D (and a skewed smile), so C - P
= D (F - K) exactly; noise stays inside the quoted spread, outliers are far outside it.
Tolerances: exact data to 1e-9 (float64 least squares on ~1e3-sized strikes); noisy data
to the accuracy the spreads allow (stated per test).

The checks of the regressed discount factors (rate band, standard error, monotonicity) and
their fallbacks (smoothed curve, configured curve, forward refitted with D fixed) are
tested on snapshots where one expiry is made bad in one way, and on a VIX-like chain
(spot 15, forward 18) and a Deribit-like one (inverse quotes rounded to 0.0001 coin,
forward 5-10% above spot by the basis, D = 1): the forward must come from parity.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaxmm.pricing import black, parity
from jaxmm.pricing.parity import DiscountSource, ForwardMethod, Pairs, ParitySettings, RateCurve, RateStatus


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


def test_no_trusted_expiry_uses_the_configured_rate_curve_and_spot():
    t = np.array([0.5, 1.0])
    few = _subset(black_pairs(4000.0 * np.exp(0.01), np.exp(-0.02), 1.0), [30, 40])
    out = parity.implied_forwards(t, np.array([4000.0, 4000.0]), [Pairs.empty(), few],
                                  rate_curve=RateCurve.from_config(0.02))
    # one_sided: spot carried at the carry of the expiry priced by parity (1%, flat beyond).
    assert out[0].method is ForwardMethod.ONE_SIDED
    assert out[0].forward == pytest.approx(4000.0 * np.exp(0.01 * 0.5), rel=1e-9)
    assert out[0].discount == pytest.approx(np.exp(-0.01))
    assert out[0].label == "one_sided:rate_curve" and out[0].rate_status is RateStatus.NO_PAIRS
    assert out[1].method is ForwardMethod.FEW_STRIKES and out[1].rate_status is RateStatus.FEW_PAIRS
    assert out[1].label == "few_strikes:rate_curve"
    assert out[1].forward == pytest.approx(4000.0 * np.exp(0.01), rel=1e-9)


def test_failed_sanity_checks():
    # A regression whose slope says D < 0 (C - P rising with K) is rejected ...
    p = black_pairs(5000.0, 0.96)
    flipped = p._replace(call_mid=p.put_mid, put_mid=p.call_mid)
    fit = parity.fit_slice(flipped)
    assert fit.method is ForwardMethod.FAILED and fit.rate_status is RateStatus.FIT_FAILED
    # ... the forward is then refitted with D from the configured curve (0 by default), flagged ...
    out = parity.implied_forwards([1.0], [np.nan], [flipped])
    assert out[0].label == "regression_fixed_discount:rate_curve" and out[0].discount == 1.0
    assert out[0].rate_status is RateStatus.FIT_FAILED and np.isnan(out[0].regression_rate)
    # ... and puts priced USD 1e5 too high leave no positive forward at all: failed, NaN.
    junk = p._replace(put_mid=p.put_mid + 1e5)
    out = parity.implied_forwards([1.0], [np.nan], [junk])
    assert out[0].method is ForwardMethod.FAILED and np.isnan(out[0].forward) and np.isnan(out[0].discount)
    assert out[0].label == "failed"
    # No pair and no underlying price: failed, not a silent guess.
    out = parity.implied_forwards([1.0], [np.nan], [Pairs.empty()])
    assert out[0].method is ForwardMethod.FAILED and out[0].rate_status is RateStatus.NO_PAIRS
    # D above max_discount fails the check.
    too_high = parity.fit_slice(black_pairs(5000.0, 1.1), ParitySettings(max_discount=1.05))
    assert too_high.method is ForwardMethod.FAILED


# --------------------------------------------------------------------------- checks of D and fallbacks

def _snapshot(t, rates, carry=0.02, spot=4000.0, **kw):
    """Exact Black pairs of one snapshot: forwards spot e^{carry t}, discounts e^{-r t}."""
    t, rates = np.asarray(t, float), np.asarray(rates, float)
    forwards = spot * np.exp(carry * t)
    return t, forwards, [black_pairs(f, np.exp(-r * tt), tt, **kw) for f, r, tt in zip(forwards, rates, t)]


def test_standard_error_of_the_discount_factor_is_calibrated():
    """Mids uniform across the combined spread (the floor's assumption): the spread of the
    fitted D over 400 draws matches the mean reported se(D) within 20% (the sd of an sd
    estimated from 400 draws is ~3.5%), and se(r) = se(D) / (D t)."""
    rng = np.random.default_rng(11)
    p = black_pairs(5000.0, 0.97, t=0.5)
    spread = p.call_spread + p.put_spread
    fits = [parity.fit_slice(p._replace(call_mid=p.call_mid + rng.uniform(-0.5, 0.5, spread.size) * spread),
                             t=0.5) for _ in range(400)]
    d = np.array([f.discount for f in fits])
    se = np.array([f.discount_se for f in fits])
    assert np.std(d) / np.mean(se) == pytest.approx(1.0, abs=0.2)
    f = fits[0]
    assert f.regression_rate_se == pytest.approx(f.discount_se / (f.discount * 0.5), rel=1e-12)
    assert f.regression_rate == pytest.approx(-np.log(f.discount) / 0.5, rel=1e-12)
    # se(r) grows as 1/t: the same chain at 1.5 days cannot pin the rate to 1%.
    short = parity.fit_slice(p, t=1.5 / 365)
    assert short.regression_rate_se > 0.01 > f.regression_rate_se


def test_rate_outside_band_falls_back_to_the_smoothed_curve():
    """One expiry's parity line says r = 30% (stable, so only the band catches it)."""
    t, forwards, pairs = _snapshot([0.1, 0.25, 0.5, 1.0, 2.0], [0.04, 0.04, 0.30, 0.04, 0.04])
    out = parity.implied_forwards(t, np.full(5, 4000.0), pairs)
    bad = out[2]
    assert bad.rate_status is RateStatus.RATE_OUTSIDE_BAND
    assert bad.label == "regression_fixed_discount:smoothed_curve"
    assert bad.regression_rate == pytest.approx(0.30, rel=1e-9)          # the raw rate is kept
    assert bad.discount == pytest.approx(np.exp(-0.04 * 0.5), rel=1e-9)  # the others' 4%
    # F = K + (C - P)/D with the wrong D tilts with K: pooled near the money it stays within
    # its own standard error of the truth (measured 0.17% = USD 7, se USD 8).
    assert abs(bad.forward - forwards[2]) < 2.0 * bad.forward_se < 0.005 * forwards[2]
    for o, f in zip(out[:2] + out[3:], np.delete(forwards, 2)):
        assert o.label == "regression" and o.rate_status is RateStatus.OK
        assert o.forward == pytest.approx(f, rel=1e-9)
    # A band that admits 30% trusts it.
    wide = parity.implied_forwards(t, np.full(5, 4000.0), pairs, ParitySettings(rate_band=(-0.05, 0.5)))
    assert wide[2].rate_status is RateStatus.OK and wide[2].label == "regression"


def test_unstable_short_expiry_falls_back_and_keeps_its_forward():
    """1.5 days to expiry, mids noisy within the spread: D is not identified (se(r) > 1%),
    whatever the regression's rate; D comes from the longer expiries' curve and F from
    parity with D fixed, within USD 0.5 of the truth (0.1 of the median combined spread)."""
    rng = np.random.default_rng(5)
    t, forwards, pairs = _snapshot([1.5 / 365, 0.1, 0.3, 0.6], np.full(4, 0.045), spot=4500.0)
    p = pairs[0]
    noisy = p._replace(call_mid=p.call_mid + rng.uniform(-0.3, 0.3, p.strike.size) * p.call_spread,
                       put_mid=p.put_mid + rng.uniform(-0.3, 0.3, p.strike.size) * p.put_spread)
    out = parity.implied_forwards(t, np.full(4, 4500.0), [noisy] + pairs[1:])
    short = out[0]
    assert short.rate_status is RateStatus.RATE_UNSTABLE and short.regression_rate_se > 0.01
    assert short.label == "regression_fixed_discount:smoothed_curve"
    # The curve pools the unstable expiry too, but its weight (1/se^2) is < 1e-3 of the others':
    # the rate used is 4.5% within 1e-4.
    assert -np.log(short.discount) / t[0] == pytest.approx(0.045, abs=1e-4)
    assert abs(short.forward - forwards[0]) < 0.5
    assert [o.label for o in out[1:]] == ["regression"] * 3


def test_non_monotone_discount_drops_the_odd_expiry():
    """r = -1.5% at 0.5 y between 4% expiries: inside the band, but D(0.5) > D(0.25) by
    more than a -2% rate allows. Only that expiry is flagged (not its neighbours)."""
    t, forwards, pairs = _snapshot([0.1, 0.25, 0.5, 1.0, 2.0], [0.04, 0.04, -0.015, 0.04, 0.04])
    out = parity.implied_forwards(t, np.full(5, 4000.0), pairs)
    assert [o.rate_status for o in out] == [RateStatus.OK] * 2 + [RateStatus.DISCOUNT_NOT_MONOTONE] + [RateStatus.OK] * 2
    assert out[2].label == "regression_fixed_discount:smoothed_curve"
    assert out[2].discount == pytest.approx(np.exp(-0.04 * 0.5), rel=1e-9)
    assert out[2].regression_rate == pytest.approx(-0.015, abs=1e-9)
    # A flat 0% curve with noisy D is monotone within its standard errors: nothing dropped.
    rng = np.random.default_rng(2)
    t2, _, pairs2 = _snapshot([0.05, 0.06, 0.07, 0.08], np.zeros(4), carry=0.1)
    noisy = [p._replace(call_mid=p.call_mid + rng.uniform(-0.3, 0.3, p.strike.size) * p.call_spread)
             for p in pairs2]
    assert all(o.rate_status is RateStatus.OK for o in parity.implied_forwards(t2, np.full(4, 4000.0), noisy))


def test_configured_curve_when_the_snapshot_cannot_pin_the_rate():
    """Both expiries outside the band: nothing to smooth, the configured {0.25: 3%, 1: 5%}
    curve (linear between, flat beyond) gives D, and F comes from parity with it."""
    t, forwards, pairs = _snapshot([0.5, 1.0], [0.4, -0.1])
    curve = RateCurve.from_config({"0.25": 0.03, 1: 0.05})
    out = parity.implied_forwards(t, np.full(2, 4000.0), pairs, rate_curve=curve)
    assert [o.label for o in out] == ["regression_fixed_discount:rate_curve"] * 2
    assert [o.rate_status for o in out] == [RateStatus.RATE_OUTSIDE_BAND] * 2
    np.testing.assert_allclose([o.discount for o in out], np.exp(-np.array([0.03 + 0.02 / 0.75 * 0.25, 0.05]) * t),
                               rtol=1e-12)
    for o, f in zip(out, forwards):
        assert abs(o.forward - f) < 2.0 * o.forward_se
    # One trusted expiry beside the outlier: its 4% is the (flat) smoothed curve.
    t, forwards, pairs = _snapshot([0.5, 1.0], [0.4, 0.04])
    out = parity.implied_forwards(t, np.full(2, 4000.0), pairs, rate_curve=curve)
    assert out[0].label == "regression_fixed_discount:smoothed_curve" and out[1].label == "regression"
    assert out[0].discount == pytest.approx(np.exp(-0.04 * 0.5), rel=1e-9)


def test_unstable_expiries_pooled_into_the_smoothed_curve():
    """Eight expiries of 1-8 days at r = 4%, every 2nd strike, spreads >= USD 1, mids noisy
    within them: each se(r) is 1.2-9% (none pins r to 1% alone), pooled 0.66%: the smoothed
    curve, within 3 pooled se of 4%. Every 8th strike: pooled 1.3% > 1%, the configured curve
    if there is one, else still the smoothed curve (better than a made-up zero)."""
    rng = np.random.default_rng(4)
    t = np.arange(1, 9) / 365

    def noisy(step):
        _, _, pairs = _snapshot(t, np.full(t.size, 0.04), min_spread=1.0)
        pairs = [_subset(p, slice(None, None, step)) for p in pairs]
        return [p._replace(call_mid=p.call_mid + rng.uniform(-0.3, 0.3, p.strike.size) * p.call_spread)
                for p in pairs]

    out = parity.implied_forwards(t, np.full(t.size, 4000.0), noisy(2))
    assert all(o.rate_status is RateStatus.RATE_UNSTABLE for o in out)
    assert all(o.label == "regression_fixed_discount:smoothed_curve" for o in out)
    smooth = parity.smoothed_rate_curve(t, [o.regression_rate for o in out], [o.regression_rate_se for o in out])
    assert smooth.level_se < 0.01 and abs(smooth.level - 0.04) < 3 * smooth.level_se
    np.testing.assert_allclose([o.discount for o in out], np.exp(-smooth.curve(t) * t), rtol=1e-12)
    sparse = noisy(8)
    out = parity.implied_forwards(t, np.full(t.size, 4000.0), sparse, rate_curve=RateCurve.from_config(0.045))
    assert all(o.label == "regression_fixed_discount:rate_curve" for o in out)
    np.testing.assert_allclose([o.discount for o in out], np.exp(-0.045 * t), rtol=1e-12)
    out = parity.implied_forwards(t, np.full(t.size, 4000.0), sparse)
    assert all(o.label == "regression_fixed_discount:smoothed_curve" for o in out)
    # A pooled level outside the band is not used either way: zero rate (none configured).
    _, _, pairs = _snapshot(t, np.full(t.size, -0.2), min_spread=1.0)
    out = parity.implied_forwards(t, np.full(t.size, 4000.0), [_subset(p, slice(None, None, 8)) for p in pairs])
    assert all(o.label == "regression_fixed_discount:rate_curve" and o.discount == 1.0 for o in out)


def test_rate_curve_from_config_and_smoothed_curve():
    assert RateCurve.from_config(0.03)(np.array([0.0, 5.0])).tolist() == [0.03, 0.03]
    with pytest.raises(ValueError, match="empty"):
        RateCurve.from_config({})
    # Exact rates on a line r = 3% + 1% t are recovered; flat beyond the first and last.
    t = np.array([0.1, 0.5, 1.0, 2.0])
    smooth = parity.smoothed_rate_curve(t, 0.03 + 0.01 * t, np.full(4, 1e-3))
    np.testing.assert_allclose(smooth.curve(np.array([0.0, 0.1, 1.5, 2.0, 5.0])), [0.031, 0.031, 0.045, 0.05, 0.05],
                               rtol=1e-12)
    assert smooth.level_se == pytest.approx(1e-3 / 2)                  # 4 points of se 1e-3
    # A line whose forward rate would fall below the band's floor: the weighted mean instead.
    steep = parity.smoothed_rate_curve(t, 0.09 - 0.08 * t, np.full(4, 1e-3))
    assert steep.curve.rate.shape == (1,)
    assert steep.curve(1.0) == pytest.approx(np.mean(0.09 - 0.08 * t), abs=0.02)   # robust mean: near it
    # Fewer than 3 points: the weighted mean, weights 1/se^2 (no point is an outlier here).
    two = parity.smoothed_rate_curve([0.1, 1.0], [0.04, 0.041], [2e-3, 1e-3])
    assert two.curve(0.5) == pytest.approx((0.04 / 4 + 0.041) / (1 / 4 + 1), rel=1e-12)
    # Clipped to the band; the level itself is not.
    one = parity.smoothed_rate_curve([1.0], [0.3], [1e-3])
    assert one.curve(1.0) == 0.10 and one.level == 0.3
    # An outlier many se off the others is down-weighted (Huber), not averaged in.
    robust = parity.smoothed_rate_curve(np.arange(1, 7) * 0.1, [0.04] * 5 + [0.09], np.full(6, 2e-3))
    assert robust.curve(0.3) == pytest.approx(0.04, abs=1e-3)


def test_vix_like_forward_comes_from_parity_not_spot():
    """VIX options: the index (spot) is 15, the expiry's future 18, vols ~90% on the future,
    strikes 10-40 by 1, spreads USD 0.05-0.10: the forward is 18, far from spot, by the
    regression and by every fallback that has pairs (within USD 0.02 = half the smallest
    spread); only the one-sided expiry carries spot, at the other expiries' carry."""
    spot, t = 15.0, np.array([20 / 365, 48 / 365, 76 / 365])
    forwards = np.array([18.0, 19.2, 19.8])
    strikes = np.arange(10.0, 41.0)
    pairs = []
    for f, tt in zip(forwards, t):
        k = np.log(strikes / f)
        vol = 0.9 + 0.5 * k + 0.3 * k**2                   # VIX: upward skew
        call = np.asarray(black.price(f, strikes, tt, vol, True, np.exp(-0.045 * tt)))
        put = np.asarray(black.price(f, strikes, tt, vol, False, np.exp(-0.045 * tt)))
        two_sided = (call > 0.05) & (put > 0.05)
        pairs.append(Pairs(strikes[two_sided], call[two_sided], put[two_sided],
                           np.clip(0.05 * call[two_sided], 0.05, 0.1), np.clip(0.05 * put[two_sided], 0.05, 0.1)))
    out = parity.implied_forwards(t, np.full(3, spot), pairs)
    for o, f in zip(out, forwards):
        assert abs(o.forward - f) < 0.02 and abs(o.forward - spot) > 2.5, o
        assert o.method in (ForwardMethod.REGRESSION, ForwardMethod.FIXED_DISCOUNT)
    # Three pairs only (few_strikes) and no pair at all (one_sided, spot at the parity carry).
    few = _subset(pairs[0], [5, 8, 11])
    out = parity.implied_forwards(t, np.full(3, spot), [few, pairs[1], Pairs.empty()])
    assert out[0].method is ForwardMethod.FEW_STRIKES and abs(out[0].forward - 18.0) < 0.02
    assert out[2].method is ForwardMethod.ONE_SIDED
    # one_sided: spot carried at the parity carry of the 48-day expiry (flat beyond it).
    assert out[2].forward == pytest.approx(spot * (out[1].forward / spot) ** (t[2] / t[1]), rel=1e-12)


def test_deribit_like_inverse_chain():
    """BTC options quoted in BTC, tick 0.0001, converted to USD at each expiry's own
    underlying (the future, 5-10%/yr basis above the index at 100000); D = 1 (the coin
    carries the basis, not the discounting). Every expiry's forward is within 3 se (and
    USD 60) of the truth and far from spot; the rates used stay within 1% of zero, the
    expiries with a regression rate outside the band or too unstable are flagged."""
    rng = np.random.default_rng(8)
    spot, t = 100_000.0, np.array([1, 2, 7, 14, 30, 60, 91, 182]) / 365.0
    forwards = spot * np.exp(np.interp(t, [0.0, 0.5], [0.05, 0.10]) * t)
    tick = 1e-4
    pairs = []
    for f, tt in zip(forwards, t):
        strikes = np.arange(0.5, 1.6, 0.025) * spot
        k = np.log(strikes / f)
        vol = 0.5 - 0.05 * k + 0.3 * k**2
        coin = [np.asarray(black.price(f, strikes, tt, vol, c, 1.0)) / f for c in (True, False)]
        bid = [np.floor(c * (1 - 0.03) / tick - rng.integers(0, 3, c.size)) * tick for c in coin]
        ask = [np.ceil(c * (1 + 0.03) / tick + rng.integers(0, 3, c.size)) * tick for c in coin]
        ok = (bid[0] > 0) & (bid[1] > 0)
        usd = [(f * b[ok], f * a[ok]) for b, a in zip(bid, ask)]
        pairs.append(Pairs(strikes[ok], 0.5 * sum(usd[0]), 0.5 * sum(usd[1]), usd[0][1] - usd[0][0],
                           usd[1][1] - usd[1][0]))
    out = parity.implied_forwards(t, np.full(t.size, spot), pairs)
    for o, f in zip(out, forwards):
        assert o.method is not ForwardMethod.FAILED
        assert abs(o.forward - f) < max(3.0 * o.forward_se, 10.0) and abs(o.forward - f) < 60.0, o
        assert abs(o.forward / spot - 1) > 0.5 * np.log(f / spot)
        rate = -np.log(o.discount) / t[list(forwards).index(f)]
        assert abs(rate) < 0.01, o
        if o.rate_status is not RateStatus.OK:
            assert o.discount_source is not DiscountSource.REGRESSION and o.label != "regression"


@given(rate=st.floats(-0.0199, 0.0999), t=st.floats(0.02, 3.0), carry=st.floats(-0.05, 0.3))
def test_exact_snapshot_is_trusted_property(rate, t, carry):
    """Exact quotes at a plausible rate: every expiry is trusted, D and F recovered."""
    ts, forwards, pairs = _snapshot([t, 1.5 * t, 2 * t], np.full(3, rate), carry=carry)
    out = parity.implied_forwards(ts, np.full(3, 4000.0), pairs)
    for o, f, tt in zip(out, forwards, ts):
        assert o.label == "regression" and o.rate_status is RateStatus.OK
        assert o.forward == pytest.approx(f, rel=1e-8) and o.discount == pytest.approx(np.exp(-rate * tt), rel=1e-8)


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
