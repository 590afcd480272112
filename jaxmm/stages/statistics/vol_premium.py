"""``vol_premium``: implied minus trailing realised vol, for vol indices and the chains'
ATM term structures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io import labels
from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import VolPremiumSettings
from jaxmm.stages.frames import daily_series
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float, min_periods, stack_series, window_count


SPOT_TOLERANCE = pd.Timedelta(days=5)   # a chain's quote date may follow the spot's last close by a weekend



def chain_atm_vols(forwards: pd.DataFrame, svi_params: pd.DataFrame | None, use_svi: bool) -> pd.DataFrame:
    """``forwards`` with ``atm_vol`` and ``iv_source``: the SVI ATM vol sqrt(jw_v) of the
    surfaces stage where the slice was fitted (and ``use_svi``), else the interpolated
    ``atm_iv`` of the implied-vol stage."""
    keys = labels.SLICE_KEYS
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
    mp = min_periods(section, window, "statistics.vol_premium")
    ann = float(section.annualisation)
    chains = section.chains
    spots = [daily_series(daily, c.spot, f"statistics.vol_premium.chains[{i}].spot")
             .rename(columns={"value": "spot"}).assign(series=f"chain:{i}") for i, c in enumerate(chains)]
    # Index series (IV = the vol index) and chain spot series (IV from the chain): one stack.
    both = pd.concat([frame.assign(kind="index")] + [s.assign(kind="chain_spot", vol=np.nan) for s in spots],
                     ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=statistics_schema.STAT_VOL_PREMIUM.names)
    both, a = stack_series(both, "series", ["spot", "vol"])
    r = log_returns(a["spot"])
    rv = as_float(realised_vol(r, window, ann, mp))
    prem = as_float(vol_risk_premium(a["vol"], r, window, ann, mp))
    prem_fwd = as_float(forward_vol_risk_premium(a["vol"], r, window, ann, mp))
    n = window_count(~np.isnan(as_float(r)), window)
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
