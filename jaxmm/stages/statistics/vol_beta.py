"""``vol_beta``: rolling regression of vol-index changes on spot returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io.labels import StatStatus as Status
from jaxmm.settings import VolBetaSettings
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float, min_periods, stack_series


def vol_beta(frame: pd.DataFrame, section: VolBetaSettings | dict) -> pd.DataFrame:
    """Rolling vol beta of every vol series in one ``vol_beta`` call."""
    from jaxmm.stats.rolling import log_returns
    from jaxmm.stats.vol_path import vol_beta as lib_vol_beta

    section = VolBetaSettings.of(section)
    window = int(section.window)
    mp = min_periods(section, window, "statistics.vol_beta")
    if frame.empty:
        return pd.DataFrame(columns=statistics_schema.STAT_VOL_BETA.names)
    frame, a = stack_series(frame, "series", ["spot", "vol"])
    r = as_float(log_returns(a["spot"]))
    if section.changes == "log":
        dvol = as_float(log_returns(a["vol"]))
    else:   # vol points
        dvol = np.concatenate([np.full((len(r), 1), np.nan), 100.0 * np.diff(a["vol"], axis=-1)], axis=-1)
    vb = lib_vol_beta(dvol, r, window, mp)
    at = (frame["row"].to_numpy(), frame["pos"].to_numpy())
    out = frame[["series", "date", "spot", "vol"]].assign(
        spot_return=r[at], vol_change=dvol[at], slope=as_float(vb.slope)[at], slope_se=as_float(vb.slope_se)[at],
        corr=as_float(vb.corr)[at], n=as_float(vb.n)[at].astype(np.int64))
    out["status"] = np.select([out["n"] < max(mp, 3), out["slope"].isna() | out["corr"].isna()],
                              [Status.FEW_OBS, Status.FLAT_WINDOW], Status.OK)
    return out
