"""Building blocks shared by the option-chain readers (CBOE, generic CSV, Deribit).

- :class:`RowError`: raised inside a reader for a bad record; the reader turns it into a
  quarantine entry (never a silent drop).
- field parsers (:func:`number`, :func:`price`, :func:`count`, :func:`iso_date`,
  :func:`check_bid_ask`) that raise :class:`RowError` with the right :class:`Reason`;
- :func:`split_lines` / :func:`csv_fields`: physical lines, one CSV record per line (an
  unbalanced quote spoils its own line only, never the rest of the file);
- :func:`header_columns`: locate named columns in a CSV header, case-insensitively;
  :func:`csv_header`: find, parse and check the header line of a CSV file;
- :class:`ChainSink`: collects kept rows column-wise (fast for 100k+ rows), the quarantine,
  the duplicate check, and one summary per file with ``rows_in == kept + quarantined``;
- :class:`SourceOptions`: the per-source config a reader needs (timezone, root, snapshot_time);
- :func:`occ_parts`: root, expiry, right and strike of an OCC option symbol.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
import operator
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from jaxmm.io.common import ReadResult, parse_float
from jaxmm.io.dateline import Stamp
from jaxmm.io.errors import InputFileError, Quarantine, Reason
from jaxmm.io.schemas import CHAINS_READ  # CHAINS less the columns the conventions step adds

UTC = dt.timezone.utc

_AS_TUPLE = operator.itemgetter(*CHAINS_READ.names)

# A thousands-comma number that cannot be a decimal comma: 5,498.5 or 1,234,567.
_US_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+\.\d*$|^[+-]?[1-9]\d{0,2}(?:,\d{3}){2,}$")
# A grouped whole number, one separator throughout: 75,744,434  1.234  1 234  1'234.
_GROUPED_INT = re.compile(r"^[1-9]\d{0,2}([,.' \u00a0\u202f\u2019])\d{3}(?:\1\d{3})*$")


@dataclasses.dataclass(frozen=True)
class SourceOptions:
    """How to read one source's files (config ``ingest.chains.sources[]``).

    Attributes:
      tz: zone of naive local times (key ``timezone``).
      root: option root of quotes whose file gives no option symbol (key ``root``).
      snapshot: the snapshot instant that replaces a CBOE file's Date line (key
        ``snapshot_time``), or None.
    """

    tz: dt.tzinfo
    root: str | None = None
    snapshot: Stamp | None = None


class RowError(Exception):
    """A record is unusable: quarantine it with ``reason`` and a human-readable ``detail``."""

    def __init__(self, reason: Reason, detail: str):
        super().__init__(detail)
        self.reason = Reason(reason)
        self.detail = detail


# --------------------------------------------------------------------------- fields

def number(value, field: str, *, required: bool = False) -> float | None:
    """A finite float from a CSV string or a JSON value; None when empty and not required.

    '.' is the decimal point. A comma is read only as a thousands separator where it cannot
    be a decimal comma: ``5,498.5`` (a '.' follows) or ``1,234,567`` (two groups); any other
    comma (``5498,5``, ``1,234``) is NON_NUMERIC rather than a guess.
    """
    if type(value) is str:  # fast path for the common case: a plain decimal string
        try:
            out = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(out):
                return out
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise RowError(Reason.MISSING_FIELD, f"{field} is empty")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RowError(Reason.NON_NUMERIC, f"{field}={_show(value)} is not a number")
    if isinstance(value, str) and "," in value:
        s = value.strip()
        if not _US_GROUPED.match(s):
            raise RowError(Reason.NON_NUMERIC, f"{field}={_show(value)}: ',' is not read as a decimal "
                           "point (numbers use '.'; thousands commas only as in 5,498.5 or 1,234,567)")
        value = s.replace(",", "")
    try:
        out = parse_float(value) if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise RowError(Reason.NON_NUMERIC, f"{field}={_show(value)} is not a number") from None
    if out is None:
        # parse_float maps 'nan', 'n/a', '-' ... to None: "not reported".
        if required:
            raise RowError(Reason.MISSING_FIELD, f"{field}={_show(value)} (no value)")
        return None
    if not math.isfinite(out):
        raise RowError(Reason.NON_NUMERIC, f"{field}={_show(value)} is not finite")
    return out


def price(value, field: str, *, required: bool = False) -> float | None:
    """A price: a number >= 0 (negative -> NEGATIVE_PRICE)."""
    out = number(value, field, required=required)
    if out is not None and out < 0:
        raise RowError(Reason.NEGATIVE_PRICE, f"{field}={out:g} < 0")
    return out


def count(value, field: str, *, grouped: bool = False) -> float | None:
    """A count (volume, open interest, size): a number >= 0 or None.

    With ``grouped`` (counts of whole contracts, as CBOE's), a value with the shape of a
    grouped integer is read as one whatever the locale's separator: ``75,744,434``,
    ``1.234``, ``1 234`` (also no-break spaces), ``1'234`` -> integers. Without it (Deribit
    amounts are fractional: 1.234 is a decimal there) only :func:`number`'s rules apply.
    A negative count is not a number of contracts, so it is reported as NON_NUMERIC.
    """
    if grouped and isinstance(value, str) and not value.isdigit():  # plain digits: no grouping
        m = _GROUPED_INT.match(value.strip())
        if m:
            return float(re.sub(r"\D", "", m[0]))
    out = number(value, field)
    if out is not None and out < 0:
        raise RowError(Reason.NON_NUMERIC, f"{field}={out:g}: expected a count >= 0")
    return out


def strike_value(value, field: str = "strike") -> float:
    out = number(value, field, required=True)
    if out <= 0:
        raise RowError(Reason.NONPOSITIVE_STRIKE, f"{field}={out:g} <= 0")
    return out


def check_bid_ask(bid: float, ask: float, prefix: str = "") -> None:
    """Zero ask (no offer) and crossed quotes are unusable. bid == ask is allowed."""
    if ask == 0:
        raise RowError(Reason.ZERO_ASK, f"{prefix}ask=0 (no offer)")
    if bid > ask:
        raise RowError(Reason.CROSSED_QUOTE, f"{prefix}bid={bid:g} > ask={ask:g}")


def iso_date(value: str | None, field: str) -> dt.date:
    """A YYYY-MM-DD date (MISSING_FIELD when empty, BAD_DATE when it does not parse)."""
    s = (value or "").strip()
    if not s:
        raise RowError(Reason.MISSING_FIELD, f"{field} is empty")
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise RowError(Reason.BAD_DATE, f"{field}={_show(s)}: expected YYYY-MM-DD") from None


def right_code(value: str | None, field: str = "right") -> str:
    """'C' or 'P' from C/P/call/put in any case."""
    s = (value or "").strip().upper()
    if not s:
        raise RowError(Reason.MISSING_FIELD, f"{field} is empty")
    code = {"C": "C", "CALL": "C", "P": "P", "PUT": "P"}.get(s)
    if code is None:
        raise RowError(Reason.BAD_RIGHT, f"{field}={_show(value)}: expected C, P, call or put")
    return code


# OCC/OSI option symbol: ROOT (1-6 characters; OSI pads it to 6 with spaces) + YYMMDD +
# C|P + strike x 1000 on 8 digits: SPXW230609C04285000, "SPXW  230609C04285000", AMD1...
_OCC = re.compile(r"^(?P<root>[A-Z0-9.]{1,6}?) *(?P<yymmdd>\d{6})(?P<right>[CP])(?P<strike8>\d{8})$")


def occ_parts(symbol: str | None) -> tuple[str, str, str, float] | None:
    """(root, yymmdd, right, strike) of an OCC option symbol, or None for another shape.

    >>> occ_parts("SPXW230609C04285000")
    ('SPXW', '230609', 'C', 4285.0)
    """
    m = _OCC.match(symbol.strip().upper()) if symbol else None
    if m is None:
        return None
    return m["root"], m["yymmdd"], m["right"], int(m["strike8"]) / 1000.0


def to_utc(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Attach ``tz`` to a naive local time and convert to UTC (overflow -> BAD_DATE)."""
    try:
        return local.replace(tzinfo=tz).astimezone(UTC)
    except (OverflowError, ValueError):
        raise RowError(Reason.BAD_DATE, f"time {local.isoformat()} out of range") from None


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; a bad name is a configuration error naming the key."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"timezone: {name!r} is not an IANA time zone "
                         "(e.g. 'America/New_York')") from None


def _show(value, n: int = 40) -> str:
    s = repr(value)
    return s if len(s) <= n else s[: n - 3] + "..."


# --------------------------------------------------------------------------- lines / CSV

def split_lines(text: str) -> list[str]:
    """Physical lines; CRLF and lone CR count as one line break (as editors count them)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def csv_fields(line: str) -> list[str]:
    """The fields of one CSV line. A malformed line raises RowError(WRONG_FIELD_COUNT)."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise RowError(Reason.WRONG_FIELD_COUNT, f"CSV line does not parse: {exc}") from None


def fit_fields(fields: list[str], n: int) -> list[str]:
    """``fields`` when there are ``n`` of them (trailing empty extras, e.g. a trailing comma,
    are tolerated); otherwise RowError(WRONG_FIELD_COUNT)."""
    if len(fields) == n:
        return fields
    if len(fields) > n and not any(f.strip() for f in fields[n:]):
        return fields[:n]
    raise RowError(Reason.WRONG_FIELD_COUNT, f"{len(fields)} fields, header has {n}")


def header_columns(path: str | Path, line_no: int, header: list[str], required: tuple[str, ...],
                   optional: tuple[str, ...], what: str) -> dict[str, int]:
    """Map column name -> index; names are matched case-insensitively after stripping.

    A missing required column, or a required/optional column given twice, stops the file
    with an InputFileError naming the line and the column.
    """
    names = [h.strip().lower() for h in header]
    wanted = set(required) | set(optional)
    out: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in wanted:
            if name in out:
                raise InputFileError(path, f"each {what} column once", line=line_no,
                                     column=name, found=f"columns {out[name] + 1} and {i + 1}")
            out[name] = i
    for name in required:
        if name not in out:
            raise InputFileError(path, f"a {what} header with column {name!r} "
                                 f"(required: {', '.join(required)})",
                                 line=line_no, column=name, found=",".join(header)[:200])
    return out


def csv_header(path: str | Path, lines: list[str], required: tuple[str, ...], optional: tuple[str, ...],
               what: str, no_header: str):
    """The first non-blank line of ``lines`` read as a CSV header.

    Returns (header line number, header line, header fields, column map, iterator over the
    remaining non-blank lines as (1-based line number, line)). No non-blank line stops the
    file with InputFileError(``no_header``); a header that does not parse, or lacks a column,
    stops it too (see :func:`header_columns`).
    """
    numbered = ((i + 1, line) for i, line in enumerate(lines) if line.strip())
    first = next(numbered, None)
    if first is None:  # e.g. only a BOM or unicode spaces
        raise InputFileError(path, no_header, line=1)
    header_no, header_line = first
    try:
        header = csv_fields(header_line)
    except RowError as err:
        raise InputFileError(path, "a CSV header line", line=header_no, found=err.detail) from None
    cols = header_columns(path, header_no, header, required, optional, what)
    return header_no, header_line, header, cols, numbered


# --------------------------------------------------------------------------- the sink

class ChainSink:
    """Kept rows (column-wise, in CHAINS order), the quarantine and per-file summaries.

    Usage by a reader: ``begin(path)``; per record ``take(n)`` then ``keep(row)`` or
    ``reject(...)`` for each of its n quotes; ``end()`` checks conservation.
    """

    def __init__(self, source: str):
        self.source = source
        self.quarantine = Quarantine(dataset="chains")
        self.rows: list[tuple] = []  # kept rows, in CHAINS column order
        self.summary: list[dict] = []
        # Duplicate key over the whole read: a quote's identity at one time (the source is
        # the same for the whole read, so the key omits it).
        self._seen: set[tuple] = set()
        self._file: str | None = None
        self._rows_in = self._kept = self._quarantined = 0

    def begin(self, path: str | Path) -> None:
        self._file = str(path)
        self._rows_in = self._kept = self._quarantined = 0

    def take(self, n: int = 1) -> None:
        """Count ``n`` input quotes (a CBOE line holds 2: the call and the put)."""
        self._rows_in += n

    def reject(self, line: int, reason: Reason, detail: str, raw: str = "", count: int = 1) -> None:
        self.quarantine.add(self._file, line, reason, detail, raw, count=count)
        self._quarantined += count

    def keep(self, row: dict, line: int, raw: str = "") -> None:
        """Keep ``row`` unless it repeats the key of an earlier kept row.

        ``row`` holds every CHAINS_READ field except source, source_file and source_line
        (set here); a missing field is a reader bug and raises KeyError. The key is the
        quote's identity: (quote_time, underlying, root, expiry, strike, right).
        """
        key = (row["quote_time"], row["underlying"], row["root"], row["expiry"], row["strike"], row["right"])
        if key in self._seen:
            self.reject(line, Reason.DUPLICATE_ROW,
                        f"same quote_time, underlying, root, expiry, strike, right as an earlier row: "
                        f"{row['root']} {row['expiry']} {row['strike']:g} {row['right']}", raw)
            return
        self._seen.add(key)
        row["source"], row["source_file"], row["source_line"] = self.source, self._file, line
        self.rows.append(_AS_TUPLE(row))
        self._kept += 1

    def end(self) -> None:
        if self._rows_in != self._kept + self._quarantined:  # a reader bug, never data
            raise RuntimeError(f"{self._file}: rows_in {self._rows_in} != kept {self._kept} "
                               f"+ quarantined {self._quarantined}")
        self.summary.append({"dataset": "chains", "source": self.source,
                             "source_file": self._file, "rows_in": self._rows_in,
                             "kept": self._kept, "quarantined": self._quarantined})

    def result(self) -> ReadResult:
        columns = list(zip(*self.rows)) if self.rows else [[] for _ in CHAINS_READ]
        table = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, CHAINS_READ)],
                                     schema=CHAINS_READ)
        return ReadResult(table, self.quarantine, self.summary)
