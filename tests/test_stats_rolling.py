"""jaxmm.stats.rolling against pandas / numpy references.

Tolerances: float64; every window statistic is computed from the window's own <= window
observations (two-pass for windows up to ``_DIRECT_MAX_WINDOW*``, centred window sums
above), so agreement with pandas (its own add/remove online algorithm) is ~1e-13 relative
on returns; asserted at rtol 1e-10 (atol 1e-14 for quantities that can be ~0, such as
correlations and means). The vectorised log (``_log``) is checked against mpmath (<= 1 ulp).
"""

import mpmath
import numpy as np
import pandas as pd
import pytest

import jax.numpy as jnp

from jaxmm.stats import rolling
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


# ---- numerical paths of the window kernels and the vectorised log -------------------------


def _windows_ref(x, window, min_periods, ddof):
    """Per-window mean and std in numpy longdouble (80-bit on x86), pandas semantics."""
    ld = np.longdouble
    mean = np.full(x.shape, np.nan)
    std = np.full(x.shape, np.nan)
    for idx in np.ndindex(x.shape[:-1]):
        s = x[idx]
        for t in range(s.size):
            w = s[max(t - window + 1, 0):t + 1].astype(ld)
            w = w[~np.isnan(w)]
            if w.size >= min_periods:
                mean[idx + (t,)] = float(w.mean())
                if w.size > ddof:
                    std[idx + (t,)] = float(np.sqrt(((w - w.mean()) ** 2).sum() / (w.size - ddof)))
    return mean, std


@pytest.mark.parametrize("window", [1, 2, 19, 20, rolling._DIRECT_MAX_WINDOW_PAIRS,
                                    rolling._DIRECT_MAX_WINDOW_PAIRS + 1, rolling._DIRECT_MAX_WINDOW,
                                    rolling._DIRECT_MAX_WINDOW + 1])
@pytest.mark.parametrize("mp_kind", ["window", "half", "one"])
def test_window_edges_all_paths_match_longdouble(window, mp_kind):
    """Direct two-pass kernels (complete windows / masked), the long-window path, min_periods,
    windows at and around the path thresholds, leading NaN, a NaN gap longer than the window."""
    mp = {"window": window, "half": max(window // 2, 1), "one": 1}[mp_kind]
    x = _returns((3, 160), seed=20, nan_frac=0.05)
    x[0, :7] = np.nan                       # leading NaN
    x[1, 40:40 + window + 5] = np.nan       # a gap longer than the window
    want_mean, want_std = _windows_ref(x, window, mp, 1)
    _close(rolling_mean(jnp.asarray(x), window, mp), want_mean, atol=1e-15)
    _close(rolling_std(jnp.asarray(x), window, mp), want_std, rtol=1e-11)
    _, want_std0 = _windows_ref(x, window, mp, 0)
    _close(rolling_std(jnp.asarray(x), window, mp, ddof=0), want_std0, rtol=1e-11, atol=1e-15)


def test_std_large_mean_long_series_is_window_local():
    """A level of 1e6 with noise 1e-2 and a trend over 20,000 dates: the two-pass window
    kernel never forms ``Q - S^2/n`` of the level, so it keeps ~1e-12 where a global-centred
    sum would lose ~(level / std)^2 eps."""
    rng = np.random.default_rng(21)
    t = np.arange(20_000)
    x = 1e6 + 1e-3 * t + rng.normal(0.0, 1e-2, (2, t.size))
    x[:, 5000:5003] = np.nan
    got = np.asarray(rolling_std(jnp.asarray(x), 20))
    win = np.lib.stride_tricks.sliding_window_view(x.astype(np.longdouble), 20, axis=-1)
    want = np.full(x.shape, np.nan)
    want[:, 19:] = np.sqrt(((win - win.mean(-1, keepdims=True)) ** 2).sum(-1) / 19).astype(float)
    _close(got, want, rtol=1e-9)


def test_constant_and_all_nan_and_empty_series():
    x = np.array([[5.0] * 30, [np.nan] * 30, [1e300] * 30])
    std = np.asarray(rolling_std(jnp.asarray(x), 10))
    assert np.all(std[0, 9:] == 0.0) and np.isnan(std[1]).all() and np.all(std[2, 9:] == 0.0)
    np.testing.assert_array_equal(np.asarray(rolling_mean(jnp.asarray(x), 10))[0, 9:], 5.0)
    assert np.isnan(np.asarray(realised_vol(jnp.asarray(x[:2]), 10, min_periods=1))[1]).all()
    assert rolling_std(jnp.zeros((0, 12)), 5).shape == (0, 12)
    assert np.isnan(np.asarray(rolling_std(jnp.arange(5.0), 8))).all()       # window > T


def test_regression_paths_agree_with_pandas_around_threshold():
    x = _returns((4, 200), seed=22)
    y = 0.3 * np.nan_to_num(x) + 0.01 * np.random.default_rng(23).normal(size=x.shape)
    y[:, 50:53] = np.nan
    for window in (rolling._DIRECT_MAX_WINDOW_PAIRS, rolling._DIRECT_MAX_WINDOW_PAIRS + 1):
        for mp in (None, 10):
            reg = rolling_regression(jnp.asarray(y), jnp.asarray(x), window, mp)
            want = np.stack([pd.Series(y[i]).rolling(window, min_periods=mp).corr(pd.Series(x[i]))
                             for i in range(4)])
            _close(reg.corr, want, atol=1e-13)
            n_want = np.stack([pd.Series((~np.isnan(x[i]) & ~np.isnan(y[i])).astype(float))
                               .rolling(window, min_periods=1).sum() for i in range(4)])
            np.testing.assert_array_equal(np.asarray(reg.n), n_want)


def test_hedge_ratio_long_window_path_and_broadcast():
    """window above the direct threshold (reduce_window path) and a (T,) front against (n, T)
    backs give the same numbers as the per-row pandas recipe."""
    f = _prices((1, 400), seed=24)[0]
    b = 0.8 * f * np.exp(np.random.default_rng(25).normal(0, 0.01, (3, 400)).cumsum(-1) * 0.2)
    for window in (20, rolling._DIRECT_MAX_WINDOW_PAIRS + 8):
        hr = hedge_ratio(jnp.asarray(f), jnp.asarray(b), window)
        assert hr.h.shape == (3, 400) and hr.front_vol.shape == (400,)
        rf = np.log(pd.Series(f)).diff()
        for i in range(3):
            rb = np.log(pd.Series(b[i])).diff()
            vf, vb = rf.rolling(window).std() * np.sqrt(252), rb.rolling(window).std() * np.sqrt(252)
            h = rb.rolling(window).corr(rf) * vb / vf * b[i] / f
            _close(hr.h[i], h.to_numpy(), atol=1e-13)
            _close(hr.front_vol, vf.to_numpy())


def test_log_is_within_one_ulp_of_mpmath():
    mpmath.mp.prec = 120
    rng = np.random.default_rng(26)
    x = np.concatenate([np.exp(rng.normal(0.0, 0.03, 2000)),          # return ratios
                        rng.uniform(0.5, 2.0, 2000),                    # the reduction's edges
                        np.exp(rng.uniform(-708.0, 709.0, 2000)),       # all exponents
                        1.0 + rng.normal(0.0, 1e-9, 500)])
    got = np.asarray(rolling._log(jnp.asarray(x)))
    exact = np.array([float(mpmath.log(mpmath.mpf(float(v)))) for v in x])
    assert np.max(np.abs(got - exact) / np.spacing(np.abs(exact))) <= 1.0
    special = np.array([1.0, np.inf, -np.inf, 0.0, -0.0, -1.0, np.nan, 5e-324,
                        np.finfo(float).max, np.finfo(float).tiny])
    with np.errstate(all="ignore"):
        want = np.log(special)
    want[7] = -np.inf                       # subnormal: flushed to zero on XLA:CPU, as jnp.log
    np.testing.assert_array_equal(np.asarray(rolling._log(jnp.asarray(special))), want)


def test_float32_inputs_use_their_dtype():
    """float32 prices (the float64 ``_log`` does not apply) give float32 results close to the
    float64 ones."""
    f = _prices((3, 120), seed=27, nan_frac=0.0)
    b = 0.9 * f * np.exp(np.random.default_rng(28).normal(0, 0.01, f.shape).cumsum(-1) * 0.3)
    h32 = hedge_ratio(jnp.asarray(f, jnp.float32), jnp.asarray(b, jnp.float32))
    h64 = hedge_ratio(jnp.asarray(f), jnp.asarray(b))
    assert h32.h.dtype == jnp.float32 and log_returns(jnp.asarray(f, jnp.float32)).dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(h32.front_vol), np.asarray(h64.front_vol), rtol=1e-3)
