"""Output schemas of the implied_vols stage (``results/implied_vols/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import IV_STATUS_LABELS, ROOT_FIELD as _ROOT, SLICE_KEY_FIELDS as _SLICE_KEYS, UTC_US, field as _f

IV_STATUS_TYPE = pa.dictionary(pa.int8(), pa.string())
IV_STATUS_DOC = ("'ok', 'below_intrinsic' (price below the discounted intrinsic value: null), 'above_maximum' "
                 "(above D F for a call, D K for a put: null), 'at_intrinsic' (vol 0), 'at_maximum' (vol inf), "
                 "'bad_input' (null), 'not_converged' (the solver's last iterate, not at full accuracy); "
                 "null: not solved (see quote_status)")
FORWARD_METHOD_DOC = ("'regression' (robust parity regression, its D trusted: rate_status 'ok'); otherwise "
                      "'<method>:<discount source>' with method 'regression_fixed_discount' (F from parity with D "
                      "fixed: Huber location of K + (C - P)/D near the money), 'few_strikes' (fewer than "
                      "parity.min_pairs pairs: median of K + (C - P)/D) or 'one_sided' (no pair: the underlying "
                      "price carried at the parity carry of the other expiries), and discount source "
                      "'smoothed_curve' (a rate curve through the snapshot's trusted regression rates) or "
                      "'rate_curve' (the configured implied_vols.rates); 'failed' (no usable forward: null)")
RATE_STATUS_DOC = ("'ok' (trusted), 'rate_unstable' (regression_rate_se above parity.max_rate_se, or t <= 0), "
                   "'rate_outside_band' (regression_rate outside parity.rate_band), 'discount_not_monotone' (D above "
                   "an earlier expiry's beyond parity.monotone_z standard errors), 'few_pairs' (fewer than "
                   "parity.min_pairs call/put pairs), 'no_pairs', 'fit_failed' (D <= 0, D > parity.max_discount "
                   "or F <= 0)")

IV_FORWARDS = pa.schema(_SLICE_KEYS + [
    _f("quote_time", UTC_US, "latest as-of time of the slice's quotes (UTC, chains.parquet quote_time); t runs from it", False),
    _f("settlement_time", UTC_US, "the expiry's settlement time for this root (UTC, chains.parquet); t runs to it", False),
    _f("t", pa.float64(), "years to the expiry's settlement (implied_vols.day_count)", False),
    _f("underlying_price", pa.float64(), "median underlying price of the slice's quotes, USD (null: not reported)"),
    _f("forward", pa.float64(), "implied forward F, USD (null when forward_method is 'failed')"),
    _f("discount", pa.float64(), "implied discount factor D to expiry (null when 'failed')"),
    _f("rate", pa.float64(), "zero rate -ln(D)/t of the discount factor used, continuously compounded, per year"),
    _f("regression_rate", pa.float64(), "zero rate of the slice's own parity regression, kept whether used or not "
       "(null: no regression)"),
    _f("regression_rate_se", pa.float64(), "standard error of regression_rate: se(D) / (D t), se(D) from the "
       "weighted regression with each pair's error at least its combined spread / sqrt(12)"),
    _f("rate_status", pa.string(), "why the regression's D was or was not used: " + RATE_STATUS_DOC, False),
    _f("forward_se", pa.float64(), "standard error of the forward from its parity fit, USD (null: median or "
       "one-sided)"),
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
    _ROOT,
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
    _f("bid_iv_status", IV_STATUS_TYPE, "solver status of bid_iv: " + IV_STATUS_DOC),
    _f("mid_iv_status", IV_STATUS_TYPE, "solver status of mid_iv, labels as bid_iv_status"),
    _f("ask_iv_status", IV_STATUS_TYPE, "solver status of ask_iv, labels as bid_iv_status"),
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
    _f("group", pa.string(), "'quotes' (rows, two_sided, two_sided_solved, pct_two_sided_solved), 'quote_status', '{bid,mid,ask}_iv_status' (status labels, not_solved), 'forward_method' and 'rate_status' (expiries), 'parity_scan' (hits)", False),
    _f("name", pa.string(), "what is counted", False),
    _f("value", pa.float64(), "count (percent for pct_two_sided_solved)", False),
])
