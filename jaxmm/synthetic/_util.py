"""Small helpers shared by the generator modules: number formatting, files, bad-row records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def fmt(x: float, decimals: int) -> str:
    """Rounded to ``decimals``, trailing zeros dropped, as CBOE prints ('5498.5', '0', '-0.0005')."""
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def write_text(path: Path, lines: list[str]) -> None:
    """Lines joined with LF and a final LF (byte-identical across runs and platforms)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")


def write_parquet(path: Path, columns: dict, schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pydict({f.name: columns[f.name] for f in schema}, schema=schema)
    pq.write_table(table, path, compression="zstd")


@dataclasses.dataclass(frozen=True)
class BadRow:
    """One quarantined record the readers must report (one row per quote for chains)."""

    dataset: str   # chains | futures
    file: str      # path relative to the output directory, '/'-separated
    line: int      # 1-based physical line
    side: str      # 'C' / 'P' for chains; '' for futures
    reason: str    # jaxmm.io.errors.Reason value
    kind: str      # what the generator did (crossed_quote, duplicate_line, ...)
    detail: str


BAD_ROWS_HEADER = "dataset,file,line,side,reason,kind,detail"


def bad_rows_lines(rows: list[BadRow]) -> list[str]:
    return [BAD_ROWS_HEADER] + [
        f"{r.dataset},{r.file},{r.line},{r.side},{r.reason},{r.kind},\"{r.detail}\"" for r in rows]


def rng_from(seq: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seq))
