"""Gamma across futures tenors: ATM tenor gamma, h² weighting, gamma neutrality, portfolio risk.

Numerics core (no pandas). Options on different futures contracts (M1, M12, ...) sit on
different underlyings. With ``h`` the hedge ratio of tenor ``j`` (front-month contracts
per tenor-``j`` contract for the same dollar move, ``h = beta * price_j / price_1``;
``h = 1`` for the front, see ``jaxmm.stats.rolling.hedge_ratio``), a front move ``dF1``
moves tenor ``j`` by ``h dF1`` on average, so a tenor-``j`` position's Greeks in
front-month terms are::

    delta_front = h   * delta_j
    gamma_front = h^2 * gamma_j          (P/L = 1/2 gamma_j (h dF1)^2)
    vega, theta: not rescaled (they are not per unit of the underlying's move)

This is the ICE Option Analytics "multiplier" column: a hedge ratio per term that scales
deltas by ``h`` and gammas by ``h^2``. A back option that is gamma-neutral against one
front option needs ``front_gamma / (back_gamma h^2)`` contracts, and carries that many
times the back vega.

Units: prices in the futures' quote units, ``t`` in years, vols annualised as decimals;
gamma is per unit (``$1``) move of the underlying, vega per unit of vol (1.00 = 100 vol
points), theta per year (as ``jaxmm.pricing.black``).

Reference:
  Moontower, "Hedge Ratio Squared" (WTI M1/M12 time spreads), seeds/001 of this
  project: raw gammas 0.0241 (M1) and 0.0315 (M12), h^2 = 0.0215.

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> import jax.numpy as jnp
    >>> from jaxmm.stats import tenors
    >>> g = tenors.gamma_neutral(0.0241, 0.0315, 0.0215, back_vega=1.0)
    >>> round(float(g.back_gamma_front), 6), round(float(g.contracts), 2)
    (0.000677, 35.59)
    >>> r = tenors.portfolio_risk(jnp.array([0, 1]), jnp.ones(2), jnp.zeros(2),
    ...                           jnp.zeros(2), jnp.zeros(2), jnp.array([100.0, -200.0]),
    ...                           jnp.array([1.0, 0.5]))
    >>> float(r.total.front_delta)   # long 100 M1 / short 200 M2 with h = 0.5: delta-flat
    0.0
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm.pricing import black
from jaxmm.stats.rolling import HedgeRatio, realised_vol, rolling_mean, rolling_regression

_DAYS_PER_YEAR = {"calendar": 365.0, "business": 252.0}


def tenor_time(days, basis="calendar", days_per_year=None):
    """Time to expiry in years from a day count: ``T = days / N``.

    ``N = 365`` for ``basis="calendar"`` (calendar days), ``N = 252`` for
    ``basis="business"`` (trading days); ``days_per_year`` overrides ``N``. The seed's
    appendix states ``T = 30/365`` (M1) and ``365/365`` (M12). Its quoted M12 raw gamma
    0.0315 is reproduced by ``T = 253/250`` (``tenor_time(253, "business", 250)``: 0.03151).
    Its M1 figure 0.0241 is not reproduced exactly by either time: ``T = 21/252``
    (``tenor_time(21, "business")``) gives 0.02419, which rounds to 0.0242, but lies within
    the band the seed's rounded inputs ($1 prices, 0.1-point vols) allow around 0.0241,
    while ``T = 30/365`` gives 0.02436, whose band excludes it; see
    ``tests/test_stats_tenors.py``.

    Args:
      days: array of day counts (any shape).
      basis: ``"calendar"`` or ``"business"``.
      days_per_year: optional override of ``N``.

    Returns:
      ``days / N`` as float64 (with x64), the shape of ``days``.

    Example::

        >>> float(tenor_time(21, "business"))
        0.08333333333333333
    """
    if days_per_year is None:
        if basis not in _DAYS_PER_YEAR:
            raise ValueError(f"basis must be 'calendar' or 'business', got {basis!r}")
        days_per_year = _DAYS_PER_YEAR[basis]
    return jnp.asarray(days, dtype=float) / days_per_year


def tenor_gamma(price, vol, t):
    """Black-76 ATM gamma of a tenor: strike = forward = ``price``, discount 1.

    ``Gamma = n(s/2) / (F s)``, ``s = vol sqrt(t)`` (``~ 0.4 / (F vol sqrt t)``, the seed's
    rule of thumb), via ``jaxmm.pricing.black.gamma``. The seed lets trailing realised vol stand
    in for implied vol. Per unit (``$1``) move of the future.

    Args:
      price: futures price ``F``, shape broadcastable with the others (e.g. ``(T,)`` for a
        time series, ``(T, K)`` for K tenors).
      vol: annualised vol (decimal).
      t: time to expiry in years (``tenor_time``).

    Returns:
      Gamma, broadcast shape; 0 where ``vol * t == 0`` or ``price <= 0``.

    Example::

        >>> round(float(tenor_gamma(85.0, 0.669, 21 / 252)), 6)
        0.02419
    """
    price = jnp.asarray(price, dtype=float)
    return black.gamma(price, price, t, vol)


class GammaNeutral(NamedTuple):
    """Gamma-neutral back/front ratio; every field has the broadcast shape of the inputs.

    Attributes:
      back_gamma_front: back gamma per contract in front terms, ``back_gamma * h2``.
      contracts: back contracts per front contract, ``front_gamma / (back_gamma * h2)``.
      vega: vega carried by those back contracts, ``contracts * back_vega``.
      net_vega: vega of the time spread long ``contracts`` back / short 1 front,
        ``contracts * back_vega - front_vega``.
    """

    back_gamma_front: jax.Array
    contracts: jax.Array
    vega: jax.Array
    net_vega: jax.Array


def gamma_neutral(front_gamma, back_gamma, h2, back_vega, front_vega=0.0):
    """Back contracts that offset one front option's gamma in front-month terms.

    ::

        back_gamma_front = back_gamma * h2
        contracts        = front_gamma / back_gamma_front
        vega             = contracts * back_vega
        net_vega         = vega - front_vega

    so ``front_gamma - contracts * back_gamma * h2 = 0``. Elementwise (broadcast), so a
    time series of gammas and ``h2`` gives the series of ratios. With the seed's numbers
    (front 0.0241, back 0.0315, ``h2 = 0.0215``) ``contracts = 35.6``; the seed's "46x" is
    ``1 / h2 = 0.0315 / 0.000677``, the ratio that would hold if both legs had the same raw
    gamma per contract.

    Args:
      front_gamma: front option gamma per contract.
      back_gamma: back option gamma per contract (per ``$1`` move of the back future).
      h2: squared hedge ratio (gamma weight) of the back tenor.
      back_vega: back option vega per contract.
      front_vega: front option vega per contract (default 0: ``net_vega == vega``).

    Returns:
      ``GammaNeutral``. ``contracts`` is ``inf`` where ``back_gamma * h2 == 0`` (no amount
      of back gamma offsets the front) and NaN where both gammas are 0.

    Example::

        >>> g = gamma_neutral(0.0241, 0.0315, 0.0215, back_vega=26.6, front_vega=9.8)
        >>> round(float(g.contracts), 2), round(float(g.net_vega), 1)
        (35.59, 936.8)
    """
    front_gamma, back_gamma, h2, back_vega, front_vega = (
        jnp.asarray(x, dtype=float) for x in (front_gamma, back_gamma, h2, back_vega, front_vega))
    back_gamma_front = back_gamma * h2
    contracts = front_gamma / back_gamma_front
    vega = contracts * back_vega
    return GammaNeutral(back_gamma_front, contracts, vega, vega - front_vega)


class PositionGreeks(NamedTuple):
    """Per-unit Greeks of each position (shape ``(..., P)``)."""

    delta: jax.Array
    gamma: jax.Array
    vega: jax.Array
    theta: jax.Array


def position_greeks(forward, strike, t, vol, is_call, is_option, discount=1.0):
    """Per-unit Black-76 Greeks of a positions table of options and futures.

    Options: ``jaxmm.pricing.black`` delta, gamma, vega (per unit vol), theta (per year). Futures
    (``is_option`` False): delta 1, gamma = vega = theta = 0; their ``strike``, ``t``,
    ``vol`` are ignored (may be NaN).

    Args:
      forward: the position's futures price, shape ``(..., P)`` (broadcast).
      strike, t, vol, discount: option inputs (years, annualised vol).
      is_call: bool, call (True) or put.
      is_option: bool, option (True) or future.

    Returns:
      ``PositionGreeks`` with the broadcast shape.

    Example::

        >>> g = position_greeks(jnp.array([85.0, 85.0]), jnp.array([85.0, jnp.nan]),
        ...                     jnp.array([21 / 252, jnp.nan]), jnp.array([0.669, jnp.nan]),
        ...                     True, jnp.array([True, False]))
        >>> [round(float(x), 4) for x in g.delta], [round(float(x), 4) for x in g.gamma]
        ([0.5385, 1.0], [0.0242, 0.0])
    """
    forward, strike, t, vol, discount = jnp.broadcast_arrays(
        *(jnp.asarray(x, dtype=float) for x in (forward, strike, t, vol, discount)))
    is_option = jnp.broadcast_to(jnp.asarray(is_option, dtype=bool), forward.shape)
    is_call = jnp.broadcast_to(jnp.asarray(is_call, dtype=bool), forward.shape)
    # Futures rows get harmless option inputs, so a NaN strike never reaches black.*.
    k = jnp.where(is_option, strike, forward)
    tt = jnp.where(is_option, t, 1.0)
    v = jnp.where(is_option, vol, 0.2)
    d = jnp.where(is_option, discount, 1.0)
    zero = jnp.zeros_like(forward)
    return PositionGreeks(
        jnp.where(is_option, black.delta(forward, k, tt, v, is_call, d), 1.0),
        jnp.where(is_option, black.gamma(forward, k, tt, v, d), zero),
        jnp.where(is_option, black.vega(forward, k, tt, v, d), zero),
        jnp.where(is_option, black.theta(forward, k, tt, v, d), zero),
    )


class TenorRisk(NamedTuple):
    """Risk summary; fields ``(..., K)`` per tenor (``PortfolioRisk.by_tenor``) or ``(...)``.

    Attributes:
      delta: raw delta, ``sum q delta`` (tenor-``j`` contracts).
      front_delta: front-equivalent delta, ``h * delta``.
      gamma: raw gamma, ``sum q gamma``.
      front_gamma: front-equivalent gamma, ``h^2 * gamma``.
      vega: ``sum q vega``.
      theta: ``sum q theta``.
    """

    delta: jax.Array
    front_delta: jax.Array
    gamma: jax.Array
    front_gamma: jax.Array
    vega: jax.Array
    theta: jax.Array


class PortfolioRisk(NamedTuple):
    """``by_tenor``: ``TenorRisk`` with fields ``(..., K)``; ``total``: summed over tenors.

    Raw ``total.delta`` / ``total.gamma`` add contracts of different underlyings (the
    unadjusted model's headline); ``total.front_delta`` / ``total.front_gamma`` are the
    hedge-ratio-weighted figures.
    """

    by_tenor: TenorRisk
    total: TenorRisk


def portfolio_risk(tenor_index, delta, gamma, vega, theta, quantity, h):
    """Tenor-weighted risk of a book of positions (the ICE Option Analytics multiplier).

    With the one-hot matrix ``E[p, k] = [tenor_index[p] == k]`` (``P x K``)::

        X_k          = sum_p E[p, k] q_p x_p          for x in delta, gamma, vega, theta
        front_delta_k = h_k   delta_k
        front_gamma_k = h_k^2 gamma_k
        total        = sum_k (each field)

    One matmul, no loop over positions. ``h`` may carry leading (time) dimensions,
    ``(..., K)``, and so may the Greeks and quantities, ``(..., P)``.

    Args:
      tenor_index: int array ``(P,)``, tenor of each position, in ``[0, K)``.
      delta, gamma, vega, theta: per-unit Greeks ``(..., P)`` (e.g. ``position_greeks``).
      quantity: signed contracts ``(..., P)``.
      h: hedge ratio per tenor ``(..., K)``, ``h[..., 0] = 1`` for the front.

    Returns:
      ``PortfolioRisk``.

    Raises:
      ValueError: when a (concrete) ``tenor_index`` lies outside ``[0, K)``.

    Example::

        >>> r = portfolio_risk(jnp.array([0, 1]), jnp.ones(2), jnp.zeros(2), jnp.zeros(2),
        ...                    jnp.zeros(2), jnp.array([100.0, -200.0]), jnp.array([1.0, 0.5]))
        >>> [float(x) for x in r.by_tenor.front_delta]
        [100.0, -100.0]
    """
    h = jnp.asarray(h, dtype=float)
    k = h.shape[-1]
    tenor_index = jnp.asarray(tenor_index)
    if not isinstance(tenor_index, jax.core.Tracer):
        idx = np.asarray(tenor_index)
        if idx.size and (idx.min() < 0 or idx.max() >= k):
            raise ValueError(f"tenor_index must lie in [0, {k}) (h has {k} tenors); "
                             f"got min {idx.min()}, max {idx.max()}")
    onehot = (tenor_index[:, None] == jnp.arange(k)).astype(h.dtype)
    q = jnp.asarray(quantity, dtype=float)
    d, g, v, th = (jnp.asarray(x, dtype=float) * q @ onehot for x in (delta, gamma, vega, theta))
    by = TenorRisk(d, h * d, g, h * h * g, v, th)
    return PortfolioRisk(by, TenorRisk(*(x.sum(axis=-1) for x in by)))


def tenor_vega(price, vol, t):
    """Black-76 ATM vega of a tenor (strike = forward = ``price``, discount 1), per unit vol.

    ``vega = F sqrt(t) n(s/2)``, ``s = vol sqrt(t)``, via ``jaxmm.pricing.black.vega``: the vega a
    gamma-neutral back position carries (``gamma_neutral``'s ``back_vega``).

    Example::

        >>> round(float(tenor_vega(100.0, 0.2, 1.0)), 4)   # 100 * 1 * n(0.1)
        39.6953
    """
    price = jnp.asarray(price, dtype=float)
    return black.vega(price, price, t, vol)


class TenorHedge(NamedTuple):
    """``tenor_hedge_ratio`` output: the hedge ratio and the window counts behind it.

    Attributes:
      hedge: ``jaxmm.stats.rolling.HedgeRatio`` of ``(..., T)`` arrays.
      n_front, n_back: non-missing front / back returns in each window (float64).
      n_pairs: dates in each window where both returns are present (the correlation's n).
    """

    hedge: HedgeRatio
    n_front: jax.Array
    n_back: jax.Array
    n_pairs: jax.Array


def tenor_hedge_ratio(front_returns, back_returns, front_prices, back_prices, window=20,
                      annualisation=252.0, min_periods=None):
    """``rolling.hedge_ratio`` from per-contract returns, with window counts.

    Same formulas as ``jaxmm.stats.rolling.hedge_ratio`` (seed 001's appendix: beta =
    rho sigma_back / sigma_front, h = beta P_back / P_front, h2 = h^2, 1/h), but it takes
    the returns instead of recomputing them from the tenor's settles. A continuous tenor's
    return on a roll date is the new contract's own one-day return (``log_return`` of
    ``results/ingest/futures_tenors.parquet``), so rolls cost no observation; masking the
    roll return instead (``hedge_ratio(..., front_valid=~rolled)``) would leave a monthly
    tenor with 19 returns in most 20-day windows. ``min_periods`` is passed to the
    realised vols and the correlation (default ``window``, as pandas).

    Args:
      front_returns, back_returns: ``(..., T)`` log returns (NaN = missing).
      front_prices, back_prices: ``(..., T)`` settles on the same dates (for the price ratio).
      window: rolling window (static), default 20.
      annualisation: periods per year of the vols (cancels in beta and h).
      min_periods: fewest returns (pairs, for the correlation) per window.

    Returns:
      ``TenorHedge``; NaN fields where a window has fewer than ``min_periods`` returns.

    Example (the back moves 0.6x the front's return every day: corr 1, beta 0.6)::

        >>> r = jnp.array([jnp.nan, 0.01, -0.02, 0.015, 0.005])
        >>> th = tenor_hedge_ratio(r, 0.6 * r, jnp.full(5, 80.0), jnp.full(5, 60.0), window=4)
        >>> round(float(th.hedge.h[-1]), 12), float(th.n_pairs[-1]), float(th.n_front[0])
        (0.45, 4.0, 0.0)
    """
    rf, rb, pf, pb = (jnp.asarray(x, dtype=float) for x in (front_returns, back_returns, front_prices,
                                                             back_prices))
    front_vol = realised_vol(rf, window, annualisation, min_periods)
    back_vol = realised_vol(rb, window, annualisation, min_periods)
    reg = rolling_regression(rb, rf, window, min_periods)
    beta = reg.corr * back_vol / front_vol
    price_ratio = pb / pf
    h = beta * price_ratio
    # Window counts: mean of the 0/1 presence mask times the window's length so far.
    length = jnp.minimum(jnp.arange(1, rf.shape[-1] + 1, dtype=rf.dtype), window)

    def count(mask):
        return jnp.round(rolling_mean(mask.astype(rf.dtype), window, min_periods=1) * length)

    hedge = HedgeRatio(front_vol, back_vol, reg.corr, beta, price_ratio, h, h * h, 1.0 / h)
    return TenorHedge(hedge, count(~jnp.isnan(rf)), count(~jnp.isnan(rb)), reg.n)
