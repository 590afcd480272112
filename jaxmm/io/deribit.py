"""Reader for Deribit option dumps: ``public/get_book_summary_by_currency`` records and
``public/ticker`` results.

Input: a CSV file with Deribit's field names as header (nested ticker fields flattened as
``greeks.delta`` / ``greeks_delta``, ``stats.volume`` / ``stats_volume``), or a JSON file
holding a record, a list of records, a JSON-RPC envelope ``{"jsonrpc": "2.0", "result":
<record or list>}``, a list of envelopes, or one envelope per line (JSON lines). A book
summary record::

    {"instrument_name": "BTC-26JUN26-100000-C", "bid_price": 0.24, "ask_price": 0.245,
     "mid_price": 0.2425, "mark_price": 0.2423, "last": 0.247, "mark_iv": 45.36,
     "underlying_price": 116076.41, "estimated_delivery_price": 108887.0, "interest_rate": 0,
     "volume": 0, "open_interest": 1.2, "base_currency": "BTC", "quote_currency": "BTC",
     "creation_timestamp": 1752013414221}

A ticker result::

    {"instrument_name": "BTC-26JUN26-100000-C", "timestamp": 1752013414221, "state": "open",
     "best_bid_price": 0.24, "best_ask_price": 0.245, "best_bid_amount": 12.5,
     "best_ask_amount": 3.1, "mark_price": 0.2423, "mark_iv": 45.36, "bid_iv": 44.9,
     "ask_iv": 45.8, "last_price": 0.247, "underlying_price": 116076.41,
     "underlying_index": "BTC-26JUN26", "index_price": 108887.0, "open_interest": 1.2,
     "greeks": {"delta": 0.61, "gamma": 1e-05, "vega": 412.3, "theta": -31.2, "rho": 480.1},
     "stats": {"volume": 4.2, "price_change": 1.3, "low": 0.23, "high": 0.25}}

Mapping to ``schemas.CHAINS`` (where two names are given, the first non-empty one wins):

================================  ==========================================================
instrument_name                   instrument; COIN[_QUOTE]-DMMMYY-STRIKE-C|P gives expiry,
                                  strike ('d' is a decimal point: XRP_USDC-30MAY25-2d2-C has
                                  strike 2.2) and right; anything else (futures, perpetuals)
                                  -> bad_instrument. root = COIN[_QUOTE] (BTC, BTC_USDC): an
                                  inverse and a linear option on one coin are two contracts
creation_timestamp | timestamp    quote_time: ms since the epoch, UTC (``timestamp``: a
                                  number, unit by size: s, ms, us or ns; or an ISO datetime,
                                  naive = UTC). quote_date is the UTC date
bid_price | best_bid_price        bid_native; bid = native x usd_rate
ask_price | best_ask_price        ask_native; ask = native x usd_rate
last | last_price                 last = native x usd_rate
underlying_price                  underlying_price; else estimated_delivery_price, else
                                  index_price
mark_iv                           vendor_iv = mark_iv / 100 (Deribit quotes IVs in percent)
greeks.delta, greeks.gamma        vendor_delta, vendor_gamma (also plain delta, gamma)
volume | stats.volume             volume; open_interest: open_interest
best_bid_amount, best_ask_amount  bid_size, ask_size
base_currency                     underlying (else the coin of instrument_name)
================================  ==========================================================

Ignored: mid_price, mark_price, bid_iv, ask_iv, interest_rate, underlying_index, state,
the other greeks and stats, and any other field.

Currency: an option is *inverse* (quoted in the coin) when quote_currency equals the base
coin; without a quote_currency field, when the instrument name has no ``_QUOTE`` part and
the coin is BTC or ETH. Inverse prices are converted with usd_rate = underlying_price
(fallbacks above; none -> missing_field); inverse=True, native_currency=coin. Linear
options (quote USDC, USDT or USD, e.g. ``SOL_USDC-...``) are taken 1:1 as USD;
inverse=False, native_currency=the quote currency. A quote_currency that contradicts the
instrument name, or an unknown one, is bad_instrument.

Conventions: a null bid (no bids) is bid 0; a null ask (no offers) is quarantined as
zero_ask, like an ask of 0 (no offer, no usable quote). Options expire at 08:00 UTC on
the expiry date: a quote at or after that instant is expiry_before_quote. Counts are
amounts in contracts and may be fractional (no thousands grouping is read). rows_in counts
records; source_line is the 1-based physical line for CSV and JSON lines, the 1-based
record number for other JSON. An empty list reads as 0 rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Iterator

from jaxmm.io.chain_rows import (UTC, ChainSink, RowError, SourceOptions, check_bid_ask, count,
                                 csv_fields, csv_header, fit_fields, number, price, split_lines,
                                 strike_value)
from jaxmm.io.common import read_text
from jaxmm.io.errors import InputFileError, Reason

# Canonical field -> Deribit names, first non-empty wins (book summary name first, ticker next).
FIELDS = {
    "bid": ("bid_price", "best_bid_price"),
    "ask": ("ask_price", "best_ask_price"),
    "time": ("creation_timestamp", "timestamp"),
    "last": ("last", "last_price"),
    "volume": ("volume", "stats.volume", "stats_volume"),
    "delta": ("delta", "greeks.delta", "greeks_delta"),
    "gamma": ("gamma", "greeks.gamma", "greeks_gamma"),
}
REQUIRED = ("instrument_name",)
REQUIRED_ANY = ("bid", "ask", "time")  # one name of each of these FIELDS groups
OPTIONAL = tuple(n for names in FIELDS.values() for n in names) + (
    "mark_iv", "underlying_price", "estimated_delivery_price", "index_price", "open_interest",
    "base_currency", "quote_currency", "best_bid_amount", "best_ask_amount")
_NESTED = ("greeks", "stats")  # ticker sub-objects, flattened to "greeks.delta" ...
INVERSE_COINS = ("BTC", "ETH")
LINEAR_QUOTES = ("USDC", "USDT", "USD")
EXPIRY_TIME = dt.time(8, 0)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)

_NAME = re.compile(r"^(?P<coin>[A-Z0-9]+)(?:_(?P<quote>[A-Z0-9]+))?-(?P<day>\d{1,2})"
                   r"(?P<mon>[A-Z]{3})(?P<yy>\d{2})-(?P<strike>\d+(?:[D.]\d+)?)-(?P<right>[A-Z]+)$")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}


# --------------------------------------------------------------------------- records

def _missing_group(names: set[str]) -> str | None:
    """The first FIELDS group of REQUIRED_ANY with none of its names in ``names``."""
    for key in REQUIRED_ANY:
        if not names & set(FIELDS[key]):
            return key
    return None


def _csv_records(path, lines: list[str]) -> Iterator[tuple[int, dict | RowError, str]]:
    header_no, header_line, header, cols, numbered = csv_header(
        path, lines, REQUIRED, OPTIONAL, "Deribit", "a Deribit CSV header line")
    missing = _missing_group(set(cols))
    if missing is not None:
        names = FIELDS[missing]
        raise InputFileError(path, "a Deribit header with column " + " or ".join(map(repr, names)),
                             line=header_no, column=names[0], found=header_line[:200])
    for line_no, line in numbered:
        try:
            fields = fit_fields(csv_fields(line), len(header))
        except RowError as err:
            yield line_no, err, line
            continue
        yield line_no, {name: fields[i] for name, i in cols.items()}, line


def _load(path, text: str) -> tuple[object, list | None]:
    """(the JSON document, None), or (None, [(line number, document, line)]) for JSON lines."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several documents: JSON lines, one document a line
            return None, [(n, _line_document(line), line)
                          for n, line in enumerate(split_lines(text), start=1) if line.strip()]
        raise InputFileError(path, "valid JSON", line=exc.lineno, column=f"char {exc.colno}",
                             found=exc.msg) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of > 4300 digits
        raise InputFileError(path, "valid JSON", line=1, found=str(exc)[:120]) from None


def _line_document(line: str):
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return RowError(Reason.WRONG_FIELD_COUNT, "line is not a JSON document")


def _unwrap(doc):
    """The records of one JSON document: a record, a list, an envelope, a list of envelopes."""
    if isinstance(doc, dict) and "result" in doc:
        doc = doc["result"]
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list):
        out = []
        for item in doc:
            out.extend(_unwrap(item) if isinstance(item, dict) and "result" in item else [item])
        return out
    return [doc]


def _flat(rec: dict) -> dict:
    """Keys stripped and lower-cased; the ticker's greeks / stats objects flattened."""
    out = {}
    for k, v in rec.items():
        key = str(k).strip().lower()
        if key in _NESTED and isinstance(v, dict):
            out.update({f"{key}.{str(kk).strip().lower()}": vv for kk, vv in v.items()})
        else:
            out[key] = v
    return out


def _json_records(path, text: str) -> Iterator[tuple[int, dict | RowError, str]]:
    data, lines = _load(path, text)
    if lines is not None:
        numbered = [(n, rec, line) for n, doc, line in lines
                    for rec in ([doc] if isinstance(doc, RowError) else _unwrap(doc))]
    else:
        if isinstance(data, dict) and "result" not in data and "instrument_name" not in data:
            found = str(data.get("error"))[:120] if "error" in data else "an object without 'result'"
            raise InputFileError(path, 'Deribit records: a record, a list of them or {"result": ...}',
                                 line=1, found=found)
        if isinstance(data, dict) and "result" in data and not isinstance(data["result"], (dict, list)):
            raise InputFileError(path, 'a JSON-RPC "result" holding a record or a list of records',
                                 line=1, found=type(data["result"]).__name__)
        if not isinstance(data, (dict, list)):
            raise InputFileError(path, "a JSON object or list of Deribit records", line=1,
                                 found=type(data).__name__)
        numbered = [(n, rec, None) for n, rec in enumerate(_unwrap(data), start=1)]
    keys = {k for _, rec, _ in numbered if isinstance(rec, dict) for k in _flat(rec)}
    if numbered:
        if "instrument_name" not in keys:
            raise InputFileError(path, "Deribit records with field 'instrument_name'", line=1,
                                 column="instrument_name")
        missing = _missing_group(keys)
        if missing is not None:
            names = FIELDS[missing]
            raise InputFileError(path, "Deribit records with field " + " or ".join(map(repr, names)),
                                 line=1, column=names[0])
    for n, rec, line in numbered:
        if isinstance(rec, RowError):
            yield n, rec, line
        elif not isinstance(rec, dict):
            yield n, RowError(Reason.WRONG_FIELD_COUNT,
                              f"record is a JSON {type(rec).__name__}, expected an object"), _dump(rec)
        else:
            yield n, _flat(rec), _dump(rec)


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


def _get(rec: dict, key: str):
    """The first non-empty value among the names of FIELDS[key] (None when all are empty)."""
    for name in FIELDS[key]:
        v = rec.get(name)
        if v is not None and not (isinstance(v, str) and not v.strip()):
            return v
    return None


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
    for key in FIELDS["time"]:
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


def _row(rec: dict) -> dict:
    name = _text(rec, "instrument_name")
    coin, name_quote, expiry, strike, right = _instrument(name)
    quote_time = _quote_time(rec)
    if quote_time >= dt.datetime.combine(expiry, EXPIRY_TIME, UTC):
        raise RowError(Reason.EXPIRY_BEFORE_QUOTE,
                       f"expiry {expiry} 08:00 UTC <= quote_time {quote_time:%Y-%m-%d %H:%M}")
    native, inverse = _currencies(rec, coin, name_quote)
    bid_n = price(_get(rec, "bid"), "bid_price")
    ask_n = price(_get(rec, "ask"), "ask_price")
    if ask_n is None:
        raise RowError(Reason.ZERO_ASK, "ask_price is null (no offer)")
    bid_n = 0.0 if bid_n is None else bid_n  # null bid = no bids
    check_bid_ask(bid_n, ask_n)
    last_n = price(_get(rec, "last"), "last")
    und = None
    for key in ("underlying_price", "estimated_delivery_price", "index_price"):
        und = _positive(rec, key) if und is None else und
    if inverse and und is None:
        raise RowError(Reason.MISSING_FIELD, f"underlying_price, estimated_delivery_price and index_price "
                       f"empty: cannot convert {coin} prices to USD")
    rate = und if inverse else 1.0
    iv = number(rec.get("mark_iv"), "mark_iv")
    return {
        "underlying": coin, "root": name.upper().split("-", 1)[0],
        "quote_time": quote_time, "quote_date": quote_time.date(),
        "expiry": expiry, "strike": strike, "right": right,
        "bid": bid_n * rate, "ask": ask_n * rate,
        "last": None if last_n is None else last_n * rate,
        "volume": count(_get(rec, "volume"), "volume"),
        "open_interest": count(rec.get("open_interest"), "open_interest"),
        "bid_size": count(rec.get("best_bid_amount"), "best_bid_amount"),
        "ask_size": count(rec.get("best_ask_amount"), "best_ask_amount"),
        "underlying_price": und, "underlying_bid": None, "underlying_ask": None,
        "vendor_iv": None if iv is None else iv / 100.0,  # Deribit: percent
        "vendor_delta": number(_get(rec, "delta"), "delta"),
        "vendor_gamma": number(_get(rec, "gamma"), "gamma"),
        "inverse": inverse, "native_currency": native,
        "bid_native": bid_n, "ask_native": ask_n, "instrument": name,
    }


def read_file(path: str | Path, sink: ChainSink, opts: SourceOptions) -> None:
    """Read one Deribit CSV or JSON file into ``sink``. Times are UTC: ``opts`` is unused."""
    text = read_text(path)
    stripped = text.lstrip()
    is_json = Path(path).suffix.lower() in (".json", ".jsonl") or stripped[:1] in ("[", "{")
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
