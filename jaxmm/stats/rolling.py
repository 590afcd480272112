"""Rolling (trailing-window) statistics of many series at once: returns, mean, standard
deviation, realised vol, OLS regression / correlation / beta, and the futures hedge ratio.

Numerics core (no pandas). Conventions shared by every function here:

- arrays are shaped ``(..., T)`` with **time on the last axis**; leading axes are a batch
  of independent series, all computed in one vectorised call (no Python loop over series
  or dates);
- ``NaN`` marks a missing observation. A window statistic at ``t`` uses the non-missing
  observations of the trailing window ``[t - window + 1, t]`` (inclusive) and is ``NaN``
  unless at least ``min_periods`` (default ``window``) of them are present, exactly as
  ``pandas.Series.rolling(window, min_periods).<stat>()``;
- pairwise statistics (regression, correlation) use the dates where **both** series are
  present, as ``pandas.Series.rolling(...).corr(other)``;
- float64 (enable x64), jit-compiled with ``window``, ``min_periods`` and ``ddof`` static.

**Algorithm and accuracy.** For windows up to ``_DIRECT_MAX_WINDOW`` (64; 32 for the
pairwise statistics) every statistic at ``t`` is computed from its window's own
observations: the series is padded with ``window - 1`` leading NaN and the ``window`` lags
``x[t - k]`` are static slices, which XLA fuses with the arithmetic into one vectorised
loop per output (no running sum, no intermediate window-sum arrays). The moments are
two-pass, ``mean = sum x / n`` then ``M2 = sum (x - mean)^2`` (and ``sum (x - xbar)(y -
ybar)``), pairwise-summed: rounding ``~ log2(window) eps`` of the window's own scale, with
no cancellation and nothing carried along the history -- a price level far from its mean
is as accurate as a return. With ``min_periods == window`` (the default, and everything
``hedge_ratio`` uses) a window with a missing observation is NaN by propagation, so no
counts or masks are formed; otherwise NaN are masked and counted in the same loop. The cost
is O(window) flops per output, yet on XLA:CPU it beats the O(1)-per-output schemes XLA can
express, which need a scan over time or extra passes over memory (one 20-day window sum of
500 x 5,000, 256-bit SIMD, 2 threads: direct 3.2 ms; ``reduce_window`` 7.5, ``cumsum`` difference 7.7, time-major
``lax.scan`` 6.4, block-triangular matmul 6.4, shift-and-add doubling 7.3 ms).

Longer windows use centred window sums (``lax.reduce_window``): the series is centred on a
per-series reference ``c`` (its mean over the non-missing dates) and ``M2 = Q - S^2 / n``
with ``S = sum (x - c)``, ``Q = sum (x - c)^2`` -- relative error ``~ eps * window * (1 +
(m_t - c)^2 / s_t^2)`` (``m_t, s_t`` the window mean and standard deviation): ~1e-13 for
returns, ~1e-11 for a price level 100 window standard deviations from its mean.

Log returns use ``_log``, fdlibm's log written with array operations (XLA:CPU's own
float64 ``log`` is a scalar libm call per element): <= 1 ulp, as ``numpy.log``.

Performance (``bench/bench_rolling.py``, 2026-11-21, 2-core AMD EPYC Zen 5 VM, jax 0.10.2,
512-bit SIMD): ``hedge_ratio`` on 500 front/back pairs x 5,000 days takes 17-20 ms with both
cores free (~33 ms of CPU time) against 190-200 ms for the pandas recipe, 10x give or take
5%. About a third is the log returns, a third the three window kernels (two vols, one
correlation), a third writing the outputs (memory bound).

Reference: B. P. Welford (1962); T. F. Chan, G. H. Golub, R. J. LeVeque, "Algorithms for
computing the sample variance", The American Statistician 37 (1983) -- the two-pass and
shifted-data formulas used here.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmm._src.dtypes import float_inputs

def _float(x) -> jax.Array:
    return float_inputs(x)[0]


__all__ = [
    "HedgeRatio",
    "Regression",
    "hedge_ratio",
    "log_returns",
    "realised_vol",
    "rolling_mean",
    "rolling_regression",
    "rolling_std",
]


class Regression(NamedTuple):
    """Trailing-window OLS of ``y`` on ``x`` (every field shaped like the inputs, ``(..., T)``).

    Attributes:
      slope: ``b = Sxy / Sxx``.
      intercept: ``a = mean(y) - b mean(x)``.
      corr: Pearson correlation ``Sxy / sqrt(Sxx Syy)``, clipped to ``[-1, 1]``.
      slope_se: OLS standard error of the slope ``sqrt(SSR / (n - 2) / Sxx)``,
        ``SSR = Syy - Sxy^2 / Sxx`` (NaN when ``n <= 2``).
      n: number of (x, y) pairs used in the window (float64 so that it composes with the
        other fields under strict dtype promotion).
    """

    slope: jax.Array
    intercept: jax.Array
    corr: jax.Array
    slope_se: jax.Array
    n: jax.Array


class HedgeRatio(NamedTuple):
    """Rolling delta/gamma hedge ratio between a front and a back futures tenor.

    Every field is shaped ``(..., T)``.

    Attributes:
      front_vol: annualised realised vol of the front returns.
      back_vol: annualised realised vol of the back returns.
      corr: rolling correlation of the front and back returns (pairwise-complete dates).
      beta: ``corr * back_vol / front_vol`` (back return per unit front return).
      price_ratio: ``back / front`` (same date).
      h: ``beta * price_ratio``: the $ move of one back contract per $1 move of the front,
        i.e. the M1-equivalent delta of one back contract.
      h2: ``h**2``: the gamma multiplier, ``Gamma_back in front terms = Gamma_back * h2``.
      contracts_per_front: ``1 / h``: back contracts that delta-hedge one front contract.
    """

    front_vol: jax.Array
    back_vol: jax.Array
    corr: jax.Array
    beta: jax.Array
    price_ratio: jax.Array
    h: jax.Array
    h2: jax.Array
    contracts_per_front: jax.Array


def _check_window(window: int, min_periods: int | None) -> int:
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if min_periods is None:
        return int(window)
    if int(min_periods) != min_periods or not 1 <= min_periods <= window:
        raise ValueError(f"min_periods must be an integer in [1, window={window}], got {min_periods!r}")
    return int(min_periods)


def _window_sum(a: jax.Array, window: int) -> jax.Array:
    """Sum of ``a[..., t - window + 1 : t + 1]`` (zeros before the start), shape of ``a``."""
    ones = (1,) * a.ndim
    return jax.lax.reduce_window(a, jnp.zeros((), a.dtype), jax.lax.add, ones[:-1] + (window,), ones,
                                 [(0, 0)] * (a.ndim - 1) + [(window - 1, 0)])


def _centred(x: jax.Array, mask: jax.Array) -> jax.Array:
    """``x - c`` on ``mask`` (0 elsewhere), ``c`` the per-series mean over ``mask``."""
    count = jnp.sum(mask, axis=-1, keepdims=True).astype(x.dtype)
    ref = jnp.sum(jnp.where(mask, x, 0.0), axis=-1, keepdims=True) / jnp.maximum(count, 1.0)
    return jnp.where(mask, x - ref, 0.0), ref


def _moments_long(x: jax.Array, window: int):
    """Long windows (> ``_DIRECT_MAX_WINDOW``): count, mean and ``M2`` from centred
    ``reduce_window`` sums (``M2 = Q - S^2 / n``)."""
    mask = ~jnp.isnan(x)
    d, ref = _centred(x, mask)
    n = _window_sum(mask.astype(x.dtype), window)
    s = _window_sum(d, window)
    q = _window_sum(d * d, window)
    n_safe = jnp.maximum(n, 1.0)
    return n, ref + s / n_safe, jnp.maximum(q - s * s / n_safe, 0.0)


def _co_moments_long(y: jax.Array, x: jax.Array, window: int):
    """Long windows: pairwise count, means and ``Mxx, Myy, Mxy`` from ``reduce_window`` sums."""
    mask = ~(jnp.isnan(x) | jnp.isnan(y))
    dx, rx = _centred(x, mask)
    dy, ry = _centred(y, mask)
    n = _window_sum(mask.astype(x.dtype), window)
    sx, sy = _window_sum(dx, window), _window_sum(dy, window)
    qxx, qyy, qxy = (_window_sum(dx * dx, window), _window_sum(dy * dy, window),
                     _window_sum(dx * dy, window))
    n_safe = jnp.maximum(n, 1.0)
    mxx = jnp.maximum(qxx - sx * sx / n_safe, 0.0)
    myy = jnp.maximum(qyy - sy * sy / n_safe, 0.0)
    mxy = qxy - sx * sy / n_safe
    return n, rx + sx / n_safe, ry + sy / n_safe, mxx, myy, mxy


# ---- direct window kernels (window <= _DIRECT_MAX_WINDOW) -----------------------------------
#
# Each window statistic at t is computed from the window's own ``window`` observations,
# ``x[t - k]`` for ``k < window`` taken as ``window`` static slices of the series padded with
# ``window - 1`` leading NaN. XLA fuses the slices and the arithmetic into one vectorised loop
# per output (no window-sum arrays, no running sum), so the cost is O(window) flops per
# output but a single pass over memory (the padded series stays in cache across the lags).

_DIRECT_MAX_WINDOW = 64          # one-series statistics (mean, std)
_DIRECT_MAX_WINDOW_PAIRS = 32    # pairwise (regression: five outputs, each its own loop)


def _pad_front(x: jax.Array, lead: int) -> jax.Array:
    """``lead`` NaN before ``x`` on the last axis. XLA fuses the pad into the loop that reads
    it (a branch on the index around a load: cheap when what is padded is a load, as here --
    padding the prices rather than the returns keeps the log out of that branch)."""
    if lead == 0:
        return x
    return jnp.concatenate([jnp.full(x.shape[:-1] + (lead,), jnp.nan, x.dtype), x], axis=-1)


def _lags(xp: jax.Array, window: int) -> list[jax.Array]:
    """``[x[..., t - k] for k < window]`` from ``xp`` = ``x`` with ``window - 1`` leading pads."""
    n_out = xp.shape[-1] - (window - 1)
    return [xp[..., window - 1 - k: window - 1 - k + n_out] for k in range(window)]


def _tree_sum(terms: list[jax.Array]) -> jax.Array:
    """Pairwise sum (short dependency chains; rounding ~ log2(len) eps)."""
    terms = list(terms)
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]


def _full_moments(xs: list[jax.Array]):
    """Mean and centred sum of squares of complete windows, two-pass:
    ``mean = sum x / w``, ``M2 = sum (x - mean)^2`` (NaN if any observation is missing)."""
    mean = _tree_sum(xs) / len(xs)
    d = [x - mean for x in xs]
    return mean, _tree_sum([e * e for e in d]), d


def _masked_moments(xs: list[jax.Array], valid: list[jax.Array]):
    """Count, mean and ``M2`` over the valid observations of each window, two-pass."""
    n = _tree_sum([v.astype(xs[0].dtype) for v in valid])
    mean = _tree_sum([jnp.where(v, x, 0.0) for x, v in zip(xs, valid)]) / jnp.maximum(n, 1.0)
    d = [jnp.where(v, x - mean, 0.0) for x, v in zip(xs, valid)]
    return n, mean, _tree_sum([e * e for e in d]), d


def _moments(x: jax.Array, window: int, min_periods: int):
    """Window count, mean and centred sum of squares ``M2`` of one set of series.

    The count is exact only where it matters: with ``min_periods == window`` it is returned
    as ``window`` and the statistics are NaN wherever an observation is missing."""
    if window > _DIRECT_MAX_WINDOW:
        return _moments_long(x, window)
    xs = _lags(_pad_front(x, window - 1), window)
    if min_periods == window:
        mean, m2, _ = _full_moments(xs)
        return jnp.asarray(float(window), x.dtype), mean, m2
    n, mean, m2, _ = _masked_moments(xs, [~jnp.isnan(a) for a in xs])
    return n, mean, m2


def _co_moments(y: jax.Array, x: jax.Array, window: int, min_periods: int):
    """Pairwise window count, means and centred sums ``Mxx, Myy, Mxy`` (dates where both are
    present). With ``min_periods == window`` the sums are NaN wherever a pair is incomplete;
    the count is exact in all cases."""
    y, x = jnp.broadcast_arrays(y, x)
    if window > _DIRECT_MAX_WINDOW_PAIRS:
        return _co_moments_long(y, x, window)
    xs = _lags(_pad_front(x, window - 1), window)
    ys = _lags(_pad_front(y, window - 1), window)
    valid = [~(jnp.isnan(a) | jnp.isnan(b)) for a, b in zip(xs, ys)]
    if min_periods == window:
        n = _tree_sum([v.astype(x.dtype) for v in valid])
        mx, mxx, dx = _full_moments(xs)
        my, myy, dy = _full_moments(ys)
    else:
        n, mx, mxx, dx = _masked_moments(xs, valid)
        _, my, myy, dy = _masked_moments(ys, valid)
    mxy = _tree_sum([a * b for a, b in zip(dx, dy)])
    return n, mx, my, mxx, myy, mxy


# ---- natural log, vectorisable --------------------------------------------------------------
#
# XLA:CPU lowers float64 ``log`` to one scalar libm call per element; the log returns of
# 1,000 x 5,000 prices spent more time there than in all the window statistics. ``_log`` is
# fdlibm's ``__ieee754_log`` (Sun Microsystems, 1993; same reduction, polynomial and
# constants) written with array operations, so XLA vectorises it. The division
# ``s = f / (2 + f)`` is replaced by a reciprocal from 4 Newton steps, because XLA does not
# fuse a division whose result is used more than once (it would materialise ``s``). Max
# error vs the exact log: 1 ulp (``tests/test_stats_rolling.py``), as ``numpy.log``.

_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_D_LO, _D_HI = 1.0 + 0.5 * 2.0 ** 0.5, 1.0 + 2.0 ** 0.5    # range of 2 + f


def _log(x: jax.Array) -> jax.Array:
    """``log(x)`` for float64 ``x``: NaN for ``x < 0`` or NaN, -inf at 0 and for subnormal ``x``
    (which XLA:CPU flushes to zero, as ``jnp.log`` there), inf at inf.

    ``x`` is read once, through its bits (special cases included): an expensive producer of
    ``x`` (the ``p_t / p_{t-1}`` of a return) then still fuses into the same loop. Other
    dtypes (float32 without x64) use ``jnp.log``."""
    if x.dtype != jnp.float64:
        return jnp.log(x)
    bits = jax.lax.bitcast_convert_type(x, jnp.int64)
    hx = bits >> 32
    hm = hx & 0x000FFFFF
    i = (hm + 0x95F64) & 0x100000                 # mantissa >= sqrt(2): use x/2, k + 1
    k = ((hx & 0x7FFFFFFF) >> 20) - 1023 + (i >> 20)
    m = jax.lax.bitcast_convert_type(((hm | (i ^ 0x3FF00000)) << 32) | (bits & 0xFFFFFFFF),
                                     jnp.float64)  # x / 2^k in [sqrt(2)/2, sqrt(2))
    f = m - 1.0
    d = 2.0 + f
    r = (_D_LO + _D_HI - d) * (1.0 / (_D_LO * _D_HI))   # secant seed for 1/d, rel. error < 3%
    for _ in range(4):                                  # 3e-2 -> 9e-4 -> 8e-7 -> 6e-13 -> eps
        r = r + r * (1.0 - d * r)
    s = f * r
    dk = k.astype(jnp.float64)
    z = s * s
    w = z * z
    t1 = w * (_LG[1] + w * (_LG[3] + w * _LG[5]))
    t2 = z * (_LG[0] + w * (_LG[2] + w * (_LG[4] + w * _LG[6])))
    hfsq = 0.5 * f * f
    out = dk * _LN2_HI - ((hfsq - (s * (hfsq + (t2 + t1)) + dk * _LN2_LO)) - f)
    ax = bits & 0x7FFFFFFFFFFFFFFF
    out = jnp.where(ax == 0x7FF0000000000000, jnp.inf, out)          # +-inf (-inf: NaN below)
    out = jnp.where((bits < 0) | (ax > 0x7FF0000000000000), jnp.nan, out)   # x < 0, NaN
    return jnp.where(ax < 0x0010000000000000, -jnp.inf, out)         # +-0, subnormal


def _returns(prices: jax.Array, valid, lead: int) -> jax.Array:
    """Log returns ``r_t, t = 1 .. T-1`` preceded by ``lead`` NaN: shape ``(..., T - 1 + lead)``
    (``lead = 1``: :func:`log_returns`; ``lead = window``: ready for the window kernels).

    The prices (not the returns) are padded, so that the pad's branch guards two loads
    rather than the log: the whole is one vectorised loop, which XLA splits across cores."""
    pp = _pad_front(prices, lead)                        # (..., T + lead), lead NaN first
    pp = jnp.where(pp > 0, pp, jnp.nan)                  # NaN stays NaN; <= 0 -> NaN
    r = _log(pp[..., 1:] / pp[..., :-1])                 # _log reads its argument once
    if valid is not None:
        v = jnp.broadcast_to(jnp.asarray(valid, bool), prices.shape)[..., 1:]
        v = jnp.concatenate([jnp.ones(v.shape[:-1] + (lead,), bool), v], axis=-1)
        r = jnp.where(v, r, jnp.nan)
    return r


@jax.jit
def log_returns(prices, valid=None) -> jax.Array:
    """Log returns along the last axis: ``r_t = log(p_t / p_{t-1})``, ``r_0 = NaN``.

    ``r_t`` is NaN where ``p_t`` or ``p_{t-1}`` is missing (NaN) or not strictly positive
    (a log return is undefined there, e.g. WTI's negative settlement of 2020-04-20), and
    where ``valid[..., t]`` is False: the return from ``t-1`` to ``t`` is not a return of one
    instrument. For continuous futures tenors (``results/ingest/futures_tenors.parquet``,
    schema ``jaxmm.io.schemas.FUTURES_TENORS``) pass ``valid = ~rolled`` (pivoted to
    ``(tenor, date)``): on a roll date the tenor's settle jumps from the old contract to the
    new one, and that jump must not enter the volatility as a return.

    Args:
      prices: ``(..., T)`` prices (NaN = missing).
      valid: optional bool ``(..., T)`` (broadcastable); ``False`` masks the return ending at t.

    Returns:
      ``(..., T)`` float log returns.

    Example:
      >>> log_returns(jnp.array([100.0, 110.0, 99.0]), valid=jnp.array([True, True, False]))
      Array([      nan, 0.09531018,       nan], dtype=float64)
    """
    return _returns(_float(prices), valid, 1)


@functools.partial(jax.jit, static_argnames=("window", "min_periods"))
def rolling_mean(x, window: int, min_periods: int | None = None) -> jax.Array:
    """Trailing-window mean ignoring NaNs: ``mean_t = (1/n_t) sum_{i in W_t} x_i``.

    ``W_t`` = non-missing dates in ``[t - window + 1, t]``, ``n_t = |W_t|``; NaN where
    ``n_t < min_periods`` (default ``window``). Matches
    ``pandas.Series.rolling(window, min_periods).mean()``.

    Args:
      x: ``(..., T)`` series (NaN = missing).
      window: window length in observations (static).
      min_periods: minimum non-missing observations (static), ``1 <= min_periods <= window``.

    Returns:
      ``(..., T)`` rolling means.

    Example:
      >>> rolling_mean(jnp.array([1.0, 2.0, jnp.nan, 4.0]), 2, min_periods=1)
      Array([1. , 1.5, 2. , 4. ], dtype=float64)
    """
    mp = _check_window(window, min_periods)
    n, mean, _ = _moments(_float(x), window, mp)
    return jnp.where(n >= mp, mean, jnp.nan)


@functools.partial(jax.jit, static_argnames=("window", "min_periods", "ddof"))
def rolling_std(x, window: int, min_periods: int | None = None, ddof: int = 1) -> jax.Array:
    """Trailing-window standard deviation ignoring NaNs.

    ``std_t = sqrt( sum_{i in W_t} (x_i - mean_t)^2 / (n_t - ddof) )`` with ``W_t``,
    ``n_t`` as in :func:`rolling_mean`; NaN where ``n_t < min_periods`` or
    ``n_t <= ddof``. Matches ``pandas.Series.rolling(window, min_periods).std(ddof)``.

    Args:
      x: ``(..., T)`` series (NaN = missing).
      window: window length (static).
      min_periods: minimum non-missing observations (static; default ``window``).
      ddof: delta degrees of freedom (static; 1 = sample standard deviation).

    Returns:
      ``(..., T)`` rolling standard deviations.

    Example:
      >>> rolling_std(jnp.array([1.0, 2.0, 4.0]), 2)
      Array([       nan, 0.70710678, 1.41421356], dtype=float64)
    """
    mp = _check_window(window, min_periods)
    n, _, m2 = _moments(_float(x), window, mp)
    ok = (n >= mp) & (n > ddof)
    return jnp.where(ok, jnp.sqrt(m2 / jnp.where(ok, n - ddof, 1.0)), jnp.nan)


@functools.partial(jax.jit, static_argnames=("window", "min_periods"))
def realised_vol(returns, window: int = 20, annualisation: float = 252.0,
                 min_periods: int | None = None) -> jax.Array:
    """Annualised trailing realised volatility: ``sigma_t = std_t(r; ddof=1) sqrt(A)``.

    Close-to-close estimator (the seed's "20-day trailing annualised" vol), ``A`` periods
    per year (252 business days). The mean is estimated, not assumed zero, as in
    ``pandas ... rolling(20).std() * sqrt(252)``.

    Args:
      returns: ``(..., T)`` log returns (NaN = missing, e.g. across a roll).
      window: window length (static), default 20.
      annualisation: periods per year ``A`` (may be traced).
      min_periods: minimum non-missing returns (static; default ``window``).

    Returns:
      ``(..., T)`` annualised vols.

    Example:
      >>> r = log_returns(jnp.array([100.0, 101.0, 100.0, 102.0]))
      >>> realised_vol(r, window=3)[-1]   # std(ddof=1) of the 3 returns * sqrt(252)
      Array(0.24060422, dtype=float64)
    """
    r = _float(returns)
    return rolling_std(r, window, min_periods, 1) * jnp.sqrt(jnp.asarray(annualisation, r.dtype))


@functools.partial(jax.jit, static_argnames=("window", "min_periods"))
def rolling_regression(y, x, window: int, min_periods: int | None = None) -> Regression:
    """Trailing-window OLS ``y_i = a + b x_i + e_i`` over the pairs present in the window.

    With ``n`` pairs where both ``x`` and ``y`` are non-missing in ``[t - window + 1, t]``
    and centred sums ``Sxx = sum (x - xbar)^2``, ``Syy``, ``Sxy``::

        b = Sxy / Sxx,  a = ybar - b xbar,  rho = Sxy / sqrt(Sxx Syy),
        SSR = Syy - Sxy^2 / Sxx,  se(b) = sqrt(SSR / (n - 2) / Sxx).

    NaN where ``n < max(min_periods, 2)`` (``slope_se``: ``n <= 2``) or a variance is zero.
    ``corr`` matches ``pandas.Series.rolling(window, min_periods).corr(other)``.

    Args:
      y: ``(..., T)`` dependent series (NaN = missing).
      x: ``(..., T)`` regressor (broadcastable with ``y``).
      window: window length (static).
      min_periods: minimum number of pairs (static; default ``window``).

    Returns:
      :class:`Regression` of ``(..., T)`` arrays.

    Example:
      >>> x = jnp.arange(5.0); reg = rolling_regression(2.0 * x + 1.0, x, 3)
      >>> float(reg.slope[-1]), round(float(reg.intercept[-1]), 12)
      (2.0, 1.0)
    """
    mp = _check_window(window, min_periods)
    n, mx, my, sxx, syy, sxy = _co_moments(_float(y), _float(x), window, mp)
    ok = (n >= max(mp, 2)) & (sxx > 0)
    sxx_safe = jnp.where(ok, sxx, 1.0)
    slope = jnp.where(ok, sxy / sxx_safe, jnp.nan)
    intercept = my - slope * mx
    ok_c = ok & (syy > 0)
    corr = jnp.where(ok_c, jnp.clip(sxy / jnp.sqrt(sxx_safe * jnp.where(ok_c, syy, 1.0)), -1.0, 1.0), jnp.nan)
    ok_se = ok & (n > 2)
    ssr = jnp.maximum(syy - sxy * sxy / sxx_safe, 0.0)
    slope_se = jnp.where(ok_se, jnp.sqrt(ssr / jnp.where(ok_se, n - 2.0, 1.0) / sxx_safe), jnp.nan)
    return Regression(slope, intercept, corr, slope_se, n)


@functools.partial(jax.jit, static_argnames=("window",))
def hedge_ratio(front_prices, back_prices, window: int = 20, annualisation: float = 252.0,
                front_valid=None, back_valid=None) -> HedgeRatio:
    """Rolling futures hedge ratio ``h`` and gamma multiplier ``h^2`` (front M1 vs back Mn).

    Methodology of seed 001 ("hedge ratio squared", appendix METHODOLOGY)::

        r_t      = log returns of each tenor (NaN across a roll: pass ``*_valid = ~rolled``)
        sigma    = 20-day trailing annualised realised vol, each tenor on its own dates
        rho      = 20-day rolling correlation of front and back returns (common dates)
        beta     = rho * sigma_back / sigma_front
        h        = beta * P_back / P_front        ($ move of 1 back contract per $1 of front)
        h2       = h^2,  Gamma_back in front (M1) terms = Gamma_back * h2
        contracts_per_front = 1 / h               (back contracts delta-hedging 1 front)

    Since ``r_back ~ beta r_front``, a $1 front move (``dP_f = 1``, ``r_f = 1/P_f``) moves the
    back by ``dP_b = beta P_b / P_f = h``. **Seed inconsistency**: the appendix labels
    ``1/(beta * P12/P1)`` as "h" ("M12 contracts needed to delta-hedge 1 M1 contract")
    while its text and charts use ``h = beta * P12/P1`` (h ~ 0.02 means "you need 1/h ~ 50
    M12 contracts") and square that h as the gamma multiplier. This function follows the
    text: ``h = beta * P_back/P_front`` and the contract count is ``contracts_per_front = 1/h``.

    Args:
      front_prices: ``(..., T)`` front-tenor settlements (NaN = missing).
      back_prices: ``(..., T)`` back-tenor settlements, same dates.
      window: rolling window (static), default 20.
      annualisation: periods per year for the vols (default 252; cancels in beta and h).
      front_valid: optional bool ``(..., T)``: False where the front return ending at t
        spans a roll (``~rolled`` of the front tenor). Likewise ``back_valid``.

    Returns:
      :class:`HedgeRatio` of ``(..., T)`` arrays (NaN until ``window`` returns are present).

    Example:
      >>> import jax.numpy as jnp
      >>> m1 = jnp.array([70.0, 71.0, 70.5, 72.0, 71.0, 73.0])     # front settlements
      >>> m12 = jnp.array([65.0, 65.4, 65.2, 65.8, 65.4, 66.2])    # back settlements
      >>> hr = hedge_ratio(m1, m12, window=4)   # pass front_valid=~rolled across rolls
      >>> hr.h[-1], hr.h2[-1]   # $ per $1 of M1; gamma multiplier of M12 options in M1 terms
      (Array(0.39569398, dtype=float64), Array(0.15657373, dtype=float64))
    """
    _check_window(window, None)
    front = _float(front_prices)
    back = _float(back_prices)
    if window > _DIRECT_MAX_WINDOW_PAIRS:
        rf = log_returns(front, front_valid)
        rb = log_returns(back, back_valid)
        front_vol = realised_vol(rf, window, annualisation)
        back_vol = realised_vol(rb, window, annualisation)
        corr = rolling_regression(rb, rf, window).corr
    else:
        # Same statistics as realised_vol / rolling_regression(...).corr (min_periods = window,
        # so a window with a missing return is NaN and needs no count): the window kernels
        # read the padded returns once each (front vol, back vol, correlation).
        rf = _returns(front, front_valid, window)          # (..., T - 1 + window)
        rb = _returns(back, back_valid, window)
        _, mff, df = _full_moments(_lags(rf, window))
        _, mbb, db = _full_moments(_lags(rb, window))
        # sqrt(M2 A / (w - 1)): the annualisation inside the one sqrt, so that each vol is
        # its window kernel's own output (no extra pass over memory to scale it)
        scale2 = jnp.asarray(annualisation, front.dtype) / max(window - 1, 1)
        if window > 1:
            front_vol, back_vol = jnp.sqrt(mff * scale2), jnp.sqrt(mbb * scale2)
        else:
            front_vol = back_vol = jnp.full(mff.shape, jnp.nan, mff.dtype)
        mfb = _tree_sum([a * b for a, b in zip(df, db)])
        ok = (mff > 0) & (mbb > 0) & (window > 1)
        corr = jnp.where(ok, jnp.clip(mfb / jnp.sqrt(jnp.where(ok, mff * mbb, 1.0)), -1.0, 1.0), jnp.nan)
    beta = corr * back_vol / front_vol
    price_ratio = back / front
    h = beta * price_ratio
    return HedgeRatio(front_vol, back_vol, corr, beta, price_ratio, h, h * h, 1.0 / h)
