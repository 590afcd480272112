"""pandas in, pandas out: the library from a notebook.

Each function takes DataFrames / Series, keeps their index, and calls the same code as
the pipeline's stages (no second implementation): ``implied_vols`` is the
``implied_vols`` stage's forward and quote solve, ``fit_surface`` the ``surfaces``
stage's SVI fit, checks and fair values, ``simulate_summary`` the ``mm`` stage's summary
row. Column names are the pipeline's (docs/outputs.md: ``results/ingest/chains.parquet``,
``results/implied_vols/quotes.parquet``, ``results/surfaces/svi_params.parquet``).

Implied vols and smile fits need float64: these functions raise :class:`Float64Required`
when JAX's x64 is off (call ``jaxmm.configure_jax()`` before importing JAX, or
``jax.config.update("jax_enable_x64", True)``).

Example::

    >>> from jaxmm import notebook as nb
    >>> chain = nb.read_chain("data/spx_20251001")             # doctest: +SKIP
    >>> quotes = nb.implied_vols(chain)                         # doctest: +SKIP
    >>> fit = nb.fit_surface(quotes)                            # doctest: +SKIP
    >>> fit.params[["expiry", "a", "b", "rho", "m", "sigma", "status"]]   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from jaxmm._src.dtypes import Float64Required, require_x64

__all__ = ["Float64Required", "SurfaceFit", "read_chain", "implied_vols", "greeks", "fit_smile", "fit_surface",
           "hedge_ratio", "simulate_summary", "hedge_summary"]


def read_chain(paths: str | Path | Sequence[str | Path], fmt: str = "cboe", source: str = "chain",
               **options) -> pd.DataFrame:
    """Option-chain files (a file, a folder or a glob; several as a list) as the ingest
    stage's chains table, with as-of and settlement times (the stage's
    ``read_chain_source``). ``options``: the keys of an ``ingest.chains.sources[]`` entry
    (``timezone``, ``root``, ``snapshot_time``, ``calendar``, ``settlement``...,
    docs/inputs.md). Quarantined rows are dropped here (``jaxmm.stages.ingest
    .read_chain_source(...).quarantine`` lists them with their reasons)."""
    from jaxmm.stages.ingest import read_chain_source

    if isinstance(paths, (str, Path)):
        paths = [paths]
    src = {"name": source, "format": fmt, "paths": [str(p) for p in paths], **options}
    return read_chain_source(src, {}, f"read_chain({source!r})").table.to_pandas()


def implied_vols(chains: pd.DataFrame, section: dict | None = None) -> pd.DataFrame:
    """Forwards, bid/mid/ask implied vols, statuses and Greeks of every quote.

    Args:
      chains: a chains table (``read_chain``, or ``results/ingest/chains.parquet``): the
        columns ``source, underlying, quote_date, expiry, root, quote_time,
        settlement_time, calendar, underlying_price, strike, right, bid, ask``.
      section: the ``implied_vols`` config section (docs/config.md); None: defaults.
    Returns:
      ``chains`` with the quotes table's columns added (``t, forward, discount, mid,
      log_moneyness, otm, {bid,mid,ask}_iv, {..}_iv_status, quote_status, delta, gamma,
      vega, theta``...), same index, same rows; each slice's forward from put-call parity
      (the stage's ``slice_forwards``), ``atm_iv`` per slice added to each row.
    """
    from jaxmm.stages import implied_vols as stage

    require_x64("implied vols")
    section = {} if section is None else section
    slices, slice_id, _ = stage.slice_forwards(chains, section)
    quotes = stage.quote_vols(chains, slices, slice_id)
    stage.add_atm_vols(slices, quotes, slice_id)
    for col in ("atm_iv", "rate", "rate_status"):
        quotes[col] = slices[col].to_numpy()[slice_id]
    quotes.index = chains.index
    return quotes


def greeks(quotes: pd.DataFrame, vol: str | pd.Series = "mid_iv") -> pd.DataFrame:
    """Black-76 delta, gamma, vega and theta of each row (conventions of the quotes
    table: ``delta = dV/dF``, vega per unit of vol, theta per year at fixed F and D).

    Args:
      quotes: columns ``forward, strike, t, right`` ("C"/"P") and ``discount`` (1 if absent).
      vol: the column (or a Series on the same index) of the vols to price at.
    Returns:
      DataFrame with ``delta, gamma, vega, theta`` on ``quotes.index``; NaN where the vol is.
    """
    from jaxmm.stages.implied_vols import black_greeks

    v = quotes[vol] if isinstance(vol, str) else vol.reindex(quotes.index)
    v = v.to_numpy(float)
    ok = np.isfinite(v) & (v > 0)
    discount = quotes["discount"].to_numpy(float) if "discount" in quotes else np.ones(len(quotes))
    out = black_greeks(quotes["forward"].to_numpy(float), quotes["strike"].to_numpy(float),
                       np.where(ok, quotes["t"].to_numpy(float), 1.0), np.where(ok, v, 0.2),
                       (quotes["right"] == "C").to_numpy(), discount)
    return pd.DataFrame({k: np.where(ok, x, np.nan) for k, x in out.items()}, index=quotes.index)


class SurfaceFit(NamedTuple):
    """``fit_surface``'s result.

    Attributes:
      params: one row per slice (expiry of a snapshot): raw SVI ``a, b, rho, m, sigma``,
        jump-wings, ``status`` (``ok``, ``off_market``, ...), ``off_market_reason`` and the
        diagnostics of ``results/surfaces/svi_params.parquet`` (``rmse_vol`` in vol points,
        ``frac_inside``, ``frac_inside_3sd``, ``max_abs_residual``, ``min_g``, ...).
      quotes: the quotes of fitted slices, on the input's index, with ``fair_iv``,
        ``fair_value``, ``residual_usd``, ``residual_half_spreads``, ``in_fit``,
        ``fit_status`` (``results/surfaces/fair_values.parquet``).
      ssvi: one SSVI surface per snapshot.
    """

    params: pd.DataFrame
    quotes: pd.DataFrame
    ssvi: pd.DataFrame


def _forwards(quotes: pd.DataFrame) -> pd.DataFrame:
    """The forwards table (one row per slice) the surfaces stage reads, from quotes."""
    from jaxmm.stages.implied_vols import SLICE_KEYS, atm_vol

    cols = {"t": "first", "forward": "first", "discount": "first"}
    if "quote_time" in quotes:
        cols["quote_time"] = "max"
    fw = quotes.groupby(SLICE_KEYS, sort=True, observed=True).agg(cols).reset_index()
    if "atm_iv" in quotes:
        fw["atm_iv"] = quotes.groupby(SLICE_KEYS, sort=True, observed=True)["atm_iv"].first().to_numpy()
    else:
        ok = quotes["otm"] & (quotes["quote_status"] == "ok")
        atm = {key: atm_vol(g["log_moneyness"].to_numpy(float), g["mid_iv"].to_numpy(float))
               for key, g in quotes[ok].groupby(SLICE_KEYS, sort=True, observed=True)}
        fw["atm_iv"] = [atm.get(tuple(r), np.nan) for r in fw[SLICE_KEYS].itertuples(index=False)]
    return fw


def fit_surface(quotes: pd.DataFrame, section: dict | None = None) -> SurfaceFit:
    """Raw SVI smile per expiry (all slices in one batched fit, calendar-checked against
    the next expiry), SSVI per snapshot, and every quote's fair vol and value: the
    ``surfaces`` stage on a quotes table (``implied_vols``'s output, or
    ``results/implied_vols/quotes.parquet``).

    Args:
      quotes: quotes with implied vols (``implied_vols``).
      section: the ``surfaces`` config section (docs/config.md); None: defaults.
    """
    from jaxmm.stages import surfaces as stage

    require_x64("SVI fits")
    section = {} if section is None else section
    q = quotes.copy()
    q["_row"] = np.arange(len(q))
    tables = stage.compute(q.reset_index(drop=True), _forwards(quotes), section)
    fair = tables["fair_values"]
    fair.index = quotes.index[fair.pop("_row").to_numpy()]
    return SurfaceFit(tables["svi_params"], fair, tables["ssvi_params"])


def fit_smile(quotes: pd.DataFrame, section: dict | None = None) -> SurfaceFit:
    """``fit_surface`` for one expiry of one snapshot (a ValueError names the slices if
    ``quotes`` holds more than one): ``params`` is then one row."""
    from jaxmm.stages.implied_vols import SLICE_KEYS

    n = quotes.groupby(SLICE_KEYS, observed=True).ngroups
    if n != 1:
        raise ValueError(f"fit_smile: expected the quotes of one expiry, got {n} slices "
                         f"(by {', '.join(SLICE_KEYS)}); use fit_surface")
    return fit_surface(quotes, section)


def hedge_ratio(front: pd.Series, back: pd.Series, window: int = 20, *, front_valid: pd.Series | None = None,
                back_valid: pd.Series | None = None, annualisation: float = 252.0) -> pd.DataFrame:
    """``jaxmm.stats.rolling.hedge_ratio`` on two price Series: aligned on their index
    (union; a date one side lacks is missing there), returned as a DataFrame on that index
    with ``front_vol, back_vol, corr, beta, price_ratio, h, h2, contracts_per_front``.
    ``front_valid`` / ``back_valid``: False where that side's return spans a roll."""
    import jax.numpy as jnp

    from jaxmm.stats import rolling

    f, b = front.align(back, join="outer")
    kw = {}
    for name, valid in (("front_valid", front_valid), ("back_valid", back_valid)):
        if valid is not None:
            kw[name] = jnp.asarray(valid.reindex(f.index, fill_value=True).to_numpy(bool))
    hr = rolling.hedge_ratio(jnp.asarray(f.to_numpy(float)), jnp.asarray(b.to_numpy(float)), window,
                             annualisation=annualisation, **kw)
    return pd.DataFrame({name: np.asarray(v) for name, v in hr._asdict().items()}, index=f.index)


def simulate_summary(grid, key, n_paths: int, n_steps: int, *, strategy="inventory", mid: str = "binary",
                     fill: str = "linear", jumps: bool = False, **options) -> pd.DataFrame:
    """Avellaneda–Stoikov / GLFT simulation (``jaxmm.mm.simulate.simulate_grid``) summarised
    as the ``mm`` stage's ``as_summary`` rows: one row per grid point (the grid's fields as
    columns), mean profit with its standard error, std, Sharpe-like ratio, quantiles,
    final inventory, fills, spread, drawdown."""
    import jax.numpy as jnp

    from jaxmm.mm.simulate import simulate_grid
    from jaxmm.stages.mm import summarise

    stats = simulate_grid(grid, key, n_paths, n_steps, strategy=strategy, mid=mid, fill=fill, jumps=jumps,
                          **options)
    g = stats.profit.shape[0]
    model = {name: np.broadcast_to(np.asarray(v, float), (g,)) for name, v in grid._asdict().items()
             if name != "gamma"}
    dtype = jnp.dtype(options.get("dtype", jnp.float64)).name
    return summarise(stats, np.broadcast_to(np.asarray(grid.gamma, float), (g,)), getattr(strategy, "name", strategy), "notebook", model,
                     {"mid": mid, "fill": fill, "jumps": jumps}, n_steps, dtype)


def hedge_summary(grid, key, n_paths: int, n_steps: int, **options) -> pd.DataFrame:
    """Delta-hedging simulation (``jaxmm.hedging.delta_hedge.simulate_hedge``) as one row
    per grid point: the grid's fields, mean P&L with its standard error, std of the P&L
    (the hedging error), mean rebalances and shares traded."""
    from jaxmm.hedging.delta_hedge import simulate_hedge

    res = simulate_hedge(grid, key, n_paths, n_steps, **options)
    pnl = np.asarray(res.pnl, float)
    g = pnl.shape[0]
    out = pd.DataFrame({name: np.broadcast_to(np.asarray(v, float), (g,)) for name, v in grid._asdict().items()
                        if v is not None and np.ndim(v) <= 1})
    std = pnl.std(axis=1, ddof=1)
    out["mean_pnl"] = pnl.mean(axis=1)
    out["se_pnl"] = std / np.sqrt(pnl.shape[1])
    out["std_pnl"] = std
    out["mean_rebalances"] = np.asarray(res.n_rebalances, float).mean(axis=1)
    out["mean_shares_traded"] = np.asarray(res.shares_traded, float).mean(axis=1)
    return out
