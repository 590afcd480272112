"""Reader for the generic long option-chain CSV: one quote per line, one header line.

Example::

    quote_date,expiry,strike,right,bid,ask,underlying_price,quote_time
    2025-10-01,2026-04-17,6700,C,512.3,518.9,6711.20,2025-10-01T16:15:00
    2025-10-01,2026-04-17,6700,put,401.0,406.5,6711.20,

Columns (names case-insensitive, surrounding whitespace stripped; extra columns ignored;
blank lines before the header and between rows are skipped):

================  ========  ===============================================================
column            required  maps to / meaning
================  ========  ===============================================================
quote_date        yes       quote_date (YYYY-MM-DD)
expiry            yes       expiry (YYYY-MM-DD)
strike            yes       strike (> 0)
right             yes       right: C / P / call / put, any case
bid, ask          yes       bid, ask (USD); also bid_native, ask_native
quote_time        no        quote_time: ISO datetime; naive = the ``timezone`` argument,
                            with an offset = that offset. Absent or empty: 16:00 local on
                            quote_date
underlying        no        underlying; absent or empty: the source name
root              no        root (option root / series, e.g. SPXW); absent or empty: the root
                            of an OCC symbol in ``instrument``, else the source's configured
                            ``root``, else the underlying
underlying_price  no        underlying_price (> 0 when given)
last              no        last (kept as given, 0 included: the user wrote it)
volume, open_interest, bid_size, ask_size
                  no        same names (counts >= 0; whole numbers may be grouped:
                            75,744,434, 1.234, 1 234, 1'234)
instrument        no        instrument
================  ========  ===============================================================

inverse is False and native_currency "USD"; rows_in counts data lines (1 quote each);
source_line is the 1-based physical line. A header with no data lines reads as 0 rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jaxmm.io.chain_rows import (ChainSink, RowError, SourceOptions, check_bid_ask, count, csv_fields,
                                 csv_header, fit_fields, iso_date, number, occ_parts, price, right_code,
                                 split_lines, strike_value, to_utc)
from jaxmm.io.common import read_text
from jaxmm.io.errors import Reason

REQUIRED = ("quote_date", "expiry", "strike", "right", "bid", "ask")
OPTIONAL = ("quote_time", "underlying", "root", "underlying_price", "last", "volume", "open_interest",
            "bid_size", "ask_size", "instrument")
CLOSE = dt.time(16, 0)  # default snapshot time: the US equity-option close


def _quote_time(text: str | None, quote_date: dt.date, tz: dt.tzinfo) -> dt.datetime:
    s = (text or "").strip()
    if not s:
        return to_utc(dt.datetime.combine(quote_date, CLOSE), tz)
    try:
        parsed = dt.datetime.fromisoformat(s)
    except ValueError:
        raise RowError(Reason.BAD_DATE, f"quote_time={s[:40]!r}: expected an ISO datetime") from None
    if parsed.tzinfo is None:
        return to_utc(parsed, tz)
    try:
        return parsed.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        raise RowError(Reason.BAD_DATE, f"quote_time={s[:40]!r} out of range") from None


def _row(fields: list[str], cols: dict[str, int], source: str, opts: SourceOptions) -> dict:
    def get(name):
        i = cols.get(name)
        return fields[i] if i is not None else None

    quote_date = iso_date(get("quote_date"), "quote_date")
    expiry = iso_date(get("expiry"), "expiry")
    strike = strike_value(get("strike"))
    right = right_code(get("right"))
    quote_time = _quote_time(get("quote_time"), quote_date, opts.tz)
    if expiry < quote_date:
        raise RowError(Reason.EXPIRY_BEFORE_QUOTE, f"expiry {expiry} < quote_date {quote_date}")
    bid = price(get("bid"), "bid", required=True)
    ask = price(get("ask"), "ask", required=True)
    check_bid_ask(bid, ask)
    und = number(get("underlying_price"), "underlying_price")
    if und is not None and und <= 0:
        raise RowError(Reason.NONPOSITIVE_PRICE, f"underlying_price={und:g} <= 0")
    underlying = (get("underlying") or "").strip() or source
    instrument = (get("instrument") or "").strip() or None
    occ = occ_parts(instrument)
    root = (get("root") or "").strip() or (occ[0] if occ else None) or opts.root or underlying
    return {
        "underlying": underlying, "root": root,
        "quote_time": quote_time, "quote_date": quote_date, "expiry": expiry,
        "strike": strike, "right": right, "bid": bid, "ask": ask,
        "last": price(get("last"), "last"),
        "volume": count(get("volume"), "volume", grouped=True),
        "open_interest": count(get("open_interest"), "open_interest", grouped=True),
        "bid_size": count(get("bid_size"), "bid_size", grouped=True),
        "ask_size": count(get("ask_size"), "ask_size", grouped=True),
        "underlying_price": und, "underlying_bid": None, "underlying_ask": None,
        "vendor_iv": None, "vendor_delta": None, "vendor_gamma": None,
        "inverse": False, "native_currency": "USD", "bid_native": bid, "ask_native": ask,
        "instrument": instrument,
    }


def read_file(path: str | Path, sink: ChainSink, opts: SourceOptions) -> None:
    """Read one generic chain CSV into ``sink`` (file-level problems raise InputFileError)."""
    lines = split_lines(read_text(path))
    _, _, header, cols, numbered = csv_header(path, lines, REQUIRED, OPTIONAL, "generic chain",
                                              "a header line naming " + ", ".join(REQUIRED))
    for line_no, line in numbered:
        sink.take(1)
        try:
            row = _row(fit_fields(csv_fields(line), len(header)), cols, sink.source, opts)
        except RowError as err:
            sink.reject(line_no, err.reason, err.detail, line)
            continue
        sink.keep(row, line_no, line)
