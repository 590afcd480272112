"""Daily series reader: a date column plus numeric columns -> the long ``DAILY`` table.

Format (spot closes, a vol index, ETF price and NAV, a prediction-market price...)::

    Date,Close,vix
    1/4/1999,1228.10,26.17
    1999-01-05,1244.78,

- The date column (``date_column``, default ``date``; case-insensitive) holds
  YYYY-MM-DD, YYYYMMDD or M/D/YYYY dates (the arch package's ``sp500.csv``: ``1/4/1999``).
- ``columns=None`` reads every other column (a column with an empty name, e.g. from a
  trailing comma, is ignored); otherwise exactly the named ones, matched
  case-insensitively. The ``field`` of each row is the name as the caller spelled it in
  ``columns``, or the header's name (stripped) when ``columns`` is None.
- Files ending in ``.gz`` are gunzipped transparently (the arch package ships ``.csv.gz``).

Counting unit: **one observation = one (date, field) cell**, so ``rows_in`` of a file is
(data lines) x (columns read) and ``rows_in = kept + quarantined`` per file. Each cell is
kept (a row of ``DAILY``) or quarantined with a reason:

- ``missing_field``: an empty cell or a missing marker (``NA``, ``NaN``, ``-``, FRED's ``.``,
  ...). A missing observation is quarantined rather than counted apart, so that the
  summary's three counts account for every cell and the quarantine shows where the gaps
  are; an empty date quarantines all the line's cells the same way;
- ``non_numeric``: not a finite number; ``nonpositive_price``: <= 0 in a ``positive`` column;
- ``bad_date``: the date does not parse (all the line's cells);
- ``wrong_field_count``: the line has more or fewer fields than the header (all its cells);
- ``duplicate_row``: a (date, field) already kept, from an earlier line or file.

File-level problems (empty, not UTF-8, header only, missing date column or requested
column, two used columns with the same name) raise ``InputFileError``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from jaxmm.io.common import ReadResult
from jaxmm.io.errors import InputFileError, Quarantine, Reason
from jaxmm.io.schemas import DAILY
from jaxmm.io.tabular import (DATE_FORMATS, CsvText, Record, check_unique, csv_paths, fold,
                              is_missing, load_csv, parse_date, parse_number, raw_cell,
                              require_column)

DATASET = "daily"


def _value_columns(csvt: CsvText, date_pos: int, columns: list[str] | None) -> list[tuple[int, str]]:
    """(position, field name) of the columns to read; raise naming a missing one."""
    if columns is None:
        out = [(i, name) for i, name in enumerate(csvt.header) if i != date_pos and name]
        if not out:
            raise InputFileError(csvt.path, "at least one value column besides the date column",
                                 line=csvt.header_line, found="columns: " + csvt.header_text())
    else:
        index = csvt.index()
        out, seen = [], set()
        for name in columns:
            if fold(name) in seen:
                continue
            seen.add(fold(name))
            if fold(name) not in index:
                require_column(csvt, name, "requested in columns")  # raises, listing those present
            if index[fold(name)] == date_pos:
                raise ValueError(f"columns: {name!r} is the date column, not a value column")
            out.append((index[fold(name)], name))
    check_unique(csvt, [date_pos] + [i for i, _ in out])
    return out


def _positive_fields(csvt: CsvText, fields: list[tuple[int, str]], positive: list[str] | None) -> set[str]:
    """Field names that must be > 0; each ``positive`` name must be one of the columns read."""
    by_fold = {fold(name): name for _, name in fields}
    out = set()
    for name in positive or []:
        if fold(name) not in by_fold:
            require_column(csvt, name, "named in positive")  # raises if absent from the file
            raise ValueError(f"positive: column {name!r} is not among the columns read "
                             f"({', '.join(n for _, n in fields)})")
        out.add(by_fold[fold(name)])
    return out


def _line_date(rec: Record, date_pos: int, ncols: int) -> dt.date | tuple[Reason, str]:
    """The line's date, or (reason, detail) that quarantines all its cells."""
    if len(rec.fields) != ncols:
        return Reason.WRONG_FIELD_COUNT, f"{len(rec.fields)} fields, header has {ncols}"
    cell = rec.fields[date_pos]
    if is_missing(cell):
        return Reason.MISSING_FIELD, "date empty"
    date = parse_date(cell)
    if date is None:
        return Reason.BAD_DATE, f"date {raw_cell(cell)} is not a date ({DATE_FORMATS})"
    return date


def _cell_value(cell: str, must_be_positive: bool) -> float | tuple[Reason, str]:
    """A kept value, or (reason, detail) for the quarantine."""
    try:
        value = parse_number(cell)
    except ValueError:
        return Reason.NON_NUMERIC, f"{raw_cell(cell)} is not a finite number"
    if value is None:
        return Reason.MISSING_FIELD, f"empty ({raw_cell(cell)})"
    if must_be_positive and value <= 0:
        return Reason.NONPOSITIVE_PRICE, f"{value!r} <= 0"
    return value


class _Kept:
    """Observations kept so far, across all files of one call."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in ("date", "field", "value", "source_file", "source_line")}
        self.where: dict[tuple[dt.date, str], tuple[str, int, float]] = {}

    def add(self, date: dt.date, field: str, value: float, path: str, line: int) -> tuple[Reason, str] | None:
        old = self.where.get((date, field))
        if old is not None:
            same = "identical" if old[2] == value else f"conflicting: {value!r} vs kept {old[2]!r}"
            return Reason.DUPLICATE_ROW, f"duplicate date {date} of {old[0]}:{old[1]} ({same})"
        self.where[(date, field)] = (path, line, value)
        for k, v in zip(self.cols, (date, field, value, path, line)):
            self.cols[k].append(v)
        return None

    def __len__(self) -> int:
        return len(self.cols["date"])

    def table(self, source: str) -> pa.Table:
        return pa.table({"source": [source] * len(self), **self.cols}, schema=DAILY)


def read_daily(paths, source: str, *, date_column: str = "date", columns: list[str] | None = None,
               positive: list[str] | None = None) -> ReadResult:
    """Read daily-series CSVs into the long ``DAILY`` table (one row per date and field).

    Args:
      paths: a file, directory (its ``*.csv``/``*.csv.gz``) or glob, or a list of them.
      source: the source name (config ``ingest.daily[].name``), copied to every row.
      date_column: name of the date column (case-insensitive).
      columns: value columns to read (None: all but the date column).
      positive: columns whose values must be > 0 (prices, vol indices, NAVs).

    Returns:
      ``ReadResult`` with rows in input order (file, line, column); the summary counts
      (date, field) cells: ``rows_in = kept + quarantined`` per file.

    Raises:
      InputFileError: empty, header-only or non-UTF-8 file; missing date column or
        requested column (the message lists those present); duplicate used column names.
      ValueError: ``positive`` names a column not read, or ``columns`` names the date column.

    Example::

      res = read_daily("sp500.csv.gz", "spx", columns=["Close"], positive=["Close"])
      close = res.table.column("value")
    """
    quarantine = Quarantine(DATASET)
    kept = _Kept()
    summary = []
    for path in csv_paths(paths):
        csvt = load_csv(path)
        date_pos = require_column(csvt, date_column, "the observation date")
        fields = _value_columns(csvt, date_pos, columns)
        must_pos = _positive_fields(csvt, fields, positive)
        n_before, q_before = len(kept), len(quarantine)
        for rec in csvt.records:
            _read_line(rec, path, date_pos, fields, must_pos, len(csvt.header), kept, quarantine)
        summary.append({"dataset": DATASET, "source": source, "source_file": str(path),
                        "rows_in": len(csvt.records) * len(fields),
                        "kept": len(kept) - n_before, "quarantined": len(quarantine) - q_before})
    return ReadResult(kept.table(source), quarantine, summary)


def _read_line(rec: Record, path: Path, date_pos: int, fields: list[tuple[int, str]],
               must_pos: set[str], ncols: int, kept: _Kept, quarantine: Quarantine) -> None:
    """Keep or quarantine each of the line's cells (exactly one outcome per cell)."""
    date = _line_date(rec, date_pos, ncols)
    for pos, name in fields:
        if isinstance(date, tuple):
            problem = date
        else:
            value = _cell_value(rec.fields[pos], name in must_pos)
            problem = value if isinstance(value, tuple) else kept.add(date, name, value, str(path), rec.line)
        if problem is not None:
            quarantine.add(path, rec.line, problem[0], f"{name}: {problem[1]}", rec.raw)
