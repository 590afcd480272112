"""One configured series of the ingested daily table (``results/ingest/daily.parquet``),
shared by the stages that read it."""

from __future__ import annotations

import pandas as pd


def daily_series(daily: pd.DataFrame, spec: dict, key: str) -> pd.DataFrame:
    """(date, value) rows of ``spec`` = ``{source, field}``, sorted by date; a config error
    naming ``key`` and the series that are present when it is not there."""
    d = daily[(daily["source"] == spec["source"]) & (daily["field"] == spec["field"])]
    if d.empty:
        have = sorted(set(daily["source"] + ":" + daily["field"]))
        raise ValueError(f"config error at {key}: no daily series {spec['source']}:{spec['field']} in "
                         f"results/ingest/daily.parquet (present: {', '.join(have) or 'none'})")
    return d[["date", "value"]].sort_values("date")
