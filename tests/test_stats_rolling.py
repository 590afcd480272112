"""jaxmm.stats.rolling against pandas / numpy references.

Tolerances: float64; window sums are direct sums of <= window terms, so agreement with
pandas (its own add/remove online algorithm) is ~1e-13 relative on returns; asserted at
rtol 1e-10 (atol 1e-14 for quantities that can be ~0, such as correlations and means).
"""

import numpy as np
import pandas as pd
import pytest

import jax.numpy as jnp

from jaxmm.stats.rolling import (hedge_ratio, log_returns, realised_vol, rolling_mean,
                                 rolling_regression, rolling_std)

RTOL = 1e-10


def _returns(shape, seed=0, nan_frac=0.05):
    rng = np.random.default_rng(seed)
    vol = np.exp(rng.normal(np.log(0.02), 0.5, shape[:-1] + (1,)))       # per-series vol
    r = rng.standard_t(5, shape) * vol + 0.0005
    r[rng.random(shape) < nan_frac] = np.nan
    return r


def _prices(shape, seed=0, nan_frac=0.02):
    rng = np.random.default_rng(seed)
    p = 70.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, shape), axis=-1))
    p[rng.random(shape) < nan_frac] = np.nan
    return p


def _pd_apply(a, fn):
    """fn(pd.DataFrame with columns = series) -> (n_series, T)."""
    return fn(pd.DataFrame(np.asarray(a).T)).to_numpy().T


def _close(got, want, rtol=RTOL, atol=1e-14):
    got = np.asarray(got)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


@pytest.mark.parametrize("window,min_periods", [(20, None), (20, 5), (7, 1), (1, None)])
def test_mean_std_match_pandas_many_series(window, min_periods):
    x = _returns((50, 300), seed=1)
    for fn, ref in [(lambda a: rolling_mean(a, window, min_periods),
                     lambda d: d.rolling(window, min_periods=min_periods).mean()),
                    (lambda a: rolling_std(a, window, min_periods),
                     lambda d: d.rolling(window, min_periods=min_periods).std()),
                    (lambda a: rolling_std(a, window, min_periods, ddof=0),
                     lambda d: d.rolling(window, min_periods=min_periods).std(ddof=0))]:
        _close(fn(jnp.asarray(x)), _pd_apply(x, ref))


def test_std_of_prices_far_from_series_mean():
    """A drifting price level (large mean / window std): still ~1e-10 of pandas."""
    p = _prices((5, 2000), seed=2)
    want = _pd_apply(p, lambda d: d.rolling(20).std())
    _close(rolling_std(jnp.asarray(p), 20), want, rtol=1e-9)


def test_batch_dims_and_single_series():
    x = _returns((3, 4, 120), seed=3)
    got = np.asarray(rolling_std(jnp.asarray(x), 10))
    for i in range(3):
        for j in range(4):
            _close(got[i, j], pd.Series(x[i, j]).rolling(10).std().to_numpy())
    _close(rolling_mean(jnp.asarray(x[0, 0]), 10), pd.Series(x[0, 0]).rolling(10).mean().to_numpy())


def test_realised_vol_is_annualised_std():
    r = _returns((50, 300), seed=4)
    want = _pd_apply(r, lambda d: d.rolling(20).std() * np.sqrt(252.0))
    _close(realised_vol(jnp.asarray(r)), want)
    _close(realised_vol(jnp.asarray(r), window=10, annualisation=365.0, min_periods=3),
           _pd_apply(r, lambda d: d.rolling(10, min_periods=3).std() * np.sqrt(365.0)))


def test_log_returns_nan_and_roll_mask():
    p = _prices((50, 300), seed=5)
    want = _pd_apply(p, lambda d: np.log(d).diff())
    _close(log_returns(jnp.asarray(p)), want, rtol=1e-13)
    # a roll: the tenor jumps from the old contract to the new one; the return is masked.
    p1 = np.array([80.0, 81.0, 82.0, 70.0, 70.7, 71.0])
    rolled = np.array([False, False, False, True, False, False])
    r = np.asarray(log_returns(jnp.asarray(p1), valid=jnp.asarray(~rolled)))
    assert np.isnan(r[0]) and np.isnan(r[3])
    np.testing.assert_allclose(r[[1, 2, 4, 5]], np.log(p1[[1, 2, 4, 5]] / p1[[0, 1, 3, 4]]), rtol=1e-15)
    # non-positive prices (WTI 2020-04-20) give NaN, not -inf or a silent number.
    r = np.asarray(log_returns(jnp.array([10.0, -37.6, 10.0, 0.0, 5.0])))
    assert np.isnan(r).all()


def test_roll_masked_vol_excludes_the_jump():
    """Masking the roll-day return = dropping it: vol equals pandas on the NaN-ed returns."""
    rng = np.random.default_rng(6)
    p = 70.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (4, 200)), axis=-1))
    rolled = np.zeros(p.shape, bool)
    rolled[:, 21::21] = True
    p = p * 0.8 ** np.cumsum(rolled, axis=-1)   # a persistent 20% jump on every roll date
    r = np.asarray(log_returns(jnp.asarray(p), valid=jnp.asarray(~rolled)))
    ref = np.log(pd.DataFrame(p.T)).diff().to_numpy().T.copy()
    ref[rolled] = np.nan
    _close(r, ref, rtol=1e-13)
    vol = np.asarray(realised_vol(jnp.asarray(r), min_periods=15))
    _close(vol, _pd_apply(ref, lambda d: d.rolling(20, min_periods=15).std() * np.sqrt(252.0)))
    assert np.nanmax(vol) < 0.4               # the 22% jumps would give vols > 1


def test_regression_corr_matches_pandas_and_lstsq():
    rng = np.random.default_rng(7)
    x = _returns((50, 300), seed=8)
    y = 0.7 * np.nan_to_num(x) + 0.01 * rng.normal(size=x.shape) + 0.001
    y[rng.random(y.shape) < 0.05] = np.nan
    reg = rolling_regression(jnp.asarray(y), jnp.asarray(x), 20, min_periods=10)
    want_corr = np.stack([pd.Series(y[i]).rolling(20, min_periods=10).corr(pd.Series(x[i]))
                          for i in range(50)])
    _close(reg.corr, want_corr)
    assert np.nanmax(np.abs(reg.corr)) <= 1.0
    # one window at a time against numpy lstsq, a few series and dates
    for i in (0, 17, 49):
        for t in (9, 25, 150, 299):
            xs, ys = x[i, max(t - 19, 0):t + 1], y[i, max(t - 19, 0):t + 1]
            ok = ~np.isnan(xs) & ~np.isnan(ys)
            n = ok.sum()
            assert float(reg.n[i, t]) == n
            if n < 10:
                assert np.isnan(float(reg.slope[i, t]))
                continue
            a = np.column_stack([np.ones(n), xs[ok]])
            coef, ssr, *_ = np.linalg.lstsq(a, ys[ok], rcond=None)
            cov = ssr[0] / (n - 2) * np.linalg.inv(a.T @ a)
            np.testing.assert_allclose(float(reg.slope[i, t]), coef[1], rtol=1e-10)
            np.testing.assert_allclose(float(reg.intercept[i, t]), coef[0], rtol=1e-8, atol=1e-14)
            np.testing.assert_allclose(float(reg.slope_se[i, t]), np.sqrt(cov[1, 1]), rtol=1e-9)


def test_hedge_ratio_matches_pandas_seed_recipe():
    f = _prices((50, 300), seed=9)
    b = 0.9 * f * np.exp(np.random.default_rng(10).normal(0, 0.01, f.shape).cumsum(-1) * 0.3)
    b[np.random.default_rng(11).random(b.shape) < 0.02] = np.nan
    hr = hedge_ratio(jnp.asarray(f), jnp.asarray(b))
    df, db = pd.DataFrame(f.T), pd.DataFrame(b.T)
    rf, rb = np.log(df).diff(), np.log(db).diff()
    vf, vb = rf.rolling(20).std() * np.sqrt(252), rb.rolling(20).std() * np.sqrt(252)
    corr = rb.rolling(20).corr(rf)
    beta = corr * vb / vf
    h = beta * db / df
    for got, want in [(hr.front_vol, vf), (hr.back_vol, vb), (hr.corr, corr), (hr.beta, beta),
                      (hr.price_ratio, db / df), (hr.h, h)]:
        _close(got, want.to_numpy().T, atol=1e-13)
    h_ = np.asarray(hr.h)
    np.testing.assert_array_equal(np.asarray(hr.h2), h_ * h_)
    np.testing.assert_array_equal(np.asarray(hr.contracts_per_front), 1.0 / h_)
    c = np.asarray(hr.corr)
    assert np.all(np.abs(c[~np.isnan(c)]) <= 1.0)


def test_hedge_ratio_closed_form_power_law():
    """back = C front^beta  =>  r_back = beta r_front: corr 1, beta and h exact."""
    beta, const = 0.35, 3.0
    f = _prices((6, 250), seed=12, nan_frac=0.0)
    rolled = np.zeros(f.shape, bool)
    rolled[:, 60::21] = True
    b = const * f ** beta
    hr = hedge_ratio(jnp.asarray(f), jnp.asarray(b), front_valid=jnp.asarray(~rolled),
                     back_valid=jnp.asarray(~rolled))
    ok = ~np.isnan(np.asarray(hr.h))
    assert ok[:, 20:60].all() and not ok[:, 60:80].any()      # roll masks 20 windows
    np.testing.assert_allclose(np.asarray(hr.corr)[ok], 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(hr.beta)[ok], beta, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(hr.h)[ok], (beta * b / f)[ok], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(hr.contracts_per_front)[ok], (f / (beta * b))[ok], rtol=1e-12)


def test_bad_window_arguments():
    x = jnp.ones(10)
    with pytest.raises(ValueError, match="window"):
        rolling_mean(x, 0)
    with pytest.raises(ValueError, match="min_periods"):
        rolling_std(x, 5, min_periods=6)
