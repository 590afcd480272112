"""Futures readers: per-contract settlements, wide constant-tenor curves, continuous tenors.

**Settlements** (:func:`read_settlements` -> ``FUTURES_CONTRACTS``), one line per date and
contract::

    date,contract,expiry,settle,volume,open_interest
    2025-03-28,CLK25,2025-04-21,69.36,201345,310220
    2025-03-28,CLM25,2025-05-20,69.05,98120,250331

- Required columns ``date, contract, expiry, settle``; optional ``volume, open_interest``
  (``open interest`` also matches); names case-insensitive; other columns are ignored.
- ``date`` and ``expiry`` (last trading day): YYYY-MM-DD, YYYYMMDD or M/D/YYYY.
- ``contract`` is stripped and upper-cased (``clz25`` and ``CLZ25`` are one contract).
- ``settle`` must be > 0 (a negative settle, as CLK20 on 2020-04-20, is quarantined:
  log returns need positive prices). ``volume``/``open_interest`` may be empty (null).
- Row-level problems go to the quarantine (``jaxmm.io.errors.Reason``): wrong field
  count, missing field, bad date, non-numeric, settle <= 0, expiry before date,
  duplicate ``(date, contract)`` (the first kept row wins, across all files of the call),
  and a contract whose expiry differs from its first kept row (``inconsistent_expiry``).
- Summary unit: one input line = one record (``rows_in = kept + quarantined``).

**Wide curve** (:func:`read_wide_curve` -> ``FUTURES_TENORS`` directly), one line per date
and one column per constant tenor (the tenor number is taken from the column name)::

    date,CL01,CL02,CL12
    2025-03-28,69.36,69.05,66.10
    2025-03-31,71.48,71.02,67.42

- A column with an empty name (a trailing comma) is ignored, as are the known descriptive
  columns in :data:`WIDE_OPTIONAL_COLUMNS`; any other column whose name does not match
  ``tenor_regex`` stops the read (it is probably not what the user meant).
- An empty cell is a tenor not quoted that day: no row for it. A cell that is not a
  positive number quarantines the whole line (one quarantine row per line); a line with
  no value at all is quarantined (``missing_field``). Summary unit: input lines, so
  ``kept`` counts lines and the table holds up to one row per tenor per kept line.

**Continuous tenors** (:func:`continuous_tenors`): constant-index M1..Mn built from the
settlements, with returns computed within one contract only (see its docstring).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jaxmm.io.common import ReadResult
from jaxmm.io.conventions import sessions_between
from jaxmm.io.errors import InputFileError, Quarantine, Reason
from jaxmm.io.schemas import FUTURES_CONTRACTS, FUTURES_TENORS
from jaxmm.io.tabular import (DATE_FORMATS, CsvText, Record, check_unique, csv_paths,
                              fold, is_missing, load_csv, parse_date, parse_number,
                              raw_cell, require_column)

DATASET = "futures"
REQUIRED = ("date", "contract", "expiry", "settle")
OPTIONAL = ("volume", "open_interest")
WIDE_OPTIONAL_COLUMNS = frozenset({"source", "symbol", "root", "product", "exchange",
                                   "currency", "unit", "units"})
DEFAULT_TENOR_REGEX = r"^[A-Za-z]*0*(\d+)$"


# --------------------------------------------------------------------------- settlements

@dataclasses.dataclass(frozen=True)
class _Settle:
    date: dt.date
    contract: str
    expiry: dt.date
    settle: float
    volume: float | None
    open_interest: float | None
    source_file: str
    line: int


def _norm(name: str) -> str:
    """Header key for the settlements format: 'Open Interest' -> 'open_interest'."""
    return re.sub(r"[\s\-]+", "_", fold(name))


def _settlement_columns(csvt: CsvText) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(csvt.header):
        index.setdefault(_norm(name), i)
    for name in REQUIRED:
        if name not in index:
            require_column(csvt, name, "settlements need date, contract, expiry, settle")
    cols = {name: index[name] for name in REQUIRED + OPTIONAL if name in index}
    _check_unique_norm(csvt, cols)
    return cols


def _check_unique_norm(csvt: CsvText, cols: dict[str, int]) -> None:
    """Two header cells mapping to one used column name is ambiguous: raise."""
    for name, pos in cols.items():
        dup = [i for i, h in enumerate(csvt.header) if _norm(h) == name and i != pos]
        if dup:
            check_unique(csvt, [pos, dup[0]])


def _parse_settlement(rec: Record, cols: dict[str, int], ncols: int, path: str
                      ) -> _Settle | tuple[Reason, str]:
    """One line -> a row, or (reason, detail) for the quarantine."""
    f = rec.fields
    if len(f) != ncols:
        return Reason.WRONG_FIELD_COUNT, f"{len(f)} fields, header has {ncols}"
    for name in REQUIRED:
        if is_missing(f[cols[name]]):
            return Reason.MISSING_FIELD, f"{name}: empty"
    dates = {}
    for name in ("date", "expiry"):
        dates[name] = parse_date(f[cols[name]])
        if dates[name] is None:
            return Reason.BAD_DATE, f"{name}: {raw_cell(f[cols[name]])} is not a date ({DATE_FORMATS})"
    nums: dict[str, float | None] = {}
    for name in ("settle",) + OPTIONAL:
        if name not in cols:
            nums[name] = None
            continue
        try:
            nums[name] = parse_number(f[cols[name]])
        except ValueError:
            return Reason.NON_NUMERIC, f"{name}: {raw_cell(f[cols[name]])} is not a finite number"
    if nums["settle"] <= 0:
        return Reason.NONPOSITIVE_PRICE, f"settle: {nums['settle']!r} <= 0"
    if dates["expiry"] < dates["date"]:
        return Reason.EXPIRY_BEFORE_QUOTE, f"expiry {dates['expiry']} before date {dates['date']}"
    return _Settle(dates["date"], f[cols["contract"]].strip().upper(), dates["expiry"],
                   nums["settle"], nums["volume"], nums["open_interest"], path, rec.line)


def _duplicate_detail(new: _Settle, old: _Settle) -> str:
    diffs = [f"{k} {getattr(new, k)!r} vs kept {getattr(old, k)!r}"
             for k in ("expiry", "settle", "volume", "open_interest")
             if getattr(new, k) != getattr(old, k)]
    kind = "conflicting: " + "; ".join(diffs) if diffs else "identical"
    return (f"duplicate (date {new.date}, contract {new.contract}) of "
            f"{old.source_file}:{old.line} ({kind})")


class _SettlementBook:
    """Rows kept so far across all files of one call: enforces the cross-row rules."""

    def __init__(self) -> None:
        self.rows: list[_Settle] = []
        self.by_key: dict[tuple[dt.date, str], _Settle] = {}
        self.first_of_contract: dict[str, _Settle] = {}

    def check(self, row: _Settle) -> tuple[Reason, str] | None:
        old = self.by_key.get((row.date, row.contract))
        if old is not None:
            return Reason.DUPLICATE_ROW, _duplicate_detail(row, old)
        first = self.first_of_contract.get(row.contract)
        if first is not None and first.expiry != row.expiry:
            return (Reason.INCONSISTENT_EXPIRY,
                    f"contract {row.contract}: expiry {row.expiry} differs from {first.expiry} "
                    f"given at {first.source_file}:{first.line}")
        return None

    def keep(self, row: _Settle) -> None:
        self.rows.append(row)
        self.by_key[(row.date, row.contract)] = row
        self.first_of_contract.setdefault(row.contract, row)

    def table(self, source: str) -> pa.Table:
        r = self.rows
        return pa.table({
            "source": [source] * len(r),
            "date": [x.date for x in r],
            "contract": [x.contract for x in r],
            "expiry": [x.expiry for x in r],
            "settle": [x.settle for x in r],
            "volume": [x.volume for x in r],
            "open_interest": [x.open_interest for x in r],
            "source_file": [x.source_file for x in r],
            "source_line": [x.line for x in r],
        }, schema=FUTURES_CONTRACTS)


def _summary(source: str, path: Path, rows_in: int, kept: int) -> dict:
    return {"dataset": DATASET, "source": source, "source_file": str(path),
            "rows_in": rows_in, "kept": kept, "quarantined": rows_in - kept}


def read_settlements(paths, source: str) -> ReadResult:
    """Read per-contract futures settlement CSVs into a ``FUTURES_CONTRACTS`` table.

    Args:
      paths: a file, directory (its ``*.csv``/``*.csv.gz``) or glob, or a list of them.
      source: the source name (config ``ingest.futures[].name``), copied to every row.

    Returns:
      ``ReadResult``: rows kept in input order (file, then line); quarantined lines; one
      summary per file (one line = one record).

    Raises:
      InputFileError: empty, header-only or non-UTF-8 file, or a missing required column.
    """
    quarantine = Quarantine(DATASET)
    book = _SettlementBook()
    summary = []
    for path in csv_paths(paths):
        csvt = load_csv(path)
        cols = _settlement_columns(csvt)
        kept_before = len(book.rows)
        for rec in csvt.records:
            row = _parse_settlement(rec, cols, len(csvt.header), str(path))
            problem = row if isinstance(row, tuple) else book.check(row)
            if problem is None:
                book.keep(row)
            else:
                quarantine.add(path, rec.line, problem[0], problem[1], rec.raw)
        summary.append(_summary(source, path, len(csvt.records), len(book.rows) - kept_before))
    return ReadResult(book.table(source), quarantine, summary)


# --------------------------------------------------------------------------- wide curve

def _tenor_columns(csvt: CsvText, date_pos: int, tenor_regex: str) -> list[tuple[int, int]]:
    """(position, tenor) of every tenor column; raise naming unexpected columns."""
    pattern = re.compile(tenor_regex)
    out, bad, seen = [], [], {}
    for i, name in enumerate(csvt.header):
        if i == date_pos or not name or fold(name) in WIDE_OPTIONAL_COLUMNS:
            continue
        m = pattern.match(name)
        if m is None or not m.groups() or m.group(1) is None or not m.group(1).isdigit():
            bad.append(name)
            continue
        tenor = int(m.group(1))
        if tenor < 1:
            raise InputFileError(csvt.path, "tenor numbers >= 1", line=csvt.header_line,
                                 column=name, found=f"tenor {tenor}")
        if tenor in seen:
            raise InputFileError(csvt.path, "one column per tenor", line=csvt.header_line,
                                 column=name, found=f"tenor {tenor} also in column {seen[tenor]!r}")
        seen[tenor] = name
        out.append((i, tenor))
    if bad:
        raise InputFileError(
            csvt.path, f"tenor columns matching {tenor_regex!r} (or the date column, or one of "
            f"{', '.join(sorted(WIDE_OPTIONAL_COLUMNS))})", line=csvt.header_line,
            column=bad[0], found="unexpected columns: " + ", ".join(bad))
    if not out:
        raise InputFileError(csvt.path, f"at least one tenor column matching {tenor_regex!r}",
                             line=csvt.header_line, found="columns: " + csvt.header_text())
    return out


def _parse_wide_line(rec: Record, date_pos: int, tenors: list[tuple[int, int]], ncols: int
                     ) -> tuple[dt.date, list[tuple[int, float]]] | tuple[Reason, str]:
    """One line -> (date, [(tenor, settle)]), or (reason, detail) for the quarantine."""
    f = rec.fields
    if len(f) != ncols:
        return Reason.WRONG_FIELD_COUNT, f"{len(f)} fields, header has {ncols}"
    if is_missing(f[date_pos]):
        return Reason.MISSING_FIELD, "date: empty"
    date = parse_date(f[date_pos])
    if date is None:
        return Reason.BAD_DATE, f"date: {raw_cell(f[date_pos])} is not a date ({DATE_FORMATS})"
    values = []
    for pos, tenor in tenors:
        try:
            v = parse_number(f[pos])
        except ValueError:
            return Reason.NON_NUMERIC, f"tenor {tenor}: {raw_cell(f[pos])} is not a finite number"
        if v is None:
            continue
        if v <= 0:
            return Reason.NONPOSITIVE_PRICE, f"tenor {tenor}: {v!r} <= 0"
        values.append((tenor, v))
    if not values:
        return Reason.MISSING_FIELD, "no tenor has a value"
    return date, values


def read_wide_curve(paths, source: str, tenor_regex: str = DEFAULT_TENOR_REGEX) -> ReadResult:
    """Read wide constant-tenor curve CSVs straight into a ``FUTURES_TENORS`` table.

    ``tenor_regex`` must capture the tenor number in group 1 (``CL01`` -> 1, ``M12`` -> 12).
    ``contract``, ``expiry`` and ``business_days_to_expiry`` are null and ``rolled`` is
    false: a wide curve carries no contract identity. ``log_return`` is taken between
    consecutive dates of the same tenor column, so **a return across a roll (old front
    month yesterday, new front month today) cannot be excluded**: prefer per-contract
    settlements with :func:`continuous_tenors` for return statistics around rolls.

    Returns:
      ``ReadResult``; the summary counts input lines (``kept`` = lines kept); the table is
      sorted by (date, tenor).

    Raises:
      InputFileError: empty/header-only/non-UTF-8 file, no date column, a column that is
        neither a tenor nor a known optional one, duplicate or zero tenors.
    """
    quarantine = Quarantine(DATASET)
    kept_dates: dict[dt.date, tuple[str, int]] = {}
    obs: list[tuple[dt.date, int, float]] = []
    summary = []
    for path in csv_paths(paths):
        csvt = load_csv(path)
        date_pos = require_column(csvt, "date", "the settlement date")
        tenors = _tenor_columns(csvt, date_pos, tenor_regex)
        kept = 0
        for rec in csvt.records:
            parsed = _parse_wide_line(rec, date_pos, tenors, len(csvt.header))
            if isinstance(parsed[0], Reason):
                quarantine.add(path, rec.line, parsed[0], parsed[1], rec.raw)
                continue
            date, values = parsed
            if date in kept_dates:
                f0, l0 = kept_dates[date]
                quarantine.add(path, rec.line, Reason.DUPLICATE_ROW,
                               f"duplicate date {date} of {f0}:{l0}", rec.raw)
                continue
            kept_dates[date] = (str(path), rec.line)
            obs.extend((date, t, v) for t, v in values)
            kept += 1
        summary.append(_summary(source, path, len(csvt.records), kept))
    return ReadResult(_wide_table(obs, source), quarantine, summary)


def _wide_table(obs: list[tuple[dt.date, int, float]], source: str) -> pa.Table:
    n = len(obs)
    if n == 0:
        return FUTURES_TENORS.empty_table()
    date = np.array([o[0] for o in obs], dtype="datetime64[D]")
    tenor = np.array([o[1] for o in obs], dtype=np.int32)
    settle = np.array([o[2] for o in obs], dtype=np.float64)
    order = np.lexsort((date, tenor))            # by tenor, then date
    d, t, s = date[order], tenor[order], settle[order]
    same = np.r_[False, t[1:] == t[:-1]]
    ret = np.full(n, np.nan)
    ret[1:] = np.log(s[1:] / s[:-1])
    out = np.lexsort((t, d))                     # output by date, then tenor
    null = [None] * n
    return pa.table({
        "source": [source] * n,
        "date": pa.array(d[out], pa.date32()),
        "tenor": pa.array(t[out], pa.int32()),
        "contract": pa.array(null, pa.string()),
        "expiry": pa.array(null, pa.date32()),
        "settle": pa.array(s[out]),
        "log_return": pa.array(ret[out], mask=~same[out]),
        "rolled": pa.array(np.zeros(n, dtype=bool)),
        "business_days_to_expiry": pa.array(null, pa.int32()),
    }, schema=FUTURES_TENORS)


# --------------------------------------------------------------------------- continuous

def continuous_tenors(contracts: pa.Table, n_tenors: int, roll_business_days: int,
                      calendar: str | None = "XNYS") -> pa.Table:
    """Constant-index continuous tenors M1..Mn from per-contract settlements.

    On each date d (per source), the live contracts are those settling on d with
    ``business_days_to_expiry(d) > roll_business_days``, i.e. whose roll date (expiry minus
    ``roll_business_days`` exchange sessions) is strictly after d; sorted by expiry (then
    code), the i-th is Mi. With ``roll_business_days=0`` a contract leaves M1 on its expiry day.

    ``log_return`` of Mi on d is ``log(settle_d(c) / settle_prev(c))`` for the contract c
    in Mi on d, prev being the previous date in ``contracts`` on which c settled (whether
    or not c was in Mi then; null when c has no earlier settle). It never mixes two
    contracts: on a roll date it is the new contract's own one-day return.
    ``rolled`` is true on the first date a new contract occupies Mi (false on the tenor's
    first date). ``business_days_to_expiry`` = sessions of ``calendar`` in ``(d, expiry]``
    (``jaxmm.io.conventions.sessions_between``: holidays excluded; Mon-Fri days when None).
    A date with fewer than i live contracts has no Mi row.

    Args:
      contracts: a ``FUTURES_CONTRACTS`` table (unique per source, date, contract).
      n_tenors: n >= 1, the number of tenors built.
      roll_business_days: k >= 0.
      calendar: exchange_calendars code of the business days (None: Monday-Friday).

    Returns:
      A ``FUTURES_TENORS`` table sorted by (source, date, tenor).

    Example::

      tenors = continuous_tenors(read_settlements("data/wti.csv", "wti").table, 12, 2)
      m1 = tenors.filter(pc.equal(tenors["tenor"], 1))
    """
    if n_tenors < 1:
        raise ValueError(f"n_tenors must be >= 1, got {n_tenors}")
    if roll_business_days < 0:
        raise ValueError(f"roll_business_days must be >= 0, got {roll_business_days}")
    if contracts.num_rows == 0:
        return FUTURES_TENORS.empty_table()
    if pc.min(contracts["settle"]).as_py() <= 0:
        raise ValueError("settle must be > 0 for log returns; read_settlements quarantines such rows")
    src_names, src = np.unique(np.asarray(contracts.column("source").to_pylist(), dtype=object),
                               return_inverse=True)
    codes, con = np.unique(np.asarray(contracts.column("contract").to_pylist(), dtype=object),
                           return_inverse=True)
    date = contracts.column("date").to_numpy().astype("datetime64[D]")
    expiry = contracts.column("expiry").to_numpy().astype("datetime64[D]")
    settle = contracts.column("settle").to_numpy().astype(np.float64)

    log_ret = _own_contract_returns(src, con, date, settle, codes)
    bdte = sessions_between(calendar, date, expiry)
    live = np.flatnonzero(bdte > roll_business_days)

    # Rank live contracts by expiry (then code) within each (source, date).
    order = live[np.lexsort((con[live], expiry[live], date[live], src[live]))]
    new_group = np.r_[True, (src[order][1:] != src[order][:-1]) | (date[order][1:] != date[order][:-1])]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(order.size), 0))
    tenor = np.arange(order.size) - group_start + 1
    sel, tenor = order[tenor <= n_tenors], tenor[tenor <= n_tenors]

    # rolled: the contract in Mi differs from the one on Mi's previous row.
    by_tenor = np.lexsort((date[sel], tenor, src[sel]))
    s_src, s_ten, s_con = src[sel][by_tenor], tenor[by_tenor], con[sel][by_tenor]
    rolled_sorted = np.r_[False, (s_src[1:] == s_src[:-1]) & (s_ten[1:] == s_ten[:-1])
                          & (s_con[1:] != s_con[:-1])]
    rolled = np.empty_like(rolled_sorted)
    rolled[by_tenor] = rolled_sorted

    ret = log_ret[sel]
    return pa.table({
        "source": pa.array(src_names[src[sel]].tolist(), pa.string()),
        "date": pa.array(date[sel], pa.date32()),
        "tenor": pa.array(tenor.astype(np.int32)),
        "contract": pa.array(codes[con[sel]].tolist(), pa.string()),
        "expiry": pa.array(expiry[sel], pa.date32()),
        "settle": pa.array(settle[sel]),
        "log_return": pa.array(ret, mask=np.isnan(ret)),
        "rolled": pa.array(rolled),
        "business_days_to_expiry": pa.array(bdte[sel].astype(np.int32)),
    }, schema=FUTURES_TENORS)


def _own_contract_returns(src: np.ndarray, con: np.ndarray, date: np.ndarray,
                          settle: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """log(settle / previous settle of the same contract), NaN where there is none."""
    order = np.lexsort((date, con, src))
    s_src, s_con, s_date, s_set = src[order], con[order], date[order], settle[order]
    same = np.r_[False, (s_src[1:] == s_src[:-1]) & (s_con[1:] == s_con[:-1])]
    if np.any(same[1:] & (s_date[1:] == s_date[:-1])):
        i = int(np.flatnonzero(same[1:] & (s_date[1:] == s_date[:-1]))[0]) + 1
        raise ValueError(f"contracts table has two rows for (date {s_date[i]}, contract "
                         f"{codes[s_con[i]]}); read_settlements quarantines such duplicates")
    ret = np.full(order.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ret[1:] = np.log(s_set[1:] / s_set[:-1])
    ret[~same] = np.nan
    out = np.empty_like(ret)
    out[order] = ret
    return out
