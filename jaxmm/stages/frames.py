"""pandas helpers the stages share: one configured series of the ingested daily table
(``results/ingest/daily.parquet``), and a frame as a table of its canonical schema."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def daily_series(daily: pd.DataFrame, spec, key: str) -> pd.DataFrame:
    """(date, value) rows of ``spec`` = ``{source, field}`` (a mapping or settings with those
    attributes), sorted by date; a config error naming ``key`` and the series that are
    present when it is not there."""
    source, field = (spec["source"], spec["field"]) if isinstance(spec, dict) else (spec.source, spec.field)
    d = daily[(daily["source"] == source) & (daily["field"] == field)]
    if d.empty:
        have = sorted(set(daily["source"] + ":" + daily["field"]))
        raise ValueError(f"config error at {key}: no daily series {source}:{field} in "
                         f"results/ingest/daily.parquet (present: {', '.join(have) or 'none'})")
    return d[["date", "value"]].sort_values("date")


def to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame``'s columns of ``schema``, in its order and types (date columns may arrive as
    date objects or timestamps depending on the path: both become dates). Every stage writes
    its parquet through this. A frame without rows may lack columns (an empty table); one
    with rows must have them all."""
    missing = [name for name in schema.names if name not in frame.columns]
    if missing and len(frame):
        raise KeyError(f"table of {len(frame)} rows lacks the schema's columns {missing}")
    frame = frame.reindex(columns=schema.names)
    for field in schema:
        if pa.types.is_date32(field.type):
            frame[field.name] = pd.to_datetime(frame[field.name]).dt.date
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
