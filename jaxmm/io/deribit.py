"""Reader for Deribit option book summaries (``public/get_book_summary_by_currency``).

Input: a CSV file with Deribit's field names as header, or a JSON file holding either a
list of records or the API envelope ``{"result": [...]}``. A JSON record::

    {"instrument_name": "BTC-26JUN26-100000-C", "bid_price": 0.24, "ask_price": 0.245,
     "last": 0.247, "mark_iv": 45.36, "underlying_price": 116076.41, "volume": 0,
     "open_interest": 1.2, "base_currency": "BTC", "quote_currency": "BTC", "creation_timestamp": 1752013414221}

The same as CSV::

    instrument_name,bid_price,ask_price,last,mark_iv,underlying_price,volume,open_interest,creation_timestamp
    BTC-26JUN26-100000-C,0.24,0.245,0.247,45.36,116076.41,0,1.2,1752013414221

Mapping to ``schemas.CHAINS``:

========================  ==================================================================
instrument_name           instrument; COIN[_QUOTE]-DMMMYY-STRIKE-C|P gives expiry, strike
                          ('d' is a decimal point: XRP_USDC-30MAY25-2d2-C has strike 2.2)
                          and right; anything else (futures, perpetuals) -> bad_instrument
creation_timestamp        quote_time (ms since the epoch, UTC). Else a ``timestamp`` column:
                          a number (unit by size: s, ms, us or ns) or an ISO datetime (naive
                          = UTC). quote_date is the UTC date
bid_price, ask_price      bid_native, ask_native; bid, ask = native x usd_rate
last                      last = native x usd_rate
underlying_price          underlying_price; else estimated_delivery_price
mark_iv                   vendor_iv = mark_iv / 100 (Deribit quotes percent)
delta, gamma / greeks     vendor_delta, vendor_gamma (ticker records), else null
volume, open_interest     same names (contracts)
best_bid_amount, best_ask_amount
                          bid_size, ask_size (ticker records), else null
base_currency             underlying (else the coin of instrument_name)
========================  ==================================================================

Currency: an option is *inverse* (quoted in the coin) when quote_currency equals the base
coin; without a quote_currency field, when the instrument name has no ``_QUOTE`` part and
the coin is BTC or ETH. Inverse prices are converted with usd_rate = underlying_price
(fallback estimated_delivery_price; neither -> missing_field); inverse=True,
native_currency=coin. Linear options (quote USDC, USDT or USD, e.g. ``SOL_USDC-...``) are
taken 1:1 as USD; inverse=False, native_currency=the quote currency. A quote_currency
that contradicts the instrument name, or an unknown one, is bad_instrument.

Conventions: a null bid (no bids) is bid 0; a null ask (no offers) is quarantined as
zero_ask, like an ask of 0 (no offer, no usable quote). Options expire at 08:00 UTC on
the expiry date: a quote at or after that instant is expiry_before_quote. ``mark_price``
and the other Deribit fields are ignored. rows_in counts records; source_line is the
1-based physical line for CSV and the 1-based record number for JSON. An empty list
reads as 0 rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Iterator

from jaxmm.io.chain_rows import (UTC, ChainSink, RowError, check_bid_ask, count, csv_fields,
                                 csv_header, fit_fields, number, price, split_lines,
                                 strike_value)
from jaxmm.io.common import read_text
from jaxmm.io.errors import InputFileError, Reason

REQUIRED = ("instrument_name", "bid_price", "ask_price")
TIMESTAMPS = ("creation_timestamp", "timestamp")  # one of them is required
OPTIONAL = ("last", "mark_price", "mark_iv", "underlying_price", "estimated_delivery_price",
            "volume", "open_interest", "base_currency", "quote_currency", "delta", "gamma",
            "best_bid_amount", "best_ask_amount") + TIMESTAMPS
INVERSE_COINS = ("BTC", "ETH")
LINEAR_QUOTES = ("USDC", "USDT", "USD")
EXPIRY_TIME = dt.time(8, 0)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

_NAME = re.compile(r"^(?P<coin>[A-Z0-9]+)(?:_(?P<quote>[A-Z0-9]+))?-(?P<day>\d{1,2})"
                   r"(?P<mon>[A-Z]{3})(?P<yy>\d{2})-(?P<strike>\d+(?:[D.]\d+)?)-(?P<right>[A-Z]+)$")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}


# --------------------------------------------------------------------------- records

def _csv_records(path, lines: list[str]) -> Iterator[tuple[int, dict | RowError, str]]:
    header_no, header_line, header, cols, numbered = csv_header(
        path, lines, REQUIRED, OPTIONAL, "Deribit", "a Deribit CSV header line")
    if not any(t in cols for t in TIMESTAMPS):
        raise InputFileError(path, "a Deribit header with column 'creation_timestamp' or 'timestamp'",
                             line=header_no, column="creation_timestamp", found=header_line[:200])
    for line_no, line in numbered:
        try:
            fields = fit_fields(csv_fields(line), len(header))
        except RowError as err:
            yield line_no, err, line
            continue
        yield line_no, {name: fields[i] for name, i in cols.items()}, line


def _json_records(path, text: str) -> Iterator[tuple[int, dict | RowError, str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(path, "valid JSON", line=exc.lineno, column=f"char {exc.colno}",
                             found=exc.msg) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of > 4300 digits
        raise InputFileError(path, "valid JSON", line=1, found=str(exc)[:120]) from None
    if isinstance(data, dict) and "result" in data:
        data = data["result"]
    if not isinstance(data, list):
        found = str(data.get("error"))[:120] if isinstance(data, dict) and "error" in data else type(data).__name__
        raise InputFileError(path, 'a JSON list of book summaries or {"result": [...]}', line=1, found=found)
    keys = {str(k).strip().lower() for rec in data if isinstance(rec, dict) for k in rec}
    if data:
        for name in REQUIRED:
            if name not in keys:
                raise InputFileError(path, f"Deribit records with field {name!r}", line=1, column=name)
        if not keys & set(TIMESTAMPS):
            raise InputFileError(path, "Deribit records with 'creation_timestamp' or 'timestamp'",
                                 line=1, column="creation_timestamp")
    for n, rec in enumerate(data, start=1):
        raw = _dump(rec)
        if not isinstance(rec, dict):
            yield n, RowError(Reason.WRONG_FIELD_COUNT,
                              f"record is a JSON {type(rec).__name__}, expected an object"), raw
            continue
        yield n, {str(k).strip().lower(): v for k, v in rec.items()}, raw


def _dump(rec) -> str:
    try:
        return json.dumps(rec, separators=(",", ":"))[:500]
    except (TypeError, ValueError, RecursionError):
        return repr(rec)[:500]


# --------------------------------------------------------------------------- one record

def _text(rec: dict, key: str) -> str | None:
    v = rec.get(key)
    if v is None:
        return None
    s = (v if isinstance(v, str) else str(v)).strip()
    return s or None


def _instrument(name: str | None):
    """(coin, quote from the name or None, expiry, strike, right) from an option name."""
    if name is None:
        raise RowError(Reason.MISSING_FIELD, "instrument_name is empty")
    m = _NAME.match(name.upper())
    if m is None:
        raise RowError(Reason.BAD_INSTRUMENT,
                       f"instrument_name={name[:40]!r}: expected COIN[_QUOTE]-DMMMYY-STRIKE-C|P")
    if m["right"] not in ("C", "P"):
        raise RowError(Reason.BAD_RIGHT, f"instrument_name={name[:40]!r}: right {m['right']!r} is not C or P")
    try:
        expiry = dt.date(2000 + int(m["yy"]), _MONTHS[m["mon"]], int(m["day"]))
    except (KeyError, ValueError):
        raise RowError(Reason.BAD_DATE, f"instrument_name={name[:40]!r}: expiry does not parse") from None
    strike = strike_value(m["strike"].replace("D", "."), "strike (instrument_name)")
    return m["coin"], m["quote"], expiry, strike, m["right"]


def _from_epoch(value: float, unit_us: float, field: str, raw) -> dt.datetime:
    try:
        return EPOCH + dt.timedelta(microseconds=round(value * unit_us))
    except (OverflowError, ValueError):
        raise RowError(Reason.BAD_DATE, f"{field}={raw!r} out of range") from None


def _quote_time(rec: dict) -> dt.datetime:
    """creation_timestamp (ms), else timestamp (epoch in s/ms/us/ns by size, or ISO)."""
    for key in TIMESTAMPS:
        raw = rec.get(key)
        try:
            value = number(raw, key)
        except RowError:
            if key == "creation_timestamp":
                raise RowError(Reason.BAD_DATE, f"{key}={str(raw)[:40]!r}: expected ms since epoch") from None
            return _iso_utc(raw, key)
        if value is None:
            continue  # empty / "NA": try the next column
        if key == "creation_timestamp":
            unit_us = 1e3
        else:  # seconds ~1.7e9, ms ~1.7e12, us ~1.7e15, ns ~1.7e18 (years 2001-2286)
            size = abs(value)
            unit_us = 1e-3 if size >= 1e17 else 1.0 if size >= 1e14 else 1e3 if size >= 1e11 else 1e6
        return _from_epoch(value, unit_us, key, raw)
    raise RowError(Reason.MISSING_FIELD, "creation_timestamp and timestamp are empty")


def _iso_utc(raw, key: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(raw).strip())
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise RowError(Reason.BAD_DATE, f"{key}={str(raw)[:40]!r}: expected epoch or ISO datetime") from None


def _currencies(rec: dict, coin: str, name_quote: str | None) -> tuple[str, bool]:
    """(native currency, inverse?)."""
    base = (_text(rec, "base_currency") or coin).upper()
    if base != coin:
        raise RowError(Reason.BAD_INSTRUMENT, f"base_currency {base!r} != instrument coin {coin!r}")
    field_quote = (_text(rec, "quote_currency") or "").upper() or None
    if field_quote and name_quote and field_quote != name_quote:
        raise RowError(Reason.BAD_INSTRUMENT, f"quote_currency {field_quote!r} != instrument's {name_quote!r}")
    if field_quote and not name_quote and field_quote != coin:
        # Deribit names its linear options COIN_QUOTE-...; an unsuffixed name is inverse.
        raise RowError(Reason.BAD_INSTRUMENT, f"quote_currency {field_quote!r} but instrument name "
                       f"has no _{field_quote} part (inverse options quote in {coin})")
    quote = field_quote or name_quote or (coin if coin in INVERSE_COINS else None)
    if quote == coin:
        return coin, True
    if quote in LINEAR_QUOTES:
        return quote, False
    raise RowError(Reason.BAD_INSTRUMENT, f"quote currency {quote!r} of {coin} options not supported "
                   f"(expected {coin} or one of {', '.join(LINEAR_QUOTES)})")


def _positive(rec: dict, key: str) -> float | None:
    v = number(rec.get(key), key)
    if v is not None and v <= 0:
        raise RowError(Reason.NONPOSITIVE_PRICE, f"{key}={v:g} <= 0")
    return v


def _greek(rec: dict, key: str) -> float | None:
    greeks = rec.get("greeks")
    value = rec.get(key)
    if value is None and isinstance(greeks, dict):
        value = greeks.get(key)
    return number(value, key)


def _row(rec: dict) -> dict:
    name = _text(rec, "instrument_name")
    coin, name_quote, expiry, strike, right = _instrument(name)
    quote_time = _quote_time(rec)
    if quote_time >= dt.datetime.combine(expiry, EXPIRY_TIME, UTC):
        raise RowError(Reason.EXPIRY_BEFORE_QUOTE,
                       f"expiry {expiry} 08:00 UTC <= quote_time {quote_time:%Y-%m-%d %H:%M}")
    native, inverse = _currencies(rec, coin, name_quote)
    bid_n = price(rec.get("bid_price"), "bid_price")
    ask_n = price(rec.get("ask_price"), "ask_price")
    if ask_n is None:
        raise RowError(Reason.ZERO_ASK, "ask_price is null (no offer)")
    bid_n = 0.0 if bid_n is None else bid_n  # null bid = no bids
    check_bid_ask(bid_n, ask_n)
    last_n = price(rec.get("last"), "last")
    und = _positive(rec, "underlying_price")
    edp = _positive(rec, "estimated_delivery_price")
    und = und if und is not None else edp
    if inverse and und is None:
        raise RowError(Reason.MISSING_FIELD, f"underlying_price and estimated_delivery_price empty: "
                       f"cannot convert {coin} prices to USD")
    rate = und if inverse else 1.0
    iv = number(rec.get("mark_iv"), "mark_iv")
    return {
        "underlying": coin, "quote_time": quote_time, "quote_date": quote_time.date(),
        "expiry": expiry, "strike": strike, "right": right,
        "bid": bid_n * rate, "ask": ask_n * rate,
        "last": None if last_n is None else last_n * rate,
        "volume": count(rec.get("volume"), "volume"),
        "open_interest": count(rec.get("open_interest"), "open_interest"),
        "bid_size": count(rec.get("best_bid_amount"), "best_bid_amount"),
        "ask_size": count(rec.get("best_ask_amount"), "best_ask_amount"),
        "underlying_price": und, "underlying_bid": None, "underlying_ask": None,
        "vendor_iv": None if iv is None else iv / 100.0,
        "vendor_delta": _greek(rec, "delta"), "vendor_gamma": _greek(rec, "gamma"),
        "inverse": inverse, "native_currency": native,
        "bid_native": bid_n, "ask_native": ask_n, "instrument": name,
    }


def read_file(path: str | Path, sink: ChainSink, tz: dt.tzinfo) -> None:
    """Read one Deribit CSV or JSON file into ``sink``. ``tz`` is unused (Deribit is UTC)."""
    text = read_text(path)
    stripped = text.lstrip()
    is_json = Path(path).suffix.lower() == ".json" or stripped[:1] in ("[", "{")
    records = _json_records(path, text) if is_json else _csv_records(path, split_lines(text))
    for line_no, rec, raw in records:
        sink.take(1)
        try:
            if isinstance(rec, RowError):
                raise rec
            row = _row(rec)
        except RowError as err:
            sink.reject(line_no, err.reason, err.detail, raw)
            continue
        sink.keep(row, line_no, raw)
