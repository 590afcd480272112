"""Canonical pyarrow schemas of the stages' parquet tables (ingest, implied vols).

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

# --------------------------------------------------------------------------- implied vols

# The codes of jaxmm.iv.IVStatus (tests/test_stage_implied_vols.py keeps them equal);
# written out here because this module must not import JAX.
IV_STATUS_DOC = ("0 OK, 1 BELOW_INTRINSIC, 2 ABOVE_MAXIMUM, 3 AT_INTRINSIC (vol 0), 4 AT_MAXIMUM (vol inf), "
                 "5 BAD_INPUT, 6 NOT_CONVERGED; null: not solved (see quote_status)")
FORWARD_METHOD_DOC = ("'regression' (robust parity regression), 'few_strikes' (too few call/put pairs: median of "
                      "K + (C - P)/D with D from the interpolated discount curve), 'one_sided' (no pair: underlying "
                      "price carried at the interpolated carry), 'failed' (no usable forward: null)")
_SLICE_KEYS = [
    _f("source", pa.string(), "chain source name in config.yaml", False),
    _f("underlying", pa.string(), "underlying, as in chains.parquet", False),
    _f("quote_date", pa.date32(), "trading date of the snapshot", False),
    _f("expiry", pa.date32(), "option expiry date", False),
]

IV_FORWARDS = pa.schema(_SLICE_KEYS + [
    _f("quote_time", UTC_US, "latest quote time of the slice (UTC); t runs from it", False),
    _f("t", pa.float64(), "years to the expiry's settlement (implied_vols.day_count)", False),
    _f("underlying_price", pa.float64(), "median underlying price of the slice's quotes, USD (null: not reported)"),
    _f("forward", pa.float64(), "implied forward F, USD (null when forward_method is 'failed')"),
    _f("discount", pa.float64(), "implied discount factor D to expiry (null when 'failed')"),
    _f("rate", pa.float64(), "zero rate -ln(D)/t, continuously compounded, per year"),
    _f("n_quotes", pa.int64(), "quotes of the slice in chains.parquet", False),
    _f("n_pairs", pa.int64(), "call/put pairs the estimate used (regression: those near the money)", False),
    _f("n_downweighted", pa.int64(), "of those, pairs down-weighted by the Huber regression (outliers)", False),
    _f("residual_std", pa.float64(), "sd of C - P mids about the fitted parity line, USD (null unless regression)"),
    _f("forward_method", pa.string(), "how F and D were found: " + FORWARD_METHOD_DOC, False),
    _f("atm_iv", pa.float64(), "mid implied vol at ln(K/F) = 0, linear between the nearest out-of-the-money quotes (null: not bracketed)"),
])

IV_QUOTES = pa.schema([
    _f("source", pa.string(), "chain source name in config.yaml", False),
    _f("underlying", pa.string(), "underlying, as in chains.parquet", False),
    _f("quote_time", UTC_US, "time of the snapshot (UTC)", False),
    _f("quote_date", pa.date32(), "trading date of the snapshot", False),
    _f("expiry", pa.date32(), "option expiry date", False),
    _f("strike", pa.float64(), "strike, USD", False),
    _f("right", pa.string(), "'C' call or 'P' put", False),
    _f("bid", pa.float64(), "bid, USD (0 = no bid)", False),
    _f("ask", pa.float64(), "ask, USD", False),
    _f("mid", pa.float64(), "(bid + ask) / 2, USD", False),
    _f("source_file", pa.string(), "input file the quote came from", False),
    _f("source_line", pa.int64(), "1-based line (or record) number in source_file", False),
    _f("t", pa.float64(), "years to expiry (the slice's, see forwards.parquet)", False),
    _f("forward", pa.float64(), "the slice's implied forward F, USD"),
    _f("discount", pa.float64(), "the slice's implied discount factor D"),
    _f("forward_method", pa.string(), "the slice's forward_method (see forwards.parquet)", False),
    _f("log_moneyness", pa.float64(), "k = ln(K / F)"),
    _f("otm", pa.bool_(), "out of the money, the fair smile's side: puts for K < F, calls for K >= F", False),
    _f("bid_iv", pa.float64(), "Black-76 implied vol of the bid, annualised decimal (null: see bid_iv_status)"),
    _f("mid_iv", pa.float64(), "implied vol of the mid (null: see mid_iv_status, quote_status)"),
    _f("ask_iv", pa.float64(), "implied vol of the ask (null: see ask_iv_status)"),
    _f("bid_iv_status", pa.int8(), "solver status of bid_iv: " + IV_STATUS_DOC),
    _f("mid_iv_status", pa.int8(), "solver status of mid_iv, codes as bid_iv_status"),
    _f("ask_iv_status", pa.int8(), "solver status of ask_iv, codes as bid_iv_status"),
    _f("quote_status", pa.string(), "'ok' (mid_iv solved), 'no_bid' (bid 0: only ask_iv solved), 'no_forward' (the slice's forward failed), 'unsolved' (two-sided, mid_iv_status not OK)", False),
    _f("delta", pa.float64(), "Black-76 dV/dF at mid_iv (forward delta, discounted: D N(d1) for a call); null unless quote_status is 'ok'"),
    _f("gamma", pa.float64(), "d2V/dF2 at mid_iv, per USD of forward"),
    _f("vega", pa.float64(), "dV/dsigma at mid_iv, USD per unit of vol (divide by 100 for a vol point)"),
    _f("theta", pa.float64(), "-dV/dt at mid_iv with F and D fixed, USD per year (divide by 365 for a calendar day)"),
    _f("vendor_iv", pa.float64(), "vendor's implied vol, for comparison (null: not given)"),
])

PARITY_SCAN = pa.schema(_SLICE_KEYS + [
    _f("strike", pa.float64(), "strike of both options, USD", False),
    _f("t", pa.float64(), "years to expiry", False),
    _f("forward", pa.float64(), "the slice's implied forward F, USD", False),
    _f("discount", pa.float64(), "the slice's implied discount factor D", False),
    _f("forward_method", pa.string(), "the slice's forward_method", False),
    _f("strategy", pa.string(), "'conversion' (sell call at bid, buy put at ask, long forward at F) or 'reversal' (buy call at ask, sell put at bid, short forward at F)", False),
    _f("call_side", pa.string(), "'sell' or 'buy'", False),
    _f("call_price", pa.float64(), "price the call trades at (its bid when sold, ask when bought), USD", False),
    _f("put_side", pa.string(), "'buy' or 'sell'", False),
    _f("put_price", pa.float64(), "price the put trades at, USD", False),
    _f("forward_side", pa.string(), "'long' or 'short' one forward at F", False),
    _f("edge", pa.float64(), "present value of the locked-in payoff, USD per unit underlying: conversion (C_bid - P_ask) - D (F - K), reversal D (F - K) - (C_ask - P_bid)", False),
    _f("edge_bp", pa.float64(), "edge / (D F), basis points", False),
    _f("rank", pa.int64(), "1 = largest edge", False),
])

IV_SUMMARY = pa.schema([
    _f("source", pa.string(), "chain source name", False),
    _f("underlying", pa.string(), "underlying", False),
    _f("quote_date", pa.date32(), "trading date of the snapshot", False),
    _f("group", pa.string(), "'quotes' (rows, two_sided, two_sided_solved, pct_two_sided_solved), 'quote_status', '{bid,mid,ask}_iv_status' (IVStatus names, not_solved), 'forward_method' (expiries), 'parity_scan' (hits)", False),
    _f("name", pa.string(), "what is counted", False),
    _f("value", pa.float64(), "count (percent for pct_two_sided_solved)", False),
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
    "results/implied_vols/forwards.parquet": IV_FORWARDS,
    "results/implied_vols/quotes.parquet": IV_QUOTES,
    "results/implied_vols/parity_scan.parquet": PARITY_SCAN,
    "results/implied_vols/summary.parquet": IV_SUMMARY,
}


def markdown_tables() -> str:
    """The README's per-table column reference, generated from the schemas above."""
    parts = []
    for path, schema in TABLES.items():
        rows = "\n".join(f"| `{name}` | {type_} | {text} |" for name, type_, text in doc(schema))
        parts.append(f"#### `{path}`\n\n| column | type | meaning, unit |\n|---|---|---|\n{rows}")
    return "\n\n".join(parts)
