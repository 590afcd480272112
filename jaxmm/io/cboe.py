"""Reader for CBOE delayed-quote downloads (cboe.com "Options > Delayed Quotes > Download").

Format: three preamble lines (blank lines before them are skipped), then one line per
strike with the call and the put side by side::

    S&P 500 INDEX,Last: 6711.2002,Change:  22.7402
    "Date: October 1, 2025 at 6:01 PM EDT",Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0
    Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest
    Fri Apr 17 2026,SPX260417C01200000,0,0,5498.5,5515.9,0,0,1,0,0,1200.00,SPX260417P01200000,0.65,0.075,0.5,0.6,3,0.7896,-0.0005,0,268

Mapping to ``schemas.CHAINS`` (one data line -> two rows, right 'C' and 'P'):

==================  ==========================================================
underlying          line 1, first field ("S&P 500 INDEX")
underlying_price    line 1, "Last: <x>" (required, > 0)
underlying_bid/ask  line 2, "Bid: <x>" / "Ask: <x>" (null when absent)
quote_time          line 2, "Date: <Month D, YYYY> at <h:mm AM/PM> <TZ>" -> UTC. EDT/EST
                    (and a few other abbreviations) give the UTC offset; no zone or "ET"
                    means the ``timezone`` argument (default America/New_York)
quote_date          the date written on line 2 (exchange-local date)
expiry              "Expiration Date" ("Fri Apr 17 2026"; ISO and MM/DD/YYYY also accepted;
                    the weekday, when given, must match the date)
strike              "Strike"
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

Conventions:

- rows_in counts quotes: 2 per data line (blank lines are not records).
- "Last Sale" 0 means "no trade" at CBOE (an option cannot trade at 0), so it becomes
  null; "IV" 0 means "not computed" and also becomes null. Delta and gamma are kept as
  given (0 is a legitimate rounded value).
- A line-level problem (wrong field count, bad expiry or strike, expiry before the quote
  date) quarantines both quotes; a side-level problem (bid/ask/last/...) only that side.
- The OCC instrument code (ROOT + YYMMDD + C/P + strike x 1000 on 8 digits), when it has
  that shape, must agree with the line's expiry, strike and side (else bad_instrument).
- A file with the preamble and no data lines reads as 0 rows (not an error).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from jaxmm.io.chain_rows import (ChainSink, RowError, check_bid_ask, count, csv_fields, fit_fields,
                                 number, price, split_lines, strike_value, to_utc)
from jaxmm.io.common import parse_float, read_text
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

# UTC offsets (hours) of the zone abbreviations CBOE and US vendors print.
_TZ_OFFSETS = {"EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6, "MST": -7,
               "PDT": -7, "PST": -8, "UTC": 0, "GMT": 0, "Z": 0}

_DATE_LINE = re.compile(
    r"^\s*date:\s*(?P<date>.+?)\s+(?:at\s+)?(?P<time>\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)"
    r"\s*(?P<tz>[a-z]{1,4})?\s*$", re.IGNORECASE)
_OCC = re.compile(r"^[A-Z0-9.]{1,6}?(\d{6})([CP])(\d{8})$")


# --------------------------------------------------------------------------- preamble

def _preamble_fields(path, line_no: int, line: str, what: str) -> list[str]:
    try:
        return csv_fields(line)
    except RowError:
        raise InputFileError(path, what, line=line_no, found=line[:120]) from None


def _labelled(fields: list[str], label: str) -> str | None:
    """The text after 'Label:' in the field that starts with it (case-insensitive)."""
    for f in fields:
        s = f.strip()
        if s.lower().startswith(label.lower() + ":"):
            return s[len(label) + 1:].strip()
    return None


def _labelled_price(path, line_no: int, fields: list[str], label: str, *,
                    required: bool) -> float | None:
    text = _labelled(fields, label)
    expected = f"'{label}: <price>' with a price " + ("> 0" if required else ">= 0 (or no such field)")
    if text is None:
        if required:
            raise InputFileError(path, expected, line=line_no, column=label, found=",".join(fields)[:120])
        return None
    try:
        value = parse_float(text)
    except ValueError:
        raise InputFileError(path, expected, line=line_no, column=label, found=text[:60]) from None
    if value is None and not required:
        return None  # "Bid: " with no number: not reported
    if value is None or value < 0 or (required and value == 0):
        raise InputFileError(path, expected, line=line_no, column=label, found=text[:60])
    return value


def _parse_line1(path, line_no: int, line: str) -> tuple[str, float]:
    what = "CBOE line 1 '<underlying>,Last: <price>,Change: <change>'"
    fields = _preamble_fields(path, line_no, line, what)
    name = fields[0].strip() if fields else ""
    # A preamble that lost line 1 shows the Date line or the column header here instead.
    if not name or name.lower().startswith(("date:", "last:", "expiration")):
        raise InputFileError(path, what, line=line_no, column="underlying", found=line[:120])
    return name, _labelled_price(path, line_no, fields, "Last", required=True)


def _parse_date_text(text: str) -> dt.date | None:
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _parse_time_text(text: str) -> dt.time | None:
    s = re.sub(r"\s+", " ", text.replace(".", "")).strip().upper()
    for fmt in ("%I:%M %p", "%I:%M%p", "%I:%M:%S %p", "%I:%M:%S%p", "%H:%M", "%H:%M:%S"):
        try:
            return dt.datetime.strptime(s, fmt).time()
        except ValueError:
            continue
    return None


def _parse_line2(path, line_no: int, line: str, tz: dt.tzinfo):
    """(quote_time UTC, quote_date local, underlying bid, underlying ask) from line 2."""
    what = "CBOE line 2 'Date: <Month D, YYYY> at <h:mm AM/PM> <TZ>,Bid: <x>,Ask: <y>,...'"
    fields = _preamble_fields(path, line_no, line, what)
    text = _labelled(fields, "Date")
    m = _DATE_LINE.match("Date: " + text) if text is not None else None
    day = _parse_date_text(m["date"]) if m else None
    clock = _parse_time_text(m["time"]) if m else None
    abbr = (m["tz"] or "").upper() if m else ""
    if day is None or clock is None or (abbr and abbr not in _TZ_OFFSETS and abbr != "ET"):
        raise InputFileError(path, what + f" (time zones: ET, {', '.join(_TZ_OFFSETS)})",
                             line=line_no, column="Date", found=(text or line)[:120])
    zone = dt.timezone(dt.timedelta(hours=_TZ_OFFSETS[abbr])) if abbr in _TZ_OFFSETS else tz
    try:
        quote_time = to_utc(dt.datetime.combine(day, clock), zone)
    except RowError:
        raise InputFileError(path, "a date and time within years 1-9999", line=line_no,
                             column="Date", found=text[:120]) from None
    bid = _labelled_price(path, line_no, fields, "Bid", required=False)
    ask = _labelled_price(path, line_no, fields, "Ask", required=False)
    return quote_time, day, bid, ask


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


def _check_instrument(code: str | None, expiry: dt.date, strike: float, right: str, side: str) -> None:
    m = _OCC.match(code) if code else None
    if m is None:
        return  # not an OCC code: kept as given
    yymmdd, letter, strike8 = m.groups()
    if (yymmdd != expiry.strftime("%y%m%d") or letter != right
            or abs(int(strike8) / 1000.0 - strike) > 1e-6):
        raise RowError(Reason.BAD_INSTRUMENT,
                       f"{side} instrument {code} does not match expiry {expiry}, strike {strike:g}, right {right}")


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
        "volume": count(get("volume"), f"{side} Volume"),
        "open_interest": count(get("open_interest"), f"{side} Open Interest"),
        "vendor_iv": None if iv == 0 else iv,          # 0 = not computed
        "vendor_delta": number(get("delta"), f"{side} Delta"),
        "vendor_gamma": number(get("gamma"), f"{side} Gamma"),
        "bid_native": bid, "ask_native": ask, "instrument": instrument,
    }


def _nonblank(lines: list[str], start: int):
    """(1-based line number, line) of the non-blank lines from index ``start``."""
    for i in range(start, len(lines)):
        if lines[i].strip():
            yield i + 1, lines[i]


def read_file(path: str | Path, sink: ChainSink, tz: dt.tzinfo) -> None:
    """Read one CBOE download into ``sink`` (file-level problems raise InputFileError)."""
    lines = split_lines(read_text(path))
    body = _nonblank(lines, 0)

    def preamble_line(expected: str) -> tuple[int, str]:
        item = next(body, None)
        if item is None:
            raise InputFileError(path, expected, line=len(lines), found="end of file")
        return item

    underlying, last_px = _parse_line1(path, *preamble_line("CBOE line 1 '<underlying>,Last: <price>,...'"))
    quote_time, quote_date, und_bid, und_ask = _parse_line2(
        path, *preamble_line("CBOE line 2 'Date: <Month D, YYYY> at <h:mm AM/PM> <TZ>,...'"), tz)
    ncols, shared, calls, puts = _parse_header(
        path, *preamble_line("the CBOE column header 'Expiration Date,Calls,...'"))
    common = {"underlying": underlying, "quote_time": quote_time, "quote_date": quote_date,
              "underlying_price": last_px, "underlying_bid": und_bid, "underlying_ask": und_ask,
              "bid_size": None, "ask_size": None, "inverse": False, "native_currency": "USD"}

    for line_no, line in body:
        sink.take(2)
        try:
            fields = fit_fields(csv_fields(line), ncols)
            expiry = _expiry(fields[shared["expiry"]])
            strike = strike_value(fields[shared["strike"]], "Strike")
            if expiry < quote_date:
                raise RowError(Reason.EXPIRY_BEFORE_QUOTE, f"expiry {expiry} < quote date {quote_date}")
        except RowError as err:
            sink.reject(line_no, err.reason, err.detail, line, count=2)
            continue
        for right, cols, side in (("C", calls, "call"), ("P", puts, "put")):
            try:
                row = _side(fields, cols, right, side)
                _check_instrument(row["instrument"], expiry, strike, right, side)
            except RowError as err:
                sink.reject(line_no, err.reason, err.detail, line)
                continue
            row.update(common, expiry=expiry, strike=strike)
            sink.keep(row, line_no, line)
