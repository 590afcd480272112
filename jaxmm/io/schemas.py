"""Canonical pyarrow schemas of the readers' tables: the ingest stage's outputs and the
input contract of every later stage (the other stages' schemas live beside them, e.g.
:mod:`jaxmm.stages.surfaces.schema`).

Each field's metadata holds its description and unit; docs/outputs.md's tables are
checked against these (tests/test_docs.py), so the two cannot drift apart.
"""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import UTC_US, field as _f

CHAINS = pa.schema([
    _f("source", pa.string(), "name of the chain source in config.yaml (ingest.chains[].name)", False),
    _f("underlying", pa.string(), "underlying symbol or description, as the vendor gives it", False),
    _f("root", pa.string(), "option root / series (SPX, SPXW, NDXP, AMD1, BTC, BTC_USDC ...): from the option symbol, else the source's configured root, else the underlying", False),
    _f("quote_time", UTC_US, "as-of time of the quote (UTC), from which t runs: the download time if inside the "
       "session, else the close of the last session at or before it (see snapshot)", False),
    _f("download_time", UTC_US, "time the file was taken (UTC), as printed in or given by it", False),
    _f("snapshot", pa.string(), "'in_session' (as-of = download time), 'after_close', 'before_open', 'closed_day' "
       "(weekend, holiday, special closure): as-of = the last session's close; 'continuous' (24/7 venue, no "
       "calendar: as-of = download time)", False),
    _f("quote_date", pa.date32(), "date of the as-of session, in the exchange's time zone (no calendar: the "
       "download date in the settlement time zone)", False),
    _f("expiry", pa.date32(), "option expiry date", False),
    _f("settlement_time", UTC_US, "when the expiry settles (UTC), by venue and root (see settlement)", False),
    _f("settlement", pa.string(), "'AM' (the session's open on the expiry date: 09:30 New York, SPX monthlies, "
       "NDX, RUT, VIX ...), 'PM' (its close: 16:00 New York, the early close on early-close days) or 'fixed' (a "
       "configured HH:MM, e.g. Deribit 08:00 UTC)", False),
    _f("expiry_flag", pa.string(), "'ok' or 'expiry_not_a_session' (the expiry date is not a trading day of the "
       "calendar: AM/PM settle at the last session before it)", False),
    _f("calendar", pa.string(), "exchange_calendars code of the source's calendar (e.g. XNYS; null: 24/7 venue)"),
    _f("strike", pa.float64(), "strike, in the price currency (USD)", False),
    _f("right", pa.string(), "'C' call or 'P' put", False),
    _f("bid", pa.float64(), "bid price in USD (0 = no bid)", False),
    _f("ask", pa.float64(), "ask price in USD", False),
    _f("last", pa.float64(), "last trade price in USD (null: none reported)"),
    _f("volume", pa.float64(), "contracts traded in the session (null: not reported)"),
    _f("open_interest", pa.float64(), "open interest in contracts (null: not reported)"),
    _f("bid_size", pa.float64(), "contracts at the bid (null: not reported)"),
    _f("ask_size", pa.float64(), "contracts at the ask (null: not reported)"),
    _f("underlying_price", pa.float64(), "underlying price in USD at the snapshot (CBOE: last; Deribit: underlying_price)"),
    _f("underlying_bid", pa.float64(), "underlying bid in USD (null: not reported)"),
    _f("underlying_ask", pa.float64(), "underlying ask in USD (null: not reported)"),
    _f("vendor_iv", pa.float64(), "vendor's implied vol, annualised decimal; kept for comparison, never used"),
    _f("vendor_delta", pa.float64(), "vendor's delta; kept for comparison, never used"),
    _f("vendor_gamma", pa.float64(), "vendor's gamma; kept for comparison, never used"),
    _f("inverse", pa.bool_(), "true when the vendor quotes in the underlying coin (Deribit): bid/ask/last converted to USD", False),
    _f("native_currency", pa.string(), "currency of the vendor's quote ('USD', 'BTC', 'ETH', ...)", False),
    _f("bid_native", pa.float64(), "bid in native_currency"),
    _f("ask_native", pa.float64(), "ask in native_currency"),
    _f("instrument", pa.string(), "vendor instrument symbol (null: not given)"),
    _f("source_file", pa.string(), "input file the row came from", False),
    _f("source_line", pa.int64(), "1-based line (or record) number in source_file", False),
])

# The columns jaxmm.io.conventions.apply adds; the readers write the others (CHAINS_READ),
# with the download time in quote_time.
CONVENTION_COLUMNS = ("download_time", "snapshot", "settlement_time", "settlement", "expiry_flag", "calendar")
CHAINS_READ = pa.schema([
    _f("quote_time", UTC_US, "time the file was taken (UTC): the download time", False) if f.name == "quote_time" else f
    for f in CHAINS if f.name not in CONVENTION_COLUMNS])

QUARANTINE = pa.schema([
    _f("dataset", pa.string(), "'chains', 'futures' or 'daily'", False),
    _f("source_file", pa.string(), "input file", False),
    _f("line", pa.int64(), "1-based line (or record) number in source_file", False),
    _f("reason", pa.string(), "reason code (jaxmm.io.errors.Reason)", False),
    _f("detail", pa.string(), "which field and value", False),
    _f("raw", pa.string(), "the raw record, truncated to 500 characters", False),
])

FUTURES_CONTRACTS = pa.schema([
    _f("source", pa.string(), "name of the futures source in config.yaml", False),
    _f("date", pa.date32(), "settlement date", False),
    _f("contract", pa.string(), "contract code (e.g. CLZ25)", False),
    _f("expiry", pa.date32(), "last trading day of the contract", False),
    _f("settle", pa.float64(), "settlement price", False),
    _f("volume", pa.float64(), "contracts traded (null: not reported)"),
    _f("open_interest", pa.float64(), "open interest (null: not reported)"),
    _f("source_file", pa.string(), "input file the row came from", False),
    _f("source_line", pa.int64(), "1-based line number in source_file", False),
])

FUTURES_TENORS = pa.schema([
    _f("source", pa.string(), "name of the futures source in config.yaml", False),
    _f("date", pa.date32(), "settlement date", False),
    _f("tenor", pa.int32(), "constant-index tenor n of Mn (1 = front)", False),
    _f("contract", pa.string(), "contract occupying the tenor on this date (null for a wide constant-tenor curve)"),
    _f("expiry", pa.date32(), "that contract's expiry (null for a wide curve)"),
    _f("settle", pa.float64(), "settlement price", False),
    _f("log_return", pa.float64(), "log(settle / previous settle of the same contract); null on the first day of a contract in the tenor's history, never across two contracts"),
    _f("rolled", pa.bool_(), "true on the first date a new contract occupies the tenor", False),
    _f("business_days_to_expiry", pa.int32(), "exchange sessions in (date, expiry] of the source's calendar "
       "(ingest.futures.sources[].calendar; Mon-Fri days when null); null for a wide curve"),
])

DAILY = pa.schema([
    _f("source", pa.string(), "name of the daily source in config.yaml", False),
    _f("date", pa.date32(), "observation date", False),
    _f("field", pa.string(), "column name in the source (e.g. close, vix, nav)", False),
    _f("value", pa.float64(), "observation", False),
    _f("source_file", pa.string(), "input file", False),
    _f("source_line", pa.int64(), "1-based line number in source_file", False),
])

SUMMARY = pa.schema([
    _f("dataset", pa.string(), "'chains', 'futures' or 'daily'", False),
    _f("source", pa.string(), "source name in config.yaml", False),
    _f("source_file", pa.string(), "input file", False),
    _f("rows_in", pa.int64(), "records read (a CBOE line counts 2: call and put)", False),
    _f("kept", pa.int64(), "records in the canonical table", False),
    _f("quarantined", pa.int64(), "records in the quarantine table", False),
])


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def doc(schema: pa.Schema) -> list[tuple[str, str, str]]:
    """(name, type, description) per field, for docs/outputs.md and the report."""
    return [(f.name, str(f.type), f.metadata[b"doc"].decode()) for f in schema]
