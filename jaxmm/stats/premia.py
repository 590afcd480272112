"""Volatility risk premium, ETF premium/discount, rolling z-scores and cross-ETF spreads.

Numerics core (no pandas). Time is the last axis, NaN marks a missing value, leading dims
are independent series; every function is vectorised over them (no loop per series).

* Vol risk premium (seed ``000_*.txt``, "sell when implied vol > realised vol": "VIX shows
  20% implied vol but SPY's 30-day realised vol is only 12%"):
  ``VRP_t = IV_t - RV_t`` with ``RV_t`` the trailing realised vol (``vol_risk_premium``),
  the signal a trader can see at ``t``; and the ex-post premium actually earned,
  ``IV_t - RV_{t+1..t+window}`` (``forward_vol_risk_premium``).
* ETF premium/discount to NAV, ``price / nav - 1`` (seed 000: ARKK at $156.10 on a NAV of
  $152.43, a 2.41% premium), its rolling z-score, and the spread between two funds on the
  same index (EEM +0.30% vs IEMG -0.10%: a 40 bp spread) with its z-score.

Rolling statistics come from ``jaxmm.stats.rolling`` (trailing windows that include ``t``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmm._src.dtypes import float_inputs
from jaxmm.stats.rolling import realised_vol, rolling_mean, rolling_std

__all__ = [
    "vol_risk_premium",
    "forward_vol_risk_premium",
    "etf_premium",
    "rolling_zscore",
    "Spread",
    "cross_etf_spread",
]


def vol_risk_premium(implied_vol, returns, window=20, annualisation=252.0, min_periods=None):
    """Implied minus trailing realised vol, aligned on time: ``IV_t - RV_t``.

    ``RV_t = sqrt(annualisation) * std(r_{t-window+1}, ..., r_t)`` (``realised_vol``: the
    returns up to and including ``t``), so entry ``t`` uses only what is known at ``t``'s
    close: the "implied > realised, sell vol" signal.

    Args:
      implied_vol: ``(..., T)`` implied vol (decimal, annualised), e.g. VIX / 100 or 30-day
        ATM IV; NaN where missing.
      returns: ``(..., T)`` log returns on the same dates (``returns[..., t]`` is the return
        from ``t-1`` to ``t``); broadcast against ``implied_vol``.
      window: realised-vol window in observations (static).
      annualisation: periods per year (252 for daily data).
      min_periods: fewest valid returns for a realised vol (``realised_vol``'s default if None).

    Returns:
      ``(..., T)`` premium in vol units (0.08 = 8 vol points); NaN where either side is missing.

    Example::

      >>> import jax.numpy as jnp; from jaxmm.stats.rolling import log_returns
      >>> spx = 100.0 * jnp.exp(jnp.cumsum(jnp.tile(jnp.array([0.01, -0.01]), 15)))  # +-1% days
      >>> vrp = vol_risk_premium(jnp.full(30, 0.20), log_returns(spx), window=21)
      >>> float(vrp[-1])      # 0.20 - 0.01 sqrt(21/20) sqrt(252) = 0.20 - 0.1625
      0.03751923190728...
    """
    implied_vol, returns = float_inputs(implied_vol, returns)
    realised = realised_vol(returns, window=window, annualisation=annualisation, min_periods=min_periods)
    return implied_vol - realised


def forward_vol_risk_premium(implied_vol, returns, window=20, annualisation=252.0, min_periods=None):
    """Implied vol at ``t`` minus the vol realised over the NEXT ``window`` returns.

    ``IV_t - RV(r_{t+1}, ..., r_{t+window})`` = ``IV_t - RV_{t+window}`` (the trailing
    realised vol shifted back by ``window``): the premium a seller of vol at ``t`` actually
    earned (ex post; look-ahead by construction, so use it as a target, never a signal).
    The last ``window`` entries have no complete future window and are NaN.

    Args, returns: as in ``vol_risk_premium`` (``window`` must be a Python int).

    Example::

      >>> import jax.numpy as jnp; from jaxmm.stats.rolling import log_returns
      >>> spx = 100.0 * jnp.exp(jnp.cumsum(jnp.tile(jnp.array([0.01, -0.01]), 15)))  # +-1% days
      >>> forward_vol_risk_premium(jnp.full(30, 0.20), log_returns(spx), window=5)[:3]
      Array([0.02610348, 0.02610348, 0.02610348], dtype=float64)
    """
    implied_vol, returns = float_inputs(implied_vol, returns)
    realised = realised_vol(returns, window=window, annualisation=annualisation, min_periods=min_periods)
    shape = jnp.broadcast_shapes(implied_vol.shape, realised.shape)
    realised = jnp.broadcast_to(realised, shape)
    n = shape[-1]
    shift = min(int(window), n)
    future = jnp.concatenate(
        [realised[..., shift:], jnp.full(shape[:-1] + (shift,), jnp.nan, dtype=realised.dtype)], axis=-1)
    return implied_vol - future


def etf_premium(price, nav):
    """ETF premium (> 0) or discount (< 0) to NAV: ``price / nav - 1``.

    Args:
      price: ``(..., T)`` market price (e.g. closing price).
      nav: ``(..., T)`` net asset value per share on the same dates; broadcast with ``price``.

    Returns:
      Premium as a fraction (0.0241 = 2.41%); NaN where either is missing or ``nav <= 0``.

    Example (seed 000, ARKK on 12 Feb 2021)::

      >>> float(etf_premium(156.10, 152.43))
      0.0240...
    """
    price, nav = float_inputs(price, nav)
    return jnp.where(nav > 0, price / jnp.where(nav > 0, nav, 1.0) - 1.0, jnp.nan)


def rolling_zscore(x, window, min_periods=None, ddof=1):
    """Trailing z-score ``(x_t - mean_t) / std_t`` over the window ending at ``t`` (inclusive).

    ``mean_t``, ``std_t`` are ``rolling_mean`` / ``rolling_std`` (NaNs skipped, ``ddof``
    degrees of freedom) over ``x[t-window+1 .. t]``, as pandas'
    ``(s - s.rolling(w).mean()) / s.rolling(w).std()``.

    Args:
      x: ``(..., T)``, NaN for missing; leading dims are series.
      window: window length in observations (static).
      min_periods: fewest valid points (the rolling functions' default if None).
      ddof: delta degrees of freedom of the std (1: sample std, pandas' default).

    Returns:
      ``(..., T)`` z-scores; NaN where ``x_t`` is missing, the window has too few points,
      or the window's std is zero (a flat window has no z-score).

    Example::

      >>> import jax.numpy as jnp
      >>> rolling_zscore(jnp.array([0.0, 1.0, 0.0, 1.0, 3.0]), 4)
      Array([       nan,        nan,        nan, 0.8660254 , 1.39075897], dtype=float64)
    """
    (x,) = float_inputs(x)
    mean = rolling_mean(x, window, min_periods=min_periods)
    std = rolling_std(x, window, min_periods=min_periods, ddof=ddof)
    ok = std > 0
    return jnp.where(ok, (x - mean) / jnp.where(ok, std, 1.0), jnp.nan)


class Spread(NamedTuple):
    """A spread series and its rolling z-score, both ``(..., T)``."""

    spread: jax.Array
    zscore: jax.Array


def cross_etf_spread(premium_a, premium_b, window, min_periods=None):
    """Spread of two funds' premia on the same index, ``premium_a - premium_b``, and its z-score.

    Two ETFs tracking one index should trade at similar premiums to NAV; a wide spread
    (EEM +0.30% vs IEMG -0.10%: 40 bp) is traded for convergence (short the rich fund,
    long the cheap one). The z-score (``rolling_zscore`` of the spread over ``window``)
    says how unusual today's spread is against its own recent history.

    Args:
      premium_a, premium_b: ``(..., T)`` premia (``etf_premium``) on the same dates;
        broadcast, so one fund ``(T,)`` against many ``(P, T)`` gives ``(P, T)`` pairs.
      window: z-score window in observations (static).
      min_periods: fewest valid points for the z-score.

    Returns:
      ``Spread(spread, zscore)``.

    Example::

      >>> import jax.numpy as jnp
      >>> a = etf_premium(jnp.array([40.1, 40.3]), jnp.array([40.0, 40.0]))   # 25, 75 bp
      >>> b = etf_premium(jnp.array([50.0, 50.1]), jnp.array([50.0, 50.0]))   # 0, 20 bp
      >>> s = cross_etf_spread(a, b, 2)
      >>> s.spread, s.zscore           # 55 bp today, 0.71 sd above the window's mean
      (Array([0.0025, 0.0055], dtype=float64), Array([       nan, 0.70710678], dtype=float64))
    """
    premium_a, premium_b = float_inputs(premium_a, premium_b)
    spread = premium_a - premium_b
    return Spread(spread=spread, zscore=rolling_zscore(spread, window, min_periods=min_periods))
