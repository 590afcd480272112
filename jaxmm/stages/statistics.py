"""Statistics stage: term-structure and volatility statistics on the ingested data.

Tables (``results/statistics/``; every column documented in :mod:`jaxmm.io.schemas`):

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
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from jaxmm.io import schemas
from jaxmm.io.errors import InputFileError
from jaxmm.settings import (EffectiveDeltasSettings, EtfSettings, EventVolSettings, HedgeSettings,
                            StatisticsSettings, VolBetaSettings, VolPremiumSettings, VolSeries)
from jaxmm.stages.frames import daily_series, to_table

log = logging.getLogger(__name__)

TABLES = {"hedge_ratios": schemas.STAT_HEDGE_RATIOS, "hedge_summary": schemas.STAT_HEDGE_SUMMARY,
          "portfolio_risk": schemas.STAT_PORTFOLIO_RISK, "vol_beta": schemas.STAT_VOL_BETA,
          "effective_deltas": schemas.STAT_EFFECTIVE_DELTAS, "event_vol": schemas.STAT_EVENT_VOL,
          "vol_premium": schemas.STAT_VOL_PREMIUM, "etf_premium": schemas.STAT_ETF_PREMIUM}


class Status:
    """Values of the ``status`` columns (why a statistic is, or is not, there)."""

    OK = "ok"
    MISSING_PRICE = "missing_price"    # a tenor (or series) has no value on the date
    FEW_OBS = "few_obs"                # fewer than min_periods observations in the window
    FLAT_WINDOW = "flat_window"        # zero variance in the window: ratio undefined
    NO_SOLUTION = "no_solution"        # event vol: the inputs admit no real solution
    NO_SPOT = "no_spot"                # chain ATM IV: no spot observation within SPOT_TOLERANCE


HEDGE_STATISTICS = ["front_vol", "back_vol", "corr", "beta", "price_ratio", "h", "h2", "contracts_per_front",
                    "front_gamma", "back_gamma", "back_gamma_front", "gamma_neutral_contracts",
                    "gamma_neutral_vega"]
SPOT_TOLERANCE = pd.Timedelta(days=5)   # a chain's quote date may follow the spot's last close by a weekend
_DAYS_PER_YEAR = {"calendar": 365.0, "business": 252.0}


# --------------------------------------------------------------------------- array plumbing

def _stack(frame: pd.DataFrame, key: str, columns: list[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Rows of ``frame`` (sorted by key, date) as ``(n_keys, T)`` arrays, one row a key on its
    own dates (left-aligned, NaN after its last date). Returns the frame with integer
    ``row``/``pos`` columns (where each record sits) and the arrays."""
    frame = frame.sort_values([key, "date"], kind="stable").reset_index(drop=True)
    row = pd.factorize(frame[key], sort=False)[0]
    pos = frame.groupby(row, sort=False).cumcount().to_numpy()
    shape = (int(row.max()) + 1 if len(row) else 0, int(pos.max()) + 1 if len(pos) else 0)
    arrays = {}
    for col in columns:
        a = np.full(shape, np.nan)
        a[row, pos] = frame[col].to_numpy(float)
        arrays[col] = a
    return frame.assign(row=row, pos=pos), arrays


def _window_count(valid: np.ndarray, window: int) -> np.ndarray:
    """Number of True in each trailing window ``[t - window + 1, t]`` (exact integers)."""
    c = np.cumsum(valid, axis=-1)
    out = c.copy()
    out[..., window:] -= c[..., :-window]
    return out


def _min_periods(section, window: int, key: str) -> int:
    mp = section.min_periods
    if mp is None:
        return window
    if not 1 <= mp <= window:
        raise ValueError(f"config error at {key}.min_periods: must be between 1 and the window ({window}), got {mp}")
    return int(mp)


def _j(x):
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- hedge ratios

def option_days(tenor, days, basis_days: float):
    """Days to expiry of a tenor's ATM option: given, or ``round(n x days_per_year / 12)``
    (M1 30 and M12 365 calendar days; 21 and 252 business days)."""
    return days if days is not None else float(round(tenor * basis_days / 12.0))


def _days_per_year(section: HedgeSettings) -> float:
    return float(section.days_per_year or _DAYS_PER_YEAR[section.day_basis])


def _hedge_pairs(section: HedgeSettings, extra: list[tuple[int, int]]) -> pd.DataFrame:
    pairs = [(p.front, p.back, p.front_days, p.back_days) for p in section.pairs]
    known = {(f, b) for f, b, _, _ in pairs}
    pairs += [(f, b, None, None) for f, b in extra if (f, b) not in known]
    basis = _days_per_year(section)
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
    mp = _min_periods(section, window, "statistics.hedge")
    pairs = _hedge_pairs(section, list(extra_pairs))
    if section.sources:
        tenors = tenors[tenors["source"].isin(list(section.sources))]
    needed = np.unique(pairs[["front_tenor", "back_tenor"]].to_numpy())
    t = tenors[tenors["tenor"].isin(needed)]
    if t.empty:
        return pd.DataFrame(columns=schemas.STAT_HEDGE_RATIOS.names)
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
    out = pd.DataFrame({name: _j(a)[gi, ti] for name, a in cols.items()})
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
        return pd.DataFrame(columns=schemas.STAT_HEDGE_SUMMARY.names)
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


# --------------------------------------------------------------------------- positions

POSITION_COLUMNS = {  # name: (required, what it must hold)
    "tenor": (True, "a tenor number n >= 1 of Mn (1 = front)"),
    "instrument": (True, "'option' or 'future'"),
    "quantity": (True, "a signed number of contracts (negative = short)"),
    "right": (False, "'C' or 'P' for an option, empty for a future"),
    "strike": (False, "a strike > 0 or 'atm' for an option, empty for a future"),
    "vol": (False, "an annualised vol > 0 (0.35 = 35%) or empty (the tenor's trailing realised vol)"),
    "days": (False, "days to expiry > 0 or empty (the tenor's option days)"),
    "price": (False, "the futures price > 0 or empty (the tenor's settle)"),
    "h": (False, "a finite hedge ratio or empty (hedge_ratios' latest h of M1 against the tenor)"),
}


def read_positions(path: str | Path) -> pd.DataFrame:
    """Parse and check a positions CSV (README, Input formats). A bad cell raises
    ``InputFileError`` naming the file, line, column and what was expected."""
    from jaxmm.io.tabular import fold, load_csv, parse_number, require_column

    csvt = load_csv(path)
    index = csvt.index()
    pos = {name: require_column(csvt, name, what) if required else index.get(fold(name))
           for name, (required, what) in POSITION_COLUMNS.items()}
    rows = []
    for rec in csvt.records:   # user file parsing: one pass over its (few) lines
        if len(rec.fields) != len(csvt.header):
            raise InputFileError(path, f"{len(csvt.header)} fields as in the header", line=rec.line,
                                 found=f"{len(rec.fields)} fields")
        cell = {name: (rec.fields[i].strip() if i is not None else "") for name, i in pos.items()}

        def bad(name, found=None):
            return InputFileError(path, POSITION_COLUMNS[name][1], line=rec.line, column=name,
                                  found=cell[name] if found is None else found)

        def number(name, positive=False):
            text = cell[name]
            if not text:
                return None
            try:
                value = parse_number(text)
            except ValueError:
                raise bad(name) from None
            if value is None or (positive and value <= 0):
                raise bad(name)
            return value

        tenor = number("tenor")
        if tenor is None or tenor != int(tenor) or tenor < 1:
            raise bad("tenor")
        instrument = cell["instrument"].lower()
        if instrument not in ("option", "future"):
            raise bad("instrument")
        quantity = number("quantity")
        if quantity is None:
            raise bad("quantity")
        right, strike = cell["right"].upper(), np.nan
        if instrument == "option":
            right = {"CALL": "C", "PUT": "P"}.get(right, right)
            if right not in ("C", "P"):
                raise bad("right")
            if cell["strike"].lower() != "atm":
                strike = number("strike", positive=True)
                if strike is None:
                    raise bad("strike")
        else:
            for name in ("right", "strike", "vol", "days"):
                if cell[name]:
                    raise InputFileError(path, f"an empty {name} for a future", line=rec.line, column=name,
                                         found=cell[name])
            right = ""
        vol, days, price, h = (number(n, positive=(n != "h")) for n in ("vol", "days", "price", "h"))
        rows.append({"line": rec.line, "tenor": int(tenor), "instrument": instrument, "right": right,
                     "strike": strike, "quantity": quantity,
                     **{k: (np.nan if v is None else v) for k, v in
                        (("vol", vol), ("days", days), ("price", price), ("h", h))}})
    book = pd.DataFrame(rows)
    for tenor, g in book.groupby("tenor"):
        hs = g["h"].dropna().unique()
        if len(hs) > 1:
            line = int(g.loc[g["h"] != hs[0], "line"].dropna().iloc[0])
            raise InputFileError(path, f"one h per tenor (tenor {tenor} already has h = {hs[0]:g})", line=line,
                                 column="h", found=f"{g.loc[g['line'] == line, 'h'].iloc[0]:g}")
    book["source_file"] = str(path)
    return book


def portfolio_risk(book: pd.DataFrame, hedge: pd.DataFrame, tenors: pd.DataFrame, section: HedgeSettings | dict,
                   source: str | None) -> pd.DataFrame:
    """Per-tenor and total raw / front-equivalent Greeks of the book on its valuation date:
    the latest date where every (M1, tenor) pair the book needs has status ok."""
    import jax.numpy as jnp

    from jaxmm.stats import tenors as lib

    path = book["source_file"].iloc[0]
    sources = sorted(tenors["source"].unique())
    if source is None:
        if len(sources) != 1:
            raise ValueError(f"config error at statistics.positions.source: several futures sources "
                             f"({', '.join(sources)}); name the one the positions are on")
        source = sources[0]
    available = set(tenors.loc[tenors["source"] == source, "tenor"])
    if not available:
        raise ValueError(f"config error at statistics.positions.source: no futures source {source!r} "
                         f"(have {', '.join(sources)})")
    unknown = book[~book["tenor"].isin(available)]
    if len(unknown):
        r = unknown.iloc[0]
        raise InputFileError(path, f"a tenor of futures source {source!r} (1..{max(available)})",
                             line=int(r["line"]), column="tenor", found=str(r["tenor"]))
    book_tenors = np.array(sorted(book["tenor"].unique()))
    backs = [k for k in book_tenors if k != 1] or [1]
    h = hedge[(hedge["source"] == source) & (hedge["front_tenor"] == 1) & hedge["back_tenor"].isin(backs)]
    ok = h[h["status"] == Status.OK].groupby("date")["back_tenor"].nunique()
    ok_dates = ok[ok == len(backs)].index
    if not len(ok_dates):
        raise ValueError(f"{path}: no date of futures source {source!r} where the hedge ratios of M1 against "
                         f"tenors {list(backs)} are all available (status ok); see hedge_ratios.parquet")
    date = max(ok_dates)
    today = h[h["date"] == date].set_index("back_tenor")
    front_vol = float(today["front_vol"].iloc[0])
    per_tenor = pd.DataFrame({"tenor": book_tenors})
    per_tenor["vol"] = [front_vol if k == 1 else today.loc[k, "back_vol"] for k in book_tenors]
    per_tenor["price"] = [float(today["front_price"].iloc[0]) if k == 1 else today.loc[k, "back_price"]
                          for k in book_tenors]
    per_tenor["h_hedge"] = [1.0 if k == 1 else today.loc[k, "h"] for k in book_tenors]
    override = book.groupby("tenor")["h"].first().reindex(book_tenors)
    per_tenor["h"] = np.where(override.notna(), override, per_tenor["h_hedge"])
    per_tenor["h_source"] = np.where(override.notna(), "positions_file",
                                     np.where(book_tenors == 1, "front", "hedge_ratios"))

    basis = _days_per_year(HedgeSettings.of(section))
    k_idx = np.searchsorted(book_tenors, book["tenor"].to_numpy())
    forward = np.where(book["price"].notna(), book["price"], per_tenor["price"].to_numpy()[k_idx])
    strike = np.where(book["strike"].notna(), book["strike"], forward)       # empty strike: 'atm'
    vol = np.where(book["vol"].notna(), book["vol"], per_tenor["vol"].to_numpy()[k_idx])
    default_days = np.array([option_days(k, None, basis) for k in book["tenor"]])
    t = np.where(book["days"].notna(), book["days"], default_days) / basis
    is_option = (book["instrument"] == "option").to_numpy()
    g = lib.position_greeks(forward, strike, t, vol, (book["right"] == "C").to_numpy(), is_option)
    risk = lib.portfolio_risk(jnp.asarray(k_idx), g.delta, g.gamma, g.vega, g.theta,
                              book["quantity"].to_numpy(float), per_tenor["h"].to_numpy(float))
    fields = list(risk.by_tenor._fields)
    rows = per_tenor.assign(level="tenor", n_positions=book.groupby("tenor").size().reindex(book_tenors).to_numpy(),
                            **{f: _j(getattr(risk.by_tenor, f)) for f in fields})
    total = pd.DataFrame([{"level": "total", "tenor": None, "h": np.nan, "h_source": None, "price": np.nan,
                           "vol": np.nan, "n_positions": len(book),
                           **{f: float(getattr(risk.total, f)) for f in fields}}])
    out = pd.concat([rows, total], ignore_index=True)
    out["tenor"] = out["tenor"].astype("Int32")
    out["n_positions"] = out["n_positions"].astype(np.int64)
    out["source"], out["date"], out["positions_file"] = source, date, path
    return out


# --------------------------------------------------------------------------- vol beta, vol premium

def _vol_frame(daily: pd.DataFrame, series) -> pd.DataFrame:
    """Long (series, date, spot, vol) of every configured vol series, vol as a decimal;
    dates where both are present."""
    frames = []
    for i, s in enumerate(series):
        key = f"statistics.vol_series[{i}]"
        s = VolSeries.of(s)
        spot = daily_series(daily, s.spot, key + ".spot").rename(columns={"value": "spot"})
        vol = daily_series(daily, s.vol, key + ".vol").rename(columns={"value": "vol"})
        if s.vol_unit == "points":
            vol["vol"] = vol["vol"] / 100.0
        frames.append(spot.merge(vol, on="date").assign(series=s.name))
    if not frames:
        return pd.DataFrame(columns=["series", "date", "spot", "vol"])
    return pd.concat(frames, ignore_index=True)


def vol_beta(frame: pd.DataFrame, section: VolBetaSettings | dict) -> pd.DataFrame:
    """Rolling vol beta of every vol series in one ``vol_beta`` call."""
    from jaxmm.stats.rolling import log_returns
    from jaxmm.stats.vol_path import vol_beta as lib_vol_beta

    section = VolBetaSettings.of(section)
    window = int(section.window)
    mp = _min_periods(section, window, "statistics.vol_beta")
    if frame.empty:
        return pd.DataFrame(columns=schemas.STAT_VOL_BETA.names)
    frame, a = _stack(frame, "series", ["spot", "vol"])
    r = _j(log_returns(a["spot"]))
    if section.changes == "log":
        dvol = _j(log_returns(a["vol"]))
    else:   # vol points
        dvol = np.concatenate([np.full((len(r), 1), np.nan), 100.0 * np.diff(a["vol"], axis=-1)], axis=-1)
    vb = lib_vol_beta(dvol, r, window, mp)
    at = (frame["row"].to_numpy(), frame["pos"].to_numpy())
    out = frame[["series", "date", "spot", "vol"]].assign(
        spot_return=r[at], vol_change=dvol[at], slope=_j(vb.slope)[at], slope_se=_j(vb.slope_se)[at],
        corr=_j(vb.corr)[at], n=_j(vb.n)[at].astype(np.int64))
    out["status"] = np.select([out["n"] < max(mp, 3), out["slope"].isna() | out["corr"].isna()],
                              [Status.FEW_OBS, Status.FLAT_WINDOW], Status.OK)
    return out


def chain_atm_vols(forwards: pd.DataFrame, svi_params: pd.DataFrame | None, use_svi: bool) -> pd.DataFrame:
    """``forwards`` with ``atm_vol`` and ``iv_source``: the SVI ATM vol sqrt(jw_v) of the
    surfaces stage where the slice was fitted (and ``use_svi``), else the interpolated
    ``atm_iv`` of the implied-vol stage."""
    keys = schemas.SLICE_KEYS
    f = forwards.copy()
    svi_vol = np.full(len(f), np.nan)
    if use_svi and svi_params is not None and len(svi_params):
        m = f[keys].merge(svi_params[keys + ["jw_v"]], on=keys, how="left")
        svi_vol = np.sqrt(m["jw_v"].to_numpy(float))
    have = np.isfinite(svi_vol)
    f["atm_vol"] = np.where(have, svi_vol, f["atm_iv"].to_numpy(float))
    f["iv_source"] = np.where(have, "svi", "interpolated")
    return f


def vol_premium(frame: pd.DataFrame, forwards: pd.DataFrame, daily: pd.DataFrame, section: VolPremiumSettings | dict,
                svi_params: pd.DataFrame | None = None) -> pd.DataFrame:
    """Implied minus trailing realised vol: vol indices through time, and each configured
    chain's ATM vol per expiry (``chain_atm_vols``) against its spot series' realised vol
    on the quote date."""
    from jaxmm.stats.premia import forward_vol_risk_premium, vol_risk_premium
    from jaxmm.stats.rolling import log_returns, realised_vol

    section = VolPremiumSettings.of(section)
    window = int(section.window)
    mp = _min_periods(section, window, "statistics.vol_premium")
    ann = float(section.annualisation)
    chains = section.chains
    spots = [daily_series(daily, c.spot, f"statistics.vol_premium.chains[{i}].spot")
             .rename(columns={"value": "spot"}).assign(series=f"chain:{i}") for i, c in enumerate(chains)]
    # Index series (IV = the vol index) and chain spot series (IV from the chain): one stack.
    both = pd.concat([frame.assign(kind="index")] + [s.assign(kind="chain_spot", vol=np.nan) for s in spots],
                     ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=schemas.STAT_VOL_PREMIUM.names)
    both, a = _stack(both, "series", ["spot", "vol"])
    r = log_returns(a["spot"])
    rv = _j(realised_vol(r, window, ann, mp))
    prem = _j(vol_risk_premium(a["vol"], r, window, ann, mp))
    prem_fwd = _j(forward_vol_risk_premium(a["vol"], r, window, ann, mp))
    n = _window_count(~np.isnan(_j(r)), window)
    at = (both["row"].to_numpy(), both["pos"].to_numpy())
    both = both.assign(realised_vol=rv[at], premium=prem[at], premium_forward=prem_fwd[at], n_returns=n[at])

    idx = both[both["kind"] == "index"]
    out = [pd.DataFrame({"series": idx["series"], "kind": "index", "date": idx["date"], "expiry": None, "root": None,
                         "t": np.nan, "implied_vol": idx["vol"], "iv_source": "index", "realised_vol": idx["realised_vol"],
                         "premium": idx["premium"], "premium_forward": idx["premium_forward"],
                         "n_returns": idx["n_returns"]})]
    spot_rows = both[both["kind"] == "chain_spot"]
    atm = chain_atm_vols(forwards, svi_params, section.atm_iv == "svi")
    for i, c in enumerate(chains):   # a handful of configured chains; the rows are vectorised
        f = atm[atm["source"] == c.chain_source].sort_values("quote_date")
        if f.empty:
            raise ValueError(f"config error at statistics.vol_premium.chains[{i}].chain_source: no chain source "
                             f"{c.chain_source!r} in results/implied_vols/forwards.parquet")
        s = spot_rows[spot_rows["series"] == f"chain:{i}"].sort_values("date")
        m = pd.merge_asof(f.assign(qd=pd.to_datetime(f["quote_date"])),
                          s[["date", "realised_vol", "n_returns"]].assign(sd=pd.to_datetime(s["date"])),
                          left_on="qd", right_on="sd", direction="backward", tolerance=SPOT_TOLERANCE)
        out.append(pd.DataFrame({"series": c.chain_source, "kind": "chain_atm", "date": m["quote_date"],
                                 "expiry": m["expiry"], "root": m["root"], "t": m["t"], "implied_vol": m["atm_vol"],
                                 "iv_source": m["iv_source"], "realised_vol": m["realised_vol"],
                                 "premium": m["atm_vol"] - m["realised_vol"],
                                 "premium_forward": np.nan, "n_returns": m["n_returns"].fillna(0)}))
    res = pd.concat(out, ignore_index=True)
    res["n_returns"] = res["n_returns"].astype(np.int64)
    no_spot = (res["kind"] == "chain_atm") & res["realised_vol"].isna() & (res["n_returns"] == 0)
    res["status"] = np.select([res["implied_vol"].isna(), no_spot, res["n_returns"] < mp,
                               res["realised_vol"].isna() | (res["realised_vol"] == 0)],
                              [Status.MISSING_PRICE, Status.NO_SPOT, Status.FEW_OBS, Status.FLAT_WINDOW], Status.OK)
    return res


# --------------------------------------------------------------------------- effective deltas

def effective_deltas(quotes: pd.DataFrame, section: EffectiveDeltasSettings | dict) -> pd.DataFrame:
    """Naive vs vol-path delta of every quote with a mid IV, for every slope: one call."""
    import jax.numpy as jnp

    from jaxmm.stats.vol_path import effective_delta, vol_path

    slopes = np.asarray(EffectiveDeltasSettings.of(section).slopes, float)
    q = quotes[quotes["quote_status"] == "ok"].reset_index(drop=True)
    if q.empty:
        return pd.DataFrame(columns=schemas.STAT_EFFECTIVE_DELTAS.names)
    f, k, t, v, d = (q[c].to_numpy(float) for c in ("forward", "strike", "t", "mid_iv", "discount"))
    eff = _j(effective_delta(f, k, t, v, jnp.asarray((q["right"] == "C").to_numpy()), slopes[:, None], d))
    vol_up = _j(vol_path(v, slopes[:, None], 0.01))     # the option's vol after a 1% rally
    keys = schemas.SLICE_KEYS + ["strike", "right", "forward", "discount", "t", "log_moneyness", "mid_iv", "delta",
                                 "vega"]
    out = q.loc[np.tile(np.arange(len(q)), len(slopes)), keys].reset_index(drop=True)
    out["slope"] = np.repeat(slopes, len(q))
    out["effective_delta"] = eff.ravel()
    out["delta_change"] = out["effective_delta"] - out["delta"]
    out["vol_up_1pct"] = vol_up.ravel()
    return out


# --------------------------------------------------------------------------- event vol

EVENT_INPUTS = ["term_vol", "dte", "p", "event_vol", "daily_vol"]


def event_vol(section: EventVolSettings | dict) -> pd.DataFrame:
    """Each configured example solved for its one unknown (all five solutions computed at
    once on arrays; each row keeps the one it asked for)."""
    from jaxmm.stats import event_vol as ev

    section = EventVolSettings.of(section)
    examples = section.examples
    n_days = float(section.days_per_year)
    if not examples:
        return pd.DataFrame(columns=schemas.STAT_EVENT_VOL.names)
    given = pd.DataFrame([{k: getattr(e, k) for k in EVENT_INPUTS + ["event_move"]} for e in examples], dtype=float)
    unknown = []
    for i, e in enumerate(examples):
        if e.event_vol is not None and e.event_move is not None:
            raise ValueError(f"config error at statistics.event_vol.examples[{i}]: give event_vol or event_move, "
                             "not both")
        missing = [k for k in EVENT_INPUTS if getattr(e, k) is None and not (k == "event_vol" and e.event_move)]
        if len(missing) != 1:
            raise ValueError(f"config error at statistics.event_vol.examples[{i}] ({e.name}): give all but one "
                             f"of {', '.join(EVENT_INPUTS)} (event_vol or event_move); missing: "
                             f"{', '.join(missing) or 'none'}")
        unknown.append(missing[0])
    g = given.copy()
    g["event_vol"] = np.where(g["event_move"].notna(), _j(ev.vol_from_move(g["event_move"].to_numpy(), n_days)),
                              g["event_vol"])
    a = {k: g[k].to_numpy() for k in EVENT_INPUTS}
    solved = {"term_vol": ev.solve_term_vol(a["dte"], a["p"], a["event_vol"], a["daily_vol"]),
              "dte": ev.solve_dte(a["term_vol"], a["p"], a["event_vol"], a["daily_vol"]),
              "p": ev.solve_event_days(a["term_vol"], a["dte"], a["event_vol"], a["daily_vol"]),
              "event_vol": ev.solve_event_vol(a["term_vol"], a["dte"], a["p"], a["daily_vol"]),
              "daily_vol": ev.solve_daily_vol(a["term_vol"], a["dte"], a["p"], a["event_vol"])}
    out = pd.DataFrame({"name": [e.name for e in examples], "solved_for": unknown})
    which = np.array(unknown)
    for k in EVENT_INPUTS:
        out[k] = np.where(which == k, _j(solved[k]), a[k])
    out["event_move"] = _j(ev.move_from_vol(out["event_vol"].to_numpy(), n_days))
    out["daily_move"] = _j(ev.move_from_vol(out["daily_vol"].to_numpy(), n_days))
    out["event_move_given"] = given["event_move"].notna()
    out["status"] = np.where(out[EVENT_INPUTS].notna().all(axis=1), Status.OK, Status.NO_SOLUTION)
    return out


# --------------------------------------------------------------------------- ETF premium

def etf_premium(daily: pd.DataFrame, section: EtfSettings | dict) -> pd.DataFrame:
    """Premium/discount and z-score of every fund (one call each), and each configured
    spread of two funds on their common dates (one ``cross_etf_spread`` call)."""
    from jaxmm.stats.premia import cross_etf_spread, etf_premium as lib_premium, rolling_zscore

    section = EtfSettings.of(section)
    window = int(section.window)
    mp = _min_periods(section, window, "statistics.etf")
    funds = section.funds
    if not funds:
        return pd.DataFrame(columns=schemas.STAT_ETF_PREMIUM.names)
    frames = []
    for i, f in enumerate(funds):
        key = f"statistics.etf.funds[{i}]"
        price = daily_series(daily, {"source": f.source, "field": f.price}, key + ".price")
        nav = daily_series(daily, {"source": f.source, "field": f.nav}, key + ".nav")
        frames.append(price.rename(columns={"value": "price"}).merge(nav.rename(columns={"value": "nav"}), on="date")
                      .assign(series=f.name))
    fr, a = _stack(pd.concat(frames, ignore_index=True), "series", ["price", "nav"])
    prem = _j(lib_premium(a["price"], a["nav"]))
    z = _j(rolling_zscore(prem, window, mp))
    at = (fr["row"].to_numpy(), fr["pos"].to_numpy())
    fr = fr.assign(kind="premium", premium=prem[at], zscore=z[at],
                   n=_window_count(~np.isnan(prem), window)[at])
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
        sp, b = _stack(sp, "series", ["premium_a", "premium_b"])
        res = cross_etf_spread(b["premium_a"], b["premium_b"], window, mp)
        s_val = _j(res.spread)
        at = (sp["row"].to_numpy(), sp["pos"].to_numpy())
        parts.append(sp[["series", "date"]].assign(kind="spread", price=np.nan, nav=np.nan, premium=s_val[at],
                                                   zscore=_j(res.zscore)[at],
                                                   n=_window_count(~np.isnan(s_val), window)[at]))
    out = pd.concat(parts, ignore_index=True)[["series", "kind", "date", "price", "nav", "premium", "zscore", "n"]]
    out["n"] = out["n"].astype(np.int64)
    out["status"] = np.select([out["premium"].isna(), out["n"] < mp, out["zscore"].isna()],
                              [Status.MISSING_PRICE, Status.FEW_OBS, Status.FLAT_WINDOW], Status.OK)
    return out


# --------------------------------------------------------------------------- stage

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
            if positions is not None else pd.DataFrame(columns=schemas.STAT_PORTFOLIO_RISK.names))
    vol_frame = _vol_frame(daily, section.vol_series)
    return {"hedge_ratios": hedge, "hedge_summary": summary, "portfolio_risk": risk,
            "vol_beta": vol_beta(vol_frame, section.vol_beta),
            "effective_deltas": effective_deltas(quotes, section.effective_deltas),
            "event_vol": event_vol(section.event_vol),
            "vol_premium": vol_premium(vol_frame, forwards, daily, section.vol_premium, svi_params),
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


# --------------------------------------------------------------------------- report

def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: h / h2 and the gamma-neutral ratio through time, the summary, the
    portfolio, vol beta, naive vs effective deltas, event vol, IV vs RV, ETF premia."""
    from jaxmm.report import Section

    sec = Section("Term-structure and volatility statistics", order=30, figure_dir=outputs["figures"])
    t = {name: pd.read_parquet(inputs[name]) for name in TABLES}
    hedge, summary = t["hedge_ratios"], t["hedge_summary"]
    sec.text("Hedge ratio between futures tenors (seed 001's appendix): daily log returns within a contract, "
             "trailing realised vols and correlation, beta = corr x back vol / front vol, h = beta x back price / "
             "front price (the $ move of one back contract per $1 of the front), h2 = h^2 (the weight of back "
             "gamma in front terms), 1/h back contracts per front contract. ATM Black-76 gammas and vegas use "
             "realised vol in place of implied; the gamma-neutral ratio is front gamma / (back gamma x h2).")
    if len(summary):
        sec.table(summary[["source", "pair", "statistic", "latest_date", "latest", "mean", "min", "max", "n_obs"]],
                  "Hedge-ratio summary: latest value and mean / min / max over the summary window", max_rows=80)
        _hedge_figure(sec, hedge, summary)
    else:
        sec.text("No futures tenor pair has enough data for a hedge ratio.")
    risk = t["portfolio_risk"]
    if len(risk):
        sec.table(risk[["source", "date", "level", "tenor", "h", "h_source", "price", "vol", "n_positions", "delta",
                        "front_delta", "gamma", "front_gamma", "vega", "theta"]],
                  f"Portfolio risk of {risk['positions_file'].iloc[0]} on {risk['date'].iloc[0]}: raw and "
                  "front-equivalent (delta x h, gamma x h2) Greeks per tenor and in total (vega per unit vol, "
                  "theta per year)")
    else:
        sec.text("No positions file configured (statistics.positions.path): no portfolio risk.")
    _vol_beta_section(sec, t["vol_beta"])
    _effective_delta_section(sec, t["effective_deltas"])
    ev = t["event_vol"]
    if len(ev):
        sec.text("Event vol: term variance x DTE = p x event variance + (DTE - p) x daily variance, each example "
                 "solved for its unknown; moves are E|r| = vol x sqrt(2/pi) / sqrt(N). The seed rounds "
                 "sqrt(pi/2) = 1.2533 to 1.25 (and uses sqrt(251)): its 14.4% move for a 285% event vol is "
                 "14.3% here; its 40.7% daily vol for a 224% event vol is 40.6%.")
        sec.table(ev[["name", "solved_for", "term_vol", "dte", "p", "event_vol", "daily_vol", "event_move",
                      "daily_move", "status"]], "Event-vol examples (vols annualised decimals, moves as fractions)")
    _premium_section(sec, t["vol_premium"], t["etf_premium"])
    sec.write(outputs["section"])


def _hedge_figure(sec, hedge: pd.DataFrame, summary: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    keys = summary[["source", "pair"]].drop_duplicates()
    fig, axes = new_figure(1, 3, figsize=(15, 4))
    for _, k in keys.iterrows():
        g = hedge[(hedge["source"] == k["source"]) & (hedge["pair"] == k["pair"]) & (hedge["status"] == Status.OK)]
        d = pd.to_datetime(g["date"])
        label = f"{k['source']} {k['pair']}"
        axes[0].plot(d, g["h"], lw=0.9, label=f"h {label}")
        axes[0].plot(d, g["h2"], lw=0.9, label=f"h2 {label}")
        axes[1].plot(d, g["front_vol"], lw=0.9, label=f"front vol {label}")
        axes[1].plot(d, g["back_vol"], lw=0.9, label=f"back vol {label}")
        axes[1].plot(d, g["corr"], lw=0.9, ls=":", label=f"corr {label}")
        axes[2].semilogy(d, g["gamma_neutral_contracts"], lw=0.9, label=f"gamma-neutral {label}")
        axes[2].semilogy(d, g["contracts_per_front"].abs(), lw=0.9, ls="--", label=f"|1/h| {label}")
    axes[0].set_title("hedge ratio h and gamma weight h2")
    axes[1].set_title("trailing realised vols and correlation")
    axes[2].set_title("back contracts per front contract")
    for ax in axes:
        ax.legend(fontsize=6)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    sec.figure(fig, "hedge_ratios", "h and h2 through time; the vols and correlation behind them; back contracts "
               "per front contract for gamma neutrality (front gamma / (back gamma x h2)) and for delta (1/h)")


def _vol_beta_section(sec, vb: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    ok = vb[vb["status"] == Status.OK]
    if ok.empty:
        sec.text("No vol series configured (statistics.vol_series), or none with enough data: no vol beta.")
        return
    latest = ok.groupby("series").tail(1)[["series", "date", "slope", "slope_se", "corr", "n"]]
    sec.table(latest, "Vol beta (slope of vol changes on spot log returns), latest window per series")
    series = list(ok["series"].unique())
    fig, axes = new_figure(1, len(series), figsize=(6 * len(series), 3.6), squeeze=False)
    for ax, name in zip(axes.flat, series):
        g = ok[ok["series"] == name]
        d = pd.to_datetime(g["date"])
        ax.plot(d, g["slope"], lw=0.8)
        ax.fill_between(d, g["slope"] - 2 * g["slope_se"], g["slope"] + 2 * g["slope_se"], alpha=0.25, lw=0)
        ax.axhline(-1.0, color="grey", lw=0.6, ls="--")
        ax.set_title(f"{name}: vol beta +- 2 se", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    sec.figure(fig, "vol_beta", "Rolling vol beta with a 2-standard-error band (dashed: -1, constant breakeven)")


def _effective_delta_section(sec, eff: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    if eff.empty:
        sec.text("No chain quotes with a mid IV: no effective deltas.")
        return
    src = eff["source"].iloc[0]
    e = eff[(eff["source"] == src) & (eff["quote_date"] == eff.loc[eff["source"] == src, "quote_date"].max())]
    expiry, root = e.loc[(e["t"] - 30 / 365).abs().idxmin(), ["expiry", "root"]]   # the slice nearest a month
    e = e[(e["expiry"] == expiry) & (e["root"] == root) & (e["right"] == "C")]
    near = e[e["log_moneyness"].abs() <= 0.03]
    table = near.pivot_table(index=["strike", "delta", "mid_iv"], columns="slope", values="effective_delta")
    table.columns = [f"effective delta, slope {s:g}" for s in table.columns]
    sec.table(table.reset_index(), f"{src} {e['quote_date'].iloc[0]}, expiry {expiry} calls near the money: "
              "naive (sticky-strike) delta vs effective delta along each vol path", max_rows=30)
    fig, axes = new_figure(1, 1, figsize=(7, 4), squeeze=False)
    ax = axes[0, 0]
    for slope, g in e.groupby("slope"):
        ax.plot(g["strike"], g["effective_delta"], lw=0.9, label=f"slope {slope:g}")
    ax.set_xlabel("strike"); ax.set_ylabel("call delta"); ax.legend(fontsize=7)
    ax.set_title(f"{src} {expiry}: naive (slope 0) vs effective delta", fontsize=9)
    sec.figure(fig, "effective_deltas", "Call deltas by strike along each vol path (slope 0 = naive delta)")


def _premium_section(sec, vp: pd.DataFrame, etf: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    idx = vp[(vp["kind"] == "index") & (vp["status"] == Status.OK)]
    chain = vp[vp["kind"] == "chain_atm"]
    if len(idx):
        latest = idx.groupby("series").agg(latest_date=("date", "last"), implied_vol=("implied_vol", "last"),
                                           realised_vol=("realised_vol", "last"), premium=("premium", "last"),
                                           mean_premium=("premium", "mean"),
                                           share_positive=("premium", lambda s: float((s > 0).mean())),
                                           mean_premium_forward=("premium_forward", "mean")).reset_index()
        sec.table(latest, "Vol risk premium (implied - trailing realised): latest, mean over the history, share of "
                  "days with implied > realised, and the mean ex-post premium (IV vs the vol realised next)")
    if len(chain):
        sec.table(chain[["series", "date", "expiry", "t", "implied_vol", "iv_source", "realised_vol", "premium", "status"]],
                  "Chain ATM IV term structure vs the trailing realised vol of its spot series on the quote date",
                  max_rows=40)
    names = list(idx["series"].unique())
    if names or len(chain):
        n_panels = len(names) + (1 if len(chain) else 0)
        fig, axes = new_figure(1, n_panels, figsize=(6 * n_panels, 3.8), squeeze=False)
        for ax, name in zip(axes.flat, names):    # one panel per index: their histories need not overlap
            g = idx[idx["series"] == name]
            d = pd.to_datetime(g["date"])
            ax.plot(d, g["implied_vol"], lw=0.7, label="implied")
            ax.plot(d, g["realised_vol"], lw=0.7, label="trailing realised")
            ax.set_title(f"{name}: implied vs realised vol", fontsize=9); ax.legend(fontsize=6)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        if len(chain):
            ax = axes.flat[-1]
            for (name, day), g in chain.groupby(["series", "date"]):
                ax.plot(g["t"], g["implied_vol"], "o-", ms=3, lw=0.8, label=f"{name} {day} ATM IV")
                ax.axhline(g["realised_vol"].iloc[0], lw=0.6, ls="--", color=ax.lines[-1].get_color())
            ax.set_title("chain ATM IV by expiry (dashed: trailing realised)", fontsize=9)
            ax.set_xlabel("t (years)"); ax.legend(fontsize=6)
        sec.figure(fig, "vol_premium", "Implied vs realised vol through time, and the chains' ATM term structure")
    if len(etf):
        latest = etf[etf["status"] == Status.OK].groupby(["series", "kind"]).agg(
            latest_date=("date", "last"), premium=("premium", "last"), zscore=("zscore", "last"),
            mean=("premium", "mean"), std=("premium", "std"), max_abs_zscore=("zscore", lambda s: s.abs().max())
        ).reset_index()
        sec.table(latest, "ETF premium to NAV (price / NAV - 1) and cross-ETF spreads: latest, rolling z-score, "
                  "mean and standard deviation over the history")
        fig, axes = new_figure(1, 2, figsize=(14, 4))
        for (name, kind), g in etf.groupby(["series", "kind"]):
            d = pd.to_datetime(g["date"])
            axes[0].plot(d, 1e4 * g["premium"], lw=0.7, label=f"{name} ({kind})")
            axes[1].plot(d, g["zscore"], lw=0.7, label=name)
        axes[0].set_title("premium to NAV / spread (bp)"); axes[1].set_title("rolling z-score")
        for ax in axes:
            ax.legend(fontsize=6)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        sec.figure(fig, "etf_premium", "ETF premium/discount to NAV and cross-ETF spread, with rolling z-scores")
    else:
        sec.text("No ETF funds configured (statistics.etf.funds): no premium table.")
