"""Canonical pyarrow schemas of the ingest stage's parquet tables.

Each field's metadata holds its description and unit; the README's outputs table is
checked against these (tests/test_docs.py), so the two cannot drift apart.
"""

from __future__ import annotations

import pyarrow as pa


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


UTC_US = pa.timestamp("us", tz="UTC")

CHAINS = pa.schema([
    _f("source", pa.string(), "name of the chain source in config.yaml (ingest.chains[].name)", False),
    _f("underlying", pa.string(), "underlying symbol or description, as the vendor gives it", False),
    _f("quote_time", UTC_US, "time of the snapshot (UTC)", False),
    _f("quote_date", pa.date32(), "trading date of the snapshot, in the exchange's time zone", False),
    _f("expiry", pa.date32(), "option expiry date", False),
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
    _f("business_days_to_expiry", pa.int32(), "business days (Mon-Fri) from date to expiry (null for a wide curve)"),
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
    """(name, type, description) per field, for the README and the report."""
    return [(f.name, str(f.type), f.metadata[b"doc"].decode()) for f in schema]


TABLES = {  # README outputs: path -> schema
    "results/ingest/chains.parquet": CHAINS,
    "results/ingest/futures_contracts.parquet": FUTURES_CONTRACTS,
    "results/ingest/futures_tenors.parquet": FUTURES_TENORS,
    "results/ingest/daily.parquet": DAILY,
    "results/ingest/{chains,futures,daily}_quarantine.parquet": QUARANTINE,
    "results/ingest/{chains,futures,daily}_summary.parquet": SUMMARY,
}


def markdown_tables() -> str:
    """The README's per-table column reference, generated from the schemas above."""
    parts = []
    for path, schema in TABLES.items():
        rows = "\n".join(f"| `{name}` | {type_} | {text} |" for name, type_, text in doc(schema))
        parts.append(f"#### `{path}`\n\n| column | type | meaning, unit |\n|---|---|---|\n{rows}")
    return "\n\n".join(parts)
