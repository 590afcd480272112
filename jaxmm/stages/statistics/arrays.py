"""Array plumbing of the statistics studies: series with their own calendars stacked as rows of
a ``(series, T)`` array (left-aligned, NaN-padded), window counts, ``min_periods``, and the
configured spot / vol pairs as one long frame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.settings import VolSeries
from jaxmm.stages.frames import daily_series


def stack_series(frame: pd.DataFrame, key: str, columns: list[str]) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
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



def window_count(valid: np.ndarray, window: int) -> np.ndarray:
    """Number of True in each trailing window ``[t - window + 1, t]`` (exact integers)."""
    c = np.cumsum(valid, axis=-1)
    out = c.copy()
    out[..., window:] -= c[..., :-window]
    return out



def min_periods(section, window: int, key: str) -> int:
    mp = section.min_periods
    if mp is None:
        return window
    if not 1 <= mp <= window:
        raise ValueError(f"config error at {key}.min_periods: must be between 1 and the window ({window}), got {mp}")
    return int(mp)



def as_float(x):
    return np.asarray(x, dtype=float)



def vol_frame(daily: pd.DataFrame, series) -> pd.DataFrame:
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
