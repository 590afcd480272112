"""Line-oriented CSV plumbing shared by the futures and daily readers.

Conventions (docs/inputs.md relies on them):

- A file whose name ends in ``.gz`` is gunzipped first; line numbers are lines of the
  decompressed text. Text must be UTF-8 (a BOM is dropped).
- Lines are split on ``\\n`` (a trailing ``\\r`` is dropped), so a line number is always a
  physical line. Each line is one record: quoted fields may hold commas but never a line
  break (no multi-line records in these formats), so one bad line cannot swallow the next.
- Blank lines are skipped and not counted. The first non-blank line is the header.
- Column names match case-insensitively, surrounding whitespace ignored.
- Dates: ``YYYY-MM-DD``, ``YYYYMMDD`` or ``M/D/YYYY`` (US order, as in Yahoo/FRED exports).
- Missing markers: an empty cell, ``NA``, ``N/A``, ``NaN``, ``null``, ``none``, ``-``
  (see :func:`jaxmm.io.common.parse_float`) and FRED's ``.`` all mean "no value".
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import re
from pathlib import Path

from jaxmm.io.common import expand_paths, parse_float, read_text
from jaxmm.io.errors import InputFileError

DATE_FORMATS = "YYYY-MM-DD, YYYYMMDD or M/D/YYYY"
CSV_SUFFIXES = (".csv", ".gz")   # a directory argument picks up *.csv and *.csv.gz

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclasses.dataclass(frozen=True)
class Record:
    """One data line: its 1-based physical line number, raw text and fields."""

    line: int
    raw: str
    fields: list[str]


@dataclasses.dataclass
class CsvText:
    """A CSV file split into a header and data records."""

    path: Path
    header_line: int
    header: list[str]          # stripped column names, as written
    records: list[Record]

    def index(self) -> dict[str, int]:
        """Case-folded column name -> position (first occurrence)."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.header):
            out.setdefault(fold(name), i)
        return out

    def header_text(self) -> str:
        return ",".join(self.header)


def fold(name: str) -> str:
    """The matching key of a column name: stripped, case-folded."""
    return name.strip().casefold()


def csv_paths(paths) -> list[Path]:
    """Like :func:`expand_paths`, accepting one path or a list, and ``.csv.gz`` files."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    return expand_paths(list(paths), suffixes=CSV_SUFFIXES)


def split_fields(line: str) -> list[str]:
    """Fields of one CSV line (quotes honoured; never raises)."""
    if '"' not in line:
        return line.split(",")          # fast path: most lines have no quotes
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        # A stray CR or an oversized field: fall back to a plain split, so the line is
        # judged (and quarantined) on its fields instead of failing the whole file.
        return line.split(",")


def load_csv(path: str | Path) -> CsvText:
    """Read a CSV file into header + records. Raises for empty or header-only files."""
    path = Path(path)
    text = read_text(path)
    header_line, header, records = 0, None, []
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if header is None:
            header_line, header = n, [h.strip() for h in split_fields(line)]
        else:
            records.append(Record(n, line, split_fields(line)))
    if header is None:  # read_text already rejects whitespace-only files; keep it safe
        raise InputFileError(path, "a non-empty file", line=1)
    if not records:
        raise InputFileError(path, "at least one data line after the header",
                             line=header_line + 1, found="header only")
    return CsvText(path, header_line, header, records)


def require_column(csvt: CsvText, name: str, what: str | None = None) -> int:
    """Position of column ``name`` (case-insensitive); raise naming it if missing."""
    idx = csvt.index()
    key = fold(name)
    if key in idx:
        return idx[key]
    expected = f"a column named {name!r}" + (f" ({what})" if what else "")
    if csvt.header and parse_date(csvt.header[0]) is not None:
        expected += "; the first line looks like data, not a header naming the columns"
    raise InputFileError(csvt.path, expected, line=csvt.header_line, column=name,
                         found="columns: " + csvt.header_text())


def check_unique(csvt: CsvText, positions: list[int]) -> None:
    """Raise if two of the used columns have the same (case-folded) name."""
    seen: dict[str, int] = {}
    for i in positions:
        key = fold(csvt.header[i])
        if key in seen:
            raise InputFileError(csvt.path, "unique column names", line=csvt.header_line,
                                 column=csvt.header[i],
                                 found=f"columns {seen[key] + 1} and {i + 1} both named {csvt.header[i]!r}")
        seen[key] = i


@functools.lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> dt.date | None:
    """A date in one of :data:`DATE_FORMATS`, or None if ``text`` is not one."""
    s = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_COMPACT, "ymd"), (_US, "mdy")):
        m = pattern.fullmatch(s)
        if m:
            a, b, c = (int(g) for g in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, a, b)
            try:
                return dt.date(y, mo, d)
            except ValueError:
                return None
    return None


def is_missing(cell: str) -> bool:
    """True for an empty cell or a missing marker (see the module docstring)."""
    s = cell.strip()
    if s == ".":                         # FRED's missing value
        return True
    try:
        return parse_float(s) is None
    except ValueError:
        return False


def parse_number(cell: str) -> float | None:
    """A finite float, None if missing; raises ValueError for anything else."""
    if cell.strip() == ".":
        return None
    return parse_float(cell)


def raw_cell(cell: str, limit: int = 40) -> str:
    """A cell for a quarantine detail: repr, truncated."""
    r = repr(cell)
    return r if len(r) <= limit else r[: limit - 3] + "..."
