"""Vol risk premium, ETF premium, rolling z-score, cross-ETF spread (jaxmm.stats.premia).

References are pandas rolling statistics computed series by series (one pandas Series a
row) while jaxmm does all rows at once. Tolerances: 1e-10 relative / 1e-12 absolute on vols
and premia (float64; differences are summation order), 1e-9 on z-scores (a ratio that
amplifies rounding when the window's std is small); the seed's figures to their printed
precision.
"""

import numpy as np
import pandas as pd

from jaxmm.stats.premia import (
    cross_etf_spread,
    etf_premium,
    forward_vol_risk_premium,
    rolling_zscore,
    vol_risk_premium,
)


def _panel(seed, n_series=4, n_t=300, nan_frac=0.05):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, (n_series, n_t))
    x[rng.random(x.shape) < nan_frac] = np.nan
    return x


def _rows(fn, x):
    return np.stack([fn(pd.Series(row)).to_numpy() for row in x])


def test_vol_risk_premium_matches_pandas_over_many_series():
    window = 20
    r = _panel(0, nan_frac=0.0)
    iv = 0.15 + 0.05 * np.random.default_rng(1).random(r.shape)
    rv = _rows(lambda s: s.rolling(window, min_periods=window).std() * np.sqrt(252.0), r)
    got = np.asarray(vol_risk_premium(iv, r, window=window, min_periods=window))
    np.testing.assert_allclose(got, iv - rv, rtol=1e-10, atol=1e-12, equal_nan=True)
    assert np.isnan(got[:, : window - 1]).all() and np.isfinite(got[:, window - 1:]).all()


def test_forward_vol_risk_premium_is_iv_minus_next_window_realised():
    window = 21
    r = _panel(2, nan_frac=0.0)
    iv = np.full(r.shape, 0.2)
    rv = _rows(lambda s: s.rolling(window, min_periods=window).std().shift(-window) * np.sqrt(252.0), r)
    got = np.asarray(forward_vol_risk_premium(iv, r, window=window, min_periods=window))
    np.testing.assert_allclose(got, iv - rv, rtol=1e-10, atol=1e-12, equal_nan=True)
    assert np.isnan(got[:, -window:]).all()
    # Entry t is realised over r[t+1 .. t+window] exactly:
    t = 50
    np.testing.assert_allclose(got[0, t], 0.2 - np.std(r[0, t + 1:t + 1 + window], ddof=1) * np.sqrt(252.0),
                               rtol=1e-10)


def test_seed_implied_vs_realised_example():
    # Seed 000: "VIX shows 20% implied vol but SPY's 30-day realised vol is only 12%".
    # Returns with realised vol exactly 12% over 30 days: +-a alternating, a = 0.12/sqrt(252)
    # scaled for the sample std of an even +-a sequence (std = a sqrt(n / (n - 1))).
    n = 30
    a = 0.12 / np.sqrt(252.0) / np.sqrt(n / (n - 1))
    r = np.tile([a, -a], n // 2)
    got = np.asarray(vol_risk_premium(np.full(n, 0.20), r, window=n))
    np.testing.assert_allclose(got[-1], 0.08, rtol=1e-12)


def test_etf_premium_seed_numbers_and_bad_nav():
    # Seed 000: ARKK NAV $152.43, price $156.10, "Premium: 2.41%".
    assert abs(float(etf_premium(156.10, 152.43)) * 100 - 2.41) <= 0.005
    # EEM +0.30%, IEMG -0.10% to NAV: "Spread: 40 bps".
    s = cross_etf_spread(etf_premium(np.array([100.30]), 100.0), etf_premium(np.array([49.95]), 50.0), 5)
    np.testing.assert_allclose(float(s.spread[-1]) * 1e4, 40.0, rtol=1e-10)
    out = np.asarray(etf_premium(np.array([10.0, 10.0, np.nan, 10.0]), np.array([0.0, -1.0, 9.0, np.nan])))
    assert np.isnan(out).all()


def test_rolling_zscore_matches_pandas_with_gaps():
    window, min_periods = 30, 10
    x = np.cumsum(np.nan_to_num(_panel(3, n_series=6, n_t=400)), axis=-1)
    x[np.random.default_rng(4).random(x.shape) < 0.05] = np.nan
    ref = _rows(lambda s: (s - s.rolling(window, min_periods=min_periods).mean())
                / s.rolling(window, min_periods=min_periods).std(), x)
    got = np.asarray(rolling_zscore(x, window, min_periods=min_periods))
    assert got.shape == x.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12, equal_nan=True)


def test_rolling_zscore_flat_window_is_nan_not_inf():
    got = np.asarray(rolling_zscore(np.ones((2, 10)), 5))
    assert np.isnan(got).all()


def test_cross_etf_spread_broadcasts_and_matches_pandas():
    window = 20
    rng = np.random.default_rng(5)
    a = rng.normal(0.0, 0.002, 250)                          # one fund
    b = rng.normal(0.0, 0.002, (3, 250))                     # three peers on the same index
    out = cross_etf_spread(a, b, window, min_periods=window)
    assert out.spread.shape == out.zscore.shape == (3, 250)
    spread = a[None, :] - b
    np.testing.assert_allclose(np.asarray(out.spread), spread, rtol=0, atol=0)
    ref = _rows(lambda s: (s - s.rolling(window).mean()) / s.rolling(window).std(), spread)
    np.testing.assert_allclose(np.asarray(out.zscore), ref, rtol=1e-9, atol=1e-12, equal_nan=True)
