"""``etf_premium``: ETF premium/discount to NAV, rolling z-scores and cross-ETF spreads."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import EtfSettings
from jaxmm.stages.frames import daily_series
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float, min_periods, stack_series, window_count


def etf_premium(daily: pd.DataFrame, section: EtfSettings | dict) -> pd.DataFrame:
    """Premium/discount and z-score of every fund (one call each), and each configured
    spread of two funds on their common dates (one ``cross_etf_spread`` call)."""
    from jaxmm.stats.premia import cross_etf_spread, etf_premium as lib_premium, rolling_zscore

    section = EtfSettings.of(section)
    window = int(section.window)
    mp = min_periods(section, window, "statistics.etf")
    funds = section.funds
    if not funds:
        return pd.DataFrame(columns=statistics_schema.STAT_ETF_PREMIUM.names)
    frames = []
    for i, f in enumerate(funds):
        key = f"statistics.etf.funds[{i}]"
        price = daily_series(daily, {"source": f.source, "field": f.price}, key + ".price")
        nav = daily_series(daily, {"source": f.source, "field": f.nav}, key + ".nav")
        frames.append(price.rename(columns={"value": "price"}).merge(nav.rename(columns={"value": "nav"}), on="date")
                      .assign(series=f.name))
    fr, a = stack_series(pd.concat(frames, ignore_index=True), "series", ["price", "nav"])
    prem = as_float(lib_premium(a["price"], a["nav"]))
    z = as_float(rolling_zscore(prem, window, mp))
    at = (fr["row"].to_numpy(), fr["pos"].to_numpy())
    fr = fr.assign(kind="premium", premium=prem[at], zscore=z[at],
                   n=window_count(~np.isnan(prem), window)[at])
    parts = [fr]
    names = {f.name for f in funds}
    pairs = section.spreads
    for i, (x, y) in enumerate(pairs):
        for name in (x, y):
            if name not in names:
                raise ValueError(f"config error at statistics.etf.spreads[{i}]: {name!r} is not a fund name "
                                 f"({', '.join(sorted(names))})")
    if pairs:
        legs = fr[["series", "date", "premium"]]
        sp = pd.concat([legs[legs["series"] == x].merge(legs[legs["series"] == y], on="date", suffixes=("_a", "_b"))
                        .assign(series=f"{x}-{y}") for x, y in pairs], ignore_index=True)
        sp, b = stack_series(sp, "series", ["premium_a", "premium_b"])
        res = cross_etf_spread(b["premium_a"], b["premium_b"], window, mp)
        s_val = as_float(res.spread)
        at = (sp["row"].to_numpy(), sp["pos"].to_numpy())
        parts.append(sp[["series", "date"]].assign(kind="spread", price=np.nan, nav=np.nan, premium=s_val[at],
                                                   zscore=as_float(res.zscore)[at],
                                                   n=window_count(~np.isnan(s_val), window)[at]))
    out = pd.concat(parts, ignore_index=True)[["series", "kind", "date", "price", "nav", "premium", "zscore", "n"]]
    out["n"] = out["n"].astype(np.int64)
    out["status"] = np.select([out["premium"].isna(), out["n"] < mp, out["zscore"].isna()],
                              [Status.MISSING_PRICE, Status.FEW_OBS, Status.FLAT_WINDOW], Status.OK)
    return out
