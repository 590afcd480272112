"""Statistics stage: term-structure and volatility statistics on the ingested data.

Tables (``results/statistics/``; every column documented in :mod:`jaxmm.stages.statistics.schema`):

* ``hedge_ratios``: per futures source, tenor pair (M1/M12 by default) and date, the
  trailing realised vols, correlation, beta, price ratio, hedge ratio ``h = beta P_back /
  P_front`` and ``h2`` (seed 001's appendix), the ATM Black-76 gamma and vega of each
  tenor with realised vol standing in for implied, the back gamma in front terms
  (``x h2``) and the back contracts (and vega) of a gamma-neutral time spread
  (:mod:`jaxmm.stats.tenors`). Returns are the ingest stage's per-contract ``log_return``
  (a roll date's return is the new contract's own), so rolls cost no observation.
* ``hedge_summary``: latest, mean, min and max over the last ``summary_days`` per pair and
  statistic.
* ``portfolio_risk``: a positions file valued on the latest date with every hedge ratio
  it needs; raw and front-equivalent (``x h``, ``x h2``) Greeks per tenor and in total.
* ``vol_beta``: rolling regression of vol-index changes on spot returns, with its standard
  error (:func:`jaxmm.stats.vol_path.vol_beta`).
* ``effective_deltas``: each option of the implied-vol chain with a mid IV, its naive delta
  and its vol-path delta for every configured slope.
* ``event_vol``: the configured event-vol examples, each solved for its one unknown.
* ``vol_premium``: implied minus trailing realised vol, for vol indices through time and
  for the chains' ATM IV term structures.
* ``etf_premium``: ETF premium/discount to NAV, its rolling z-score, cross-ETF spreads.

Every statistic is one vectorised library call over all series: series with their own
calendars are stacked as rows of a ``(series, T)`` array, each row on its own dates
(left-aligned and NaN-padded), so no series sees another's holidays as missing data.
A value that cannot be computed is null with a ``status`` saying why.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import StatisticsSettings
from jaxmm.stages.frames import to_table
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import vol_frame
from jaxmm.stages.statistics.effective_deltas import effective_deltas
from jaxmm.stages.statistics.etf import etf_premium
from jaxmm.stages.statistics.event_vol import event_vol
from jaxmm.stages.statistics.hedge import hedge_ratios, hedge_summary
from jaxmm.stages.statistics.portfolio import portfolio_risk
from jaxmm.stages.statistics.positions import read_positions
from jaxmm.stages.statistics.vol_beta import vol_beta
from jaxmm.stages.statistics.vol_premium import vol_premium

log = logging.getLogger(__name__)

TABLES = {"hedge_ratios": statistics_schema.STAT_HEDGE_RATIOS, "hedge_summary": statistics_schema.STAT_HEDGE_SUMMARY,
          "portfolio_risk": statistics_schema.STAT_PORTFOLIO_RISK, "vol_beta": statistics_schema.STAT_VOL_BETA,
          "effective_deltas": statistics_schema.STAT_EFFECTIVE_DELTAS, "event_vol": statistics_schema.STAT_EVENT_VOL,
          "vol_premium": statistics_schema.STAT_VOL_PREMIUM, "etf_premium": statistics_schema.STAT_ETF_PREMIUM}


def compute(tenors: pd.DataFrame, daily: pd.DataFrame, forwards: pd.DataFrame, quotes: pd.DataFrame,
            section: StatisticsSettings | dict, positions: pd.DataFrame | None = None,
            svi_params: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The stage's eight tables from the ingest and implied-vol tables (``positions``: a
    :func:`read_positions` book, or None; ``svi_params``: the surfaces stage's fits, for
    the chains' ATM vols, or None)."""
    section = StatisticsSettings.of(section)
    hedge_section = section.hedge
    extra = []
    if positions is not None:
        backs = sorted(k for k in positions["tenor"].unique() if k != 1) or [1]
        extra = [(1, int(k)) for k in backs]
    hedge = hedge_ratios(tenors, hedge_section, extra)
    configured = {(p.front, p.back) for p in hedge_section.pairs}
    is_configured = np.array([(f, b) in configured for f, b in zip(hedge["front_tenor"], hedge["back_tenor"])],
                             dtype=bool)
    summary = hedge_summary(hedge[is_configured], int(hedge_section.summary_days))
    risk = (portfolio_risk(positions, hedge, tenors, hedge_section, section.positions.source)
            if positions is not None else pd.DataFrame(columns=statistics_schema.STAT_PORTFOLIO_RISK.names))
    series = vol_frame(daily, section.vol_series)
    return {"hedge_ratios": hedge, "hedge_summary": summary, "portfolio_risk": risk,
            "vol_beta": vol_beta(series, section.vol_beta),
            "effective_deltas": effective_deltas(quotes, section.effective_deltas),
            "event_vol": event_vol(section.event_vol),
            "vol_premium": vol_premium(series, forwards, daily, section.vol_premium, svi_params),
            "etf_premium": etf_premium(daily, section.etf)}



def run(inputs: dict, outputs: dict, params: dict) -> None:
    section = StatisticsSettings.of(params["section"])
    path = section.positions.path
    positions = read_positions(path) if path else None
    svi_params = pd.read_parquet(inputs["svi_params"]) if inputs.get("svi_params") else None
    tables = compute(pd.read_parquet(inputs["tenors"]), pd.read_parquet(inputs["daily"]),
                     pd.read_parquet(inputs["forwards"]), pd.read_parquet(inputs["quotes"]), section, positions,
                     svi_params)
    for name, schema in TABLES.items():
        pq.write_table(to_table(tables[name], schema), outputs[name])
    s = tables["hedge_summary"]
    for _, r in s[s["statistic"].isin(["h", "h2"])].iterrows():
        log.info("statistics: %s %s %s latest %.4g (%s), mean %.4g, min %.4g, max %.4g over %d days",
                 r["source"], r["pair"], r["statistic"], r["latest"], r["latest_date"], r["mean"], r["min"],
                 r["max"], r["n_obs"])
    vb = tables["vol_beta"]
    for name, g in vb[vb["status"] == Status.OK].groupby("series"):
        log.info("statistics: vol beta %s latest %.3f (se %.3f) on %s", name, g["slope"].iloc[-1],
                 g["slope_se"].iloc[-1], g["date"].iloc[-1])
    log.info("statistics: rows %s; statuses %s", {k: len(v) for k, v in tables.items()},
             {k: v["status"].value_counts().to_dict() for k, v in tables.items() if "status" in v})
