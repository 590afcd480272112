"""Reader for CBOE delayed-quote downloads (cboe.com "Options > Delayed Quotes > Download").

Format: three preamble lines, then one line per (expiry, root, strike) with the call and
the put side by side::

    S&P 500 INDEX,Last: 6711.2002,Change:  22.7402
    "Date: October 1, 2025 at 6:01 PM EDT",Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest
    Fri Apr 17 2026,SPX260417C01200000,0,0,5498.5,5515.9,0,0,1,0,0,1200.00,SPX260417P01200000,0.65,0.075,0.5,0.6,3,0.7896,-0.0005,0,268

Mapping to ``schemas.CHAINS`` (one data line -> two rows, right 'C' and 'P'):

==================  ==========================================================
underlying          line 1, the text before "Last:" ("S&P 500 INDEX")
root                the OCC symbol's root (SPX, SPXW, NDXP, AMD1 ...): call side, else
                    put side; no OCC symbol: the source's ``root``, else the underlying
underlying_price    line 1, "Last: <x>" (required, > 0)
underlying_bid/ask  line 2, "Bid: <x>" / "Ask: <x>" (null when absent or 0: not reported)
quote_time          line 2, "Date: <stamp>" -> UTC (:mod:`jaxmm.io.dateline`: US or day-first
                    order, with or without "at" or a comma, 12/24-hour clock, EDT/EST/...,
                    GMT±N/UTC±N, month names in 17 languages). No zone: the ``timezone``
                    option. The source's ``snapshot_time``, when given, replaces the stamp
quote_date          the date written on line 2 (or snapshot_time's date)
expiry              "Expiration Date" ("Fri Apr 17 2026"; ISO and MM/DD/YYYY also accepted;
                    the weekday, when given, must match the date)
strike              "Strike" (1200.00 or 1200)
bid, ask, last      "Bid", "Ask", "Last Sale" of each side
volume, open_interest, vendor_iv, vendor_delta, vendor_gamma
                    "Volume", "Open Interest", "IV", "Delta", "Gamma" of each side
instrument          "Calls" / "Puts" (e.g. SPX260417C01200000)
inverse, native_currency, bid_native, ask_native
                    False, "USD", bid, ask
source_line         1-based physical line number of the data line
==================  ==========================================================

Columns are found by header name (case-insensitive): a name given twice belongs to the
calls the first time and to the puts the second; a name given once belongs to the side
of the "Puts" column it sits on (calls when there is no "Puts" column). Required:
Expiration Date, Strike, and Bid, Ask for both sides; the other columns are optional
(null when absent); unknown columns (e.g. "Net") are ignored.

Files as they come (each variant seen in real downloads):

- blank lines, and lines of only commas (a spreadsheet's empty row), are skipped anywhere,
  so the title may be line 1 or come after them; CRLF or CR line ends, a UTF-8 BOM;
- title and Date lines padded with trailing commas; a Date line saved without its quotes,
  so that its commas split it over several fields: the fields up to the next "Label:"
  field are joined back; an underlying name split the same way is joined back too;
- whole-number strikes, trailing commas on data lines;
- counts (Volume, Open Interest) with locale grouping, ``75,744,434``, ``1.234``,
  ``1 234``, ``1'234``, are read as integers (contracts are whole numbers); prices keep
  '.' as the decimal point: a decimal-comma price (``5498,5``) is quarantined as
  non_numeric, never misread.

Conventions:

- rows_in counts quotes: 2 per data line (blank lines are not records).
- "Last Sale" 0 means "no trade" at CBOE (an option cannot trade at 0), so it becomes
  null; "IV" 0 means "not computed" and also becomes null. Delta and gamma are kept as
  given (0 is a legitimate rounded value).
- A line-level problem (wrong field count, bad expiry or strike, expiry before the quote
  date) quarantines both quotes; a side-level problem (bid/ask/last/...) only that side.
- The OCC instrument code (ROOT + YYMMDD + C/P + strike x 1000 on 8 digits, the root
  possibly padded with spaces), when it has that shape, must agree with the line's expiry,
  strike, side and root (else bad_instrument).
- A file with the preamble and no data lines reads as 0 rows (not an error).
- A Date line that cannot be read stops the file with an error naming file, line, column
  'Date' and the text, and pointing at the per-source keys ``snapshot_time`` and
  ``timezone``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from jaxmm.io.chain_rows import (ChainSink, RowError, SourceOptions, check_bid_ask, count, csv_fields,
                                 fit_fields, number, occ_parts, price, split_lines, strike_value)
from jaxmm.io.common import read_text
from jaxmm.io.dateline import DateLineError, Stamp, parse_stamp
from jaxmm.io.errors import InputFileError, Reason

# Header name (lower case) -> canonical key. "Net" (price change) has no CHAINS column.
_ALIASES = {
    "expiration date": "expiry", "expiration": "expiry", "expiry": "expiry",
    "strike": "strike",
    "calls": "instrument", "puts": "instrument",
    "last sale": "last", "last": "last",
    "bid": "bid", "ask": "ask",
    "volume": "volume", "vol": "volume",
    "iv": "iv", "delta": "delta", "gamma": "gamma",
    "open interest": "open_interest", "open int": "open_interest",
}
_REQUIRED_SIDE = ("bid", "ask")

# A "Label:" field of the preamble ("Last:", "Bid:", "Date:"): words, then a colon. A piece
# of a date split by its commas ("2025 at 6:01 PM EDT") starts with a digit: not a label.
_LABEL = re.compile(r"^\s*([^\W\d_]+(?: [^\W\d_]+)*)\s*:")
# A line with nothing but commas, quotes and spaces: a spreadsheet's empty row.
_BLANK = re.compile(r'^[\s,"]*$')
_OVERRIDE_HINT = ("; if the stamp cannot be read, set the source's config key snapshot_time "
                  "(ISO 8601 with offset, e.g. \"2024-11-11T08:02:00-05:00\"), or timezone "
                  "(IANA name) for a stamp without a zone")


# --------------------------------------------------------------------------- preamble

def _preamble_fields(path, line_no: int, line: str, what: str) -> list[str]:
    try:
        return csv_fields(line)
    except RowError:
        raise InputFileError(path, what, line=line_no, found=line[:120]) from None


def _labelled(fields: list[str], label: str) -> str | None:
    """The text after 'Label:' (case-insensitive) in the fields, with the unlabelled fields
    after it joined back on ',' (a field that lost its quotes was split by its commas)."""
    for i, f in enumerate(fields):
        m = _LABEL.match(f)
        if m and m[1].lower() == label.lower():
            parts = [f[m.end():]]
            for g in fields[i + 1:]:
                if _LABEL.match(g):
                    break
                parts.append(g)
            return ",".join(parts).rstrip(", \t").strip()
    return None


def _labelled_price(path, line_no: int, fields: list[str], label: str, *,
                    required: bool) -> float | None:
    text = _labelled(fields, label)
    expected = f"'{label}: <price>' with a price " + ("> 0" if required else "> 0, or 0 / empty / no such field (not reported)")
    if text is None:
        if required:
            raise InputFileError(path, expected, line=line_no, column=label, found=",".join(fields)[:120])
        return None
    try:
        value = number(text, label)
    except RowError:
        raise InputFileError(path, expected, line=line_no, column=label, found=text[:60]) from None
    if not required and not value:
        return None  # "Bid: " or "Bid: 0": not reported
    if value is None or value <= 0:
        raise InputFileError(path, expected, line=line_no, column=label, found=text[:60])
    return value


def _parse_line1(path, line_no: int, line: str) -> tuple[str, float]:
    what = "CBOE line 1 '<underlying>,Last: <price>,Change: <change>'"
    fields = _preamble_fields(path, line_no, line, what)
    # The name runs to the first "Label:" field (a name with a comma may have lost its quotes).
    name_fields = []
    for f in fields:
        if _LABEL.match(f):
            break
        name_fields.append(f)
    name = ",".join(name_fields).rstrip(", \t").strip()
    # A preamble that lost line 1 shows the Date line or the column header here instead.
    if not name or name.lower().startswith(("date:", "last:", "expiration")):
        raise InputFileError(path, what, line=line_no, column="underlying", found=line[:120])
    return name, _labelled_price(path, line_no, fields, "Last", required=True)


def _parse_line2(path, line_no: int, line: str, opts: SourceOptions):
    """(snapshot Stamp, underlying bid, underlying ask) from line 2."""
    what = "CBOE line 2 'Date: <stamp>,Bid: <x>,Ask: <y>,...'"
    fields = _preamble_fields(path, line_no, line, what)
    text = _labelled(fields, "Date")
    if opts.snapshot is not None:
        stamp = opts.snapshot  # the configured snapshot_time replaces the printed stamp
    elif text is None:
        raise InputFileError(path, what + _OVERRIDE_HINT, line=line_no, column="Date", found=line[:120])
    else:
        stamp = _stamp(path, line_no, text, opts.tz)
    bid = _labelled_price(path, line_no, fields, "Bid", required=False)
    ask = _labelled_price(path, line_no, fields, "Ask", required=False)
    return stamp, bid, ask


def _stamp(path, line_no: int, text: str, tz) -> Stamp:
    try:
        return parse_stamp(text, tz)
    except DateLineError as err:
        raise InputFileError(path, f"a snapshot stamp such as 'October 1, 2025 at 6:01 PM EDT' "
                             f"or '14 March 2026 at 07:34 GMT-4' ({err})" + _OVERRIDE_HINT,
                             line=line_no, column="Date", found=text[:120]) from None


def _parse_header(path, line_no: int, line: str) -> tuple[int, dict, dict, dict]:
    """(number of columns, shared columns, call columns, put columns): key -> index."""
    what = "the CBOE column header 'Expiration Date,Calls,...,Strike,Puts,...'"
    header = _preamble_fields(path, line_no, line, what)
    names = [h.strip().lower() for h in header]
    puts_at = names.index("puts") if "puts" in names else None
    shared: dict[str, int] = {}
    calls: dict[str, int] = {}
    puts: dict[str, int] = {}
    for i, name in enumerate(names):
        key = _ALIASES.get(name)
        if key is None:
            continue
        if key in ("expiry", "strike"):
            shared.setdefault(key, i)
        elif puts_at is not None:
            (calls if i < puts_at else puts).setdefault(key, i)
        else:  # no "Puts" column: first occurrence -> calls, second -> puts
            (calls if key not in calls else puts).setdefault(key, i)
    for key, label in (("expiry", "Expiration Date"), ("strike", "Strike")):
        if key not in shared:
            raise InputFileError(path, what + f" with a {label!r} column", line=line_no,
                                 column=label, found=line[:200])
    for side, cols in (("calls", calls), ("puts", puts)):
        for key in _REQUIRED_SIDE:
            if key not in cols:
                label = key.capitalize()
                raise InputFileError(path, what + f" with {label!r} for calls and for puts",
                                     line=line_no, column=f"{label} ({side})", found=line[:200])
    return len(header), shared, calls, puts


# --------------------------------------------------------------------------- data lines

@functools.lru_cache(maxsize=4096)
def _expiry(text: str) -> dt.date:
    s = text.strip()
    if not s:
        raise RowError(Reason.MISSING_FIELD, "Expiration Date is empty")
    for fmt in ("%a %b %d %Y", "%Y-%m-%d", "%m/%d/%Y", "%b %d %Y"):
        try:
            day = dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        # strptime ignores %a: a weekday that disagrees with the date means a corrupt field.
        if fmt.startswith("%a") and day.strftime("%a").lower() != s[:3].lower():
            break
        return day
    raise RowError(Reason.BAD_DATE, f"Expiration Date={s[:40]!r}: expected e.g. 'Fri Apr 17 2026'")


def _line_root(fields: list[str], calls: dict, puts: dict, default: str) -> str:
    """The option root of a data line: the call symbol's, else the put symbol's, else ``default``."""
    for cols in (calls, puts):
        i = cols.get("instrument")
        parts = occ_parts(fields[i]) if i is not None else None
        if parts is not None:
            return parts[0]
    return default


def _check_instrument(code: str | None, expiry: dt.date, strike: float, right: str, root: str,
                      side: str) -> None:
    parts = occ_parts(code)
    if parts is None:
        return  # not an OCC code: kept as given
    code_root, yymmdd, letter, code_strike = parts
    if (yymmdd != expiry.strftime("%y%m%d") or letter != right or code_root != root
            or abs(code_strike - strike) > 1e-6):
        raise RowError(Reason.BAD_INSTRUMENT,
                       f"{side} instrument {code} does not match root {root}, expiry {expiry}, "
                       f"strike {strike:g}, right {right}")


def _side(fields: list[str], cols: dict[str, int], right: str, side: str) -> dict:
    """The quote fields of one side of a data line (raises RowError)."""
    def get(key):
        i = cols.get(key)
        return fields[i] if i is not None else None

    bid = price(get("bid"), f"{side} Bid", required=True)
    ask = price(get("ask"), f"{side} Ask", required=True)
    check_bid_ask(bid, ask, prefix=f"{side} ")
    last = price(get("last"), f"{side} Last Sale")
    iv = number(get("iv"), f"{side} IV")
    instrument = (get("instrument") or "").strip() or None
    return {
        "right": right, "bid": bid, "ask": ask,
        "last": None if last == 0 else last,           # 0 = no trade at CBOE
        "volume": count(get("volume"), f"{side} Volume", grouped=True),
        "open_interest": count(get("open_interest"), f"{side} Open Interest", grouped=True),
        "vendor_iv": None if iv == 0 else iv,          # 0 = not computed
        "vendor_delta": number(get("delta"), f"{side} Delta"),
        "vendor_gamma": number(get("gamma"), f"{side} Gamma"),
        "bid_native": bid, "ask_native": ask, "instrument": instrument,
    }


def _nonblank(lines: list[str], start: int):
    """(1-based line number, line) of the lines from index ``start`` that are not blank
    (blank: nothing but spaces, commas and quotes)."""
    for i in range(start, len(lines)):
        if not _BLANK.match(lines[i]):
            yield i + 1, lines[i]


def read_file(path: str | Path, sink: ChainSink, opts: SourceOptions) -> None:
    """Read one CBOE download into ``sink`` (file-level problems raise InputFileError)."""
    lines = split_lines(read_text(path))
    body = _nonblank(lines, 0)

    def preamble_line(expected: str) -> tuple[int, str]:
        item = next(body, None)
        if item is None:
            raise InputFileError(path, expected, line=len(lines), found="end of file")
        return item

    underlying, last_px = _parse_line1(path, *preamble_line("CBOE line 1 '<underlying>,Last: <price>,...'"))
    stamp, und_bid, und_ask = _parse_line2(
        path, *preamble_line("CBOE line 2 'Date: <stamp>,Bid: <x>,...'"), opts)
    ncols, shared, calls, puts = _parse_header(
        path, *preamble_line("the CBOE column header 'Expiration Date,Calls,...'"))
    default_root = opts.root or underlying
    common = {"underlying": underlying, "quote_time": stamp.utc, "quote_date": stamp.local_date,
              "underlying_price": last_px, "underlying_bid": und_bid, "underlying_ask": und_ask,
              "bid_size": None, "ask_size": None, "inverse": False, "native_currency": "USD"}

    for line_no, line in body:
        sink.take(2)
        try:
            fields = fit_fields(csv_fields(line), ncols)
            expiry = _expiry(fields[shared["expiry"]])
            strike = strike_value(fields[shared["strike"]], "Strike")
            if expiry < stamp.local_date:
                raise RowError(Reason.EXPIRY_BEFORE_QUOTE, f"expiry {expiry} < quote date {stamp.local_date}")
        except RowError as err:
            sink.reject(line_no, err.reason, err.detail, line, count=2)
            continue
        root = _line_root(fields, calls, puts, default_root)
        for right, cols, side in (("C", calls, "call"), ("P", puts, "put")):
            try:
                row = _side(fields, cols, right, side)
                _check_instrument(row["instrument"], expiry, strike, right, root, side)
            except RowError as err:
                sink.reject(line_no, err.reason, err.detail, line)
                continue
            row.update(common, root=root, expiry=expiry, strike=strike)
            sink.keep(row, line_no, line)
