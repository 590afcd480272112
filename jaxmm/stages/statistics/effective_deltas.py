"""``effective_deltas``: naive vs vol-path deltas of every chain option with a mid IV."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.io import labels
from jaxmm.settings import EffectiveDeltasSettings
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.statistics.arrays import as_float


def effective_deltas(quotes: pd.DataFrame, section: EffectiveDeltasSettings | dict) -> pd.DataFrame:
    """Naive vs vol-path delta of every quote with a mid IV, for every slope: one call."""
    import jax.numpy as jnp

    from jaxmm.stats.vol_path import effective_delta, vol_path

    slopes = np.asarray(EffectiveDeltasSettings.of(section).slopes, float)
    q = quotes[quotes["quote_status"] == "ok"].reset_index(drop=True)
    if q.empty:
        return pd.DataFrame(columns=statistics_schema.STAT_EFFECTIVE_DELTAS.names)
    f, k, t, v, d = (q[c].to_numpy(float) for c in ("forward", "strike", "t", "mid_iv", "discount"))
    eff = as_float(effective_delta(f, k, t, v, jnp.asarray((q["right"] == "C").to_numpy()), slopes[:, None], d))
    vol_up = as_float(vol_path(v, slopes[:, None], 0.01))     # the option's vol after a 1% rally
    keys = labels.SLICE_KEYS + ["strike", "right", "forward", "discount", "t", "log_moneyness", "mid_iv", "delta",
                                 "vega"]
    out = q.loc[np.tile(np.arange(len(q)), len(slopes)), keys].reset_index(drop=True)
    out["slope"] = np.repeat(slopes, len(q))
    out["effective_delta"] = eff.ravel()
    out["delta_change"] = out["effective_delta"] - out["delta"]
    out["vol_up_1pct"] = vol_up.ravel()
    return out
