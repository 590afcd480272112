"""``portfolio_risk``: a positions book valued on the latest date with every hedge ratio it
needs; raw and front-equivalent Greeks per tenor and in total."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io.errors import InputFileError
from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import HedgeSettings
from jaxmm.stages.statistics.arrays import as_float
from jaxmm.stages.statistics.hedge import days_per_year, option_days


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

    basis = days_per_year(HedgeSettings.of(section))
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
                            **{f: as_float(getattr(risk.by_tenor, f)) for f in fields})
    total = pd.DataFrame([{"level": "total", "tenor": None, "h": np.nan, "h_source": None, "price": np.nan,
                           "vol": np.nan, "n_positions": len(book),
                           **{f: float(getattr(risk.total, f)) for f in fields}}])
    out = pd.concat([rows, total], ignore_index=True)
    out["tenor"] = out["tenor"].astype("Int32")
    out["n_positions"] = out["n_positions"].astype(np.int64)
    out["source"], out["date"], out["positions_file"] = source, date, path
    return out
