"""Hedge ratios between futures tenors (seed 001's appendix): ``hedge_ratios`` and
``hedge_summary``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import HedgeSettings
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float, min_periods


HEDGE_STATISTICS = ["front_vol", "back_vol", "corr", "beta", "price_ratio", "h", "h2", "contracts_per_front",
                    "front_gamma", "back_gamma", "back_gamma_front", "gamma_neutral_contracts",
                    "gamma_neutral_vega"]


DAYS_PER_YEAR = {"calendar": 365.0, "business": 252.0}



def option_days(tenor, days, basis_days: float):
    """Days to expiry of a tenor's ATM option: given, or ``round(n x days_per_year / 12)``
    (M1 30 and M12 365 calendar days; 21 and 252 business days)."""
    return days if days is not None else float(round(tenor * basis_days / 12.0))



def days_per_year(section: HedgeSettings) -> float:
    return float(section.days_per_year or DAYS_PER_YEAR[section.day_basis])



def hedge_pairs(section: HedgeSettings, extra: list[tuple[int, int]]) -> pd.DataFrame:
    pairs = [(p.front, p.back, p.front_days, p.back_days) for p in section.pairs]
    known = {(f, b) for f, b, _, _ in pairs}
    pairs += [(f, b, None, None) for f, b in extra if (f, b) not in known]
    basis = days_per_year(section)
    out = pd.DataFrame(pairs, columns=["front_tenor", "back_tenor", "front_days", "back_days"])
    out["front_days"] = [option_days(f, d, basis) for f, d in zip(out["front_tenor"], out["front_days"])]
    out["back_days"] = [option_days(b, d, basis) for b, d in zip(out["back_tenor"], out["back_days"])]
    out["front_t"], out["back_t"] = out["front_days"] / basis, out["back_days"] / basis
    return out



def hedge_ratios(tenors: pd.DataFrame, section: HedgeSettings | dict,
                 extra_pairs: list[tuple[int, int]] = ()) -> pd.DataFrame:
    """The hedge_ratios table: every (source, pair) in one ``tenor_hedge_ratio`` call."""
    from jaxmm.stats import tenors as lib

    section = HedgeSettings.of(section)
    window = int(section.window)
    mp = min_periods(section, window, "statistics.hedge")
    pairs = hedge_pairs(section, list(extra_pairs))
    if section.sources:
        tenors = tenors[tenors["source"].isin(list(section.sources))]
    needed = np.unique(pairs[["front_tenor", "back_tenor"]].to_numpy())
    t = tenors[tenors["tenor"].isin(needed)]
    if t.empty:
        return pd.DataFrame(columns=statistics_schema.STAT_HEDGE_RATIOS.names)
    sources, s_idx = np.unique(t["source"].to_numpy(object), return_inverse=True)
    dates = t[["source", "date"]].drop_duplicates().sort_values(["source", "date"])
    dates["pos"] = dates.groupby("source").cumcount()
    date_grid = np.full((len(sources), int(dates["pos"].max()) + 1), None, dtype=object)
    date_grid[np.searchsorted(sources, dates["source"].to_numpy(object)), dates["pos"]] = dates["date"].to_numpy()
    t = t.merge(dates, on=["source", "date"])
    s_idx = np.searchsorted(sources, t["source"].to_numpy(object))
    k_idx = np.searchsorted(needed, t["tenor"].to_numpy())
    n_dates = dates.groupby("source").size().reindex(sources).to_numpy()
    shape = (len(sources), len(needed), int(n_dates.max()))
    settle, ret = np.full(shape, np.nan), np.full(shape, np.nan)
    contract = np.full(shape, None, dtype=object)
    settle[s_idx, k_idx, t["pos"]] = t["settle"].to_numpy(float)
    ret[s_idx, k_idx, t["pos"]] = t["log_return"].to_numpy(float, na_value=np.nan)
    contract[s_idx, k_idx, t["pos"]] = t["contract"].to_numpy(object)

    # One row per (source, pair): (G, T) arrays by fancy indexing, no loop over series.
    g_src = np.repeat(np.arange(len(sources)), len(pairs))
    g_pair = np.tile(np.arange(len(pairs)), len(sources))
    fk = np.searchsorted(needed, pairs["front_tenor"].to_numpy())[g_pair]
    bk = np.searchsorted(needed, pairs["back_tenor"].to_numpy())[g_pair]
    pf, pb, rf, rb = settle[g_src, fk], settle[g_src, bk], ret[g_src, fk], ret[g_src, bk]
    res = lib.tenor_hedge_ratio(rf, rb, pf, pb, window, float(section.annualisation), mp)
    hr = res.hedge
    t_front = pairs["front_t"].to_numpy()[g_pair][:, None]
    t_back = pairs["back_t"].to_numpy()[g_pair][:, None]
    front_gamma = lib.tenor_gamma(pf, hr.front_vol, t_front)
    back_gamma = lib.tenor_gamma(pb, hr.back_vol, t_back)
    front_vega = lib.tenor_vega(pf, hr.front_vol, t_front)
    back_vega = lib.tenor_vega(pb, hr.back_vol, t_back)
    gn = lib.gamma_neutral(front_gamma, back_gamma, hr.h2, back_vega, front_vega)

    cols = {"front_price": pf, "back_price": pb, "front_return": rf, "back_return": rb,
            "n_front": res.n_front, "n_back": res.n_back, "n_pairs": res.n_pairs,
            **{name: getattr(hr, name) for name in hr._fields},
            "front_gamma": front_gamma, "back_gamma": back_gamma, "back_gamma_front": gn.back_gamma_front,
            "gamma_neutral_contracts": gn.contracts, "front_vega": front_vega, "back_vega": back_vega,
            "gamma_neutral_vega": gn.vega, "gamma_neutral_net_vega": gn.net_vega}
    # Flatten the valid (row, date) cells: positions below each source's date count.
    valid = np.arange(shape[2])[None, :] < n_dates[g_src][:, None]
    gi, ti = np.nonzero(valid)
    out = pd.DataFrame({name: as_float(a)[gi, ti] for name, a in cols.items()})
    out.insert(0, "date", date_grid[g_src[gi], ti])
    out.insert(0, "back_tenor", pairs["back_tenor"].to_numpy()[g_pair[gi]].astype(np.int32))
    out.insert(0, "front_tenor", pairs["front_tenor"].to_numpy()[g_pair[gi]].astype(np.int32))
    out.insert(0, "source", sources[g_src[gi]])
    out["pair"] = "M" + out["front_tenor"].astype(str) + "/M" + out["back_tenor"].astype(str)
    out["front_contract"] = contract[g_src, fk][gi, ti]
    out["back_contract"] = contract[g_src, bk][gi, ti]
    out["front_t"], out["back_t"] = t_front[gi, 0], t_back[gi, 0]
    for c in ("n_front", "n_back", "n_pairs"):
        out[c] = out[c].astype(np.int64)
    missing = out["front_price"].isna() | out["back_price"].isna()
    few = (out[["n_front", "n_back", "n_pairs"]] < mp).any(axis=1)
    flat = (out["front_vol"] == 0) | (out["back_vol"] == 0) | out["corr"].isna()
    out["status"] = np.select([missing, few, flat], [Status.MISSING_PRICE, Status.FEW_OBS, Status.FLAT_WINDOW],
                              Status.OK)
    return out



def hedge_summary(hedge: pd.DataFrame, summary_days: int) -> pd.DataFrame:
    """Latest value and mean/min/max over the last ``summary_days`` (calendar) per statistic."""
    ok = hedge[hedge["status"] == Status.OK]
    keys = ["source", "front_tenor", "back_tenor", "pair"]
    if ok.empty:
        return pd.DataFrame(columns=statistics_schema.STAT_HEDGE_SUMMARY.names)
    end = ok.groupby(keys)["date"].transform("max")
    recent = ok[pd.to_datetime(ok["date"]) > pd.to_datetime(end) - pd.Timedelta(days=summary_days)]
    long = recent.melt(id_vars=keys + ["date"], value_vars=HEDGE_STATISTICS, var_name="statistic")
    long["statistic"] = pd.Categorical(long["statistic"], HEDGE_STATISTICS, ordered=True)
    long = long.sort_values(keys + ["statistic", "date"], kind="stable")
    out = long.groupby(keys + ["statistic"], observed=True).agg(
        latest_date=("date", "last"), latest=("value", "last"), mean=("value", "mean"),
        min=("value", "min"), max=("value", "max"), n_obs=("value", "count"),
        window_start=("date", "first")).reset_index()
    out["statistic"] = out["statistic"].astype(str)
    out["n_obs"] = out["n_obs"].astype(np.int64)
    return out
