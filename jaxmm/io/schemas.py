"""Canonical pyarrow schemas of the stages' parquet tables (ingest to market making).

Each field's metadata holds its description and unit; docs/outputs.md's tables are
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

# --------------------------------------------------------------------------- implied vols

# The names of jaxmm.pricing.iv.IVStatus in lower case, indexed by its code (tests/test_stage_implied_vols.py
# keeps them equal); written out here because this module must not import JAX.
IV_STATUS_LABELS = ("ok", "below_intrinsic", "above_maximum", "at_intrinsic", "at_maximum", "bad_input",
                    "not_converged")
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
_ROOT = _f("root", pa.string(), "option root / series, as in chains.parquet (SPX, SPXW, NDXP, AMD1 ...): each "
           "root is its own slice", False)
_SLICE_KEYS = [
    _f("source", pa.string(), "chain source name in config.yaml", False),
    _f("underlying", pa.string(), "underlying, as in chains.parquet", False),
    _ROOT,
    _f("quote_date", pa.date32(), "trading date of the snapshot (the as-of session)", False),
    _f("expiry", pa.date32(), "option expiry date", False),
]
# A slice = one (source, underlying, root, quote_date, expiry): the stages group by these.
SLICE_KEYS = [f.name for f in _SLICE_KEYS]

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


# --------------------------------------------------------------------------- statistics

STAT_STATUS_DOC = ("'ok'; 'missing_price' (a tenor or series has no value on the date), 'few_obs' (fewer than "
                   "min_periods observations in the window: statistics null), 'flat_window' (zero variance in the "
                   "window: a ratio is undefined)")
_VOL_UNIT = "annualised decimal (0.25 = 25 vol points)"

STAT_HEDGE_RATIOS = pa.schema([
    _f("source", pa.string(), "futures source name in config.yaml", False),
    _f("front_tenor", pa.int32(), "front tenor n of Mn (1 = M1)", False),
    _f("back_tenor", pa.int32(), "back tenor n of Mn", False),
    _f("pair", pa.string(), "'M<front>/M<back>', e.g. 'M1/M12': the configured pairs (statistics.hedge.pairs), plus M1 against each tenor of the positions file", False),
    _f("date", pa.date32(), "settlement date (each source on its own dates)", False),
    _f("front_contract", pa.string(), "contract in the front tenor (null: wide curve or no settle)"),
    _f("back_contract", pa.string(), "contract in the back tenor"),
    _f("front_price", pa.float64(), "front tenor settle (null: no settle on the date)"),
    _f("back_price", pa.float64(), "back tenor settle"),
    _f("front_return", pa.float64(), "front log return within its contract (ingest log_return)"),
    _f("back_return", pa.float64(), "back log return within its contract"),
    _f("n_front", pa.int64(), "front returns in the trailing window", False),
    _f("n_back", pa.int64(), "back returns in the trailing window", False),
    _f("n_pairs", pa.int64(), "dates in the window with both returns (the correlation's n)", False),
    _f("front_vol", pa.float64(), "trailing realised vol of the front returns (statistics.hedge.window, annualisation), " + _VOL_UNIT),
    _f("back_vol", pa.float64(), "trailing realised vol of the back returns, " + _VOL_UNIT),
    _f("corr", pa.float64(), "rolling correlation of front and back returns"),
    _f("beta", pa.float64(), "corr x back_vol / front_vol: back return per unit front return"),
    _f("price_ratio", pa.float64(), "back_price / front_price"),
    _f("h", pa.float64(), "hedge ratio beta x price_ratio: $ move of one back contract per $1 front move (front-equivalent delta of one back contract)"),
    _f("h2", pa.float64(), "h^2: the gamma weight, back gamma in front terms = back gamma x h2"),
    _f("contracts_per_front", pa.float64(), "1/h: back contracts that delta-hedge one front contract"),
    _f("front_t", pa.float64(), "years to expiry of the front tenor's ATM option (days / days a year, statistics.hedge)", False),
    _f("back_t", pa.float64(), "years to expiry of the back tenor's ATM option", False),
    _f("front_gamma", pa.float64(), "Black-76 ATM gamma of the front tenor at front_vol (realised standing in for implied), per $1 of the front future"),
    _f("back_gamma", pa.float64(), "ATM gamma of the back tenor at back_vol, per $1 of the back future"),
    _f("back_gamma_front", pa.float64(), "back_gamma x h2: back gamma per contract in front terms"),
    _f("gamma_neutral_contracts", pa.float64(), "front_gamma / back_gamma_front: back options per front option for a gamma-neutral time spread"),
    _f("front_vega", pa.float64(), "ATM vega of the front option, USD per unit vol"),
    _f("back_vega", pa.float64(), "ATM vega of one back option, USD per unit vol"),
    _f("gamma_neutral_vega", pa.float64(), "gamma_neutral_contracts x back_vega: the vega the gamma-neutral back leg carries"),
    _f("gamma_neutral_net_vega", pa.float64(), "gamma_neutral_vega - front_vega: vega of long the back leg / short one front option"),
    _f("status", pa.string(), STAT_STATUS_DOC, False),
])

STAT_HEDGE_SUMMARY = pa.schema([
    _f("source", pa.string(), "futures source name", False),
    _f("front_tenor", pa.int32(), "front tenor n", False),
    _f("back_tenor", pa.int32(), "back tenor n", False),
    _f("pair", pa.string(), "'M<front>/M<back>'", False),
    _f("statistic", pa.string(), "a hedge_ratios column: front_vol, back_vol, corr, beta, price_ratio, h, h2, contracts_per_front, front_gamma, back_gamma, back_gamma_front, gamma_neutral_contracts, gamma_neutral_vega", False),
    _f("latest_date", pa.date32(), "latest date with status ok", False),
    _f("latest", pa.float64(), "value on latest_date"),
    _f("mean", pa.float64(), "mean over the ok dates of the summary window (statistics.hedge.summary_days calendar days ending at latest_date)"),
    _f("min", pa.float64(), "minimum over the summary window"),
    _f("max", pa.float64(), "maximum over the summary window"),
    _f("n_obs", pa.int64(), "ok dates in the summary window", False),
    _f("window_start", pa.date32(), "first ok date of the summary window", False),
])

STAT_PORTFOLIO_RISK = pa.schema([
    _f("source", pa.string(), "futures source the positions are valued on", False),
    _f("date", pa.date32(), "valuation date: the latest date with every hedge ratio the book needs (status ok)", False),
    _f("positions_file", pa.string(), "the positions file (statistics.positions.path)", False),
    _f("level", pa.string(), "'tenor' (one row per tenor of the book) or 'total'", False),
    _f("tenor", pa.int32(), "tenor n of Mn (null on the total row)"),
    _f("h", pa.float64(), "hedge ratio of the tenor against M1 (1 for M1; null on the total row)"),
    _f("h_source", pa.string(), "'front' (M1: 1), 'hedge_ratios' (latest h of M1/Mn on date), 'positions_file' (the file's h column)"),
    _f("price", pa.float64(), "the tenor's settle on date (options' default forward and ATM strike)"),
    _f("vol", pa.float64(), "the tenor's trailing realised vol on date (options' default vol), " + _VOL_UNIT),
    _f("n_positions", pa.int64(), "position rows of the tenor (total: all)", False),
    _f("delta", pa.float64(), "raw delta, sum of quantity x Black-76 delta (futures: 1), tenor contracts", False),
    _f("front_delta", pa.float64(), "front-equivalent delta h x delta, M1 contracts", False),
    _f("gamma", pa.float64(), "raw gamma, sum of quantity x gamma, per $1 of the tenor's future", False),
    _f("front_gamma", pa.float64(), "front-equivalent gamma h^2 x gamma, per $1 of M1", False),
    _f("vega", pa.float64(), "sum of quantity x vega, USD per unit vol (not rescaled by h)", False),
    _f("theta", pa.float64(), "sum of quantity x theta, USD per year (not rescaled by h)", False),
])

STAT_VOL_BETA = pa.schema([
    _f("series", pa.string(), "vol series name (statistics.vol_series[].name)", False),
    _f("date", pa.date32(), "date on which both the spot and the vol series have a value", False),
    _f("spot", pa.float64(), "spot level", False),
    _f("vol", pa.float64(), "vol index level, " + _VOL_UNIT, False),
    _f("spot_return", pa.float64(), "log return of the spot since the previous date"),
    _f("vol_change", pa.float64(), "vol change since the previous date: ln(vol_t / vol_t-1) (statistics.vol_beta.changes: log) or vol points"),
    _f("slope", pa.float64(), "rolling OLS slope of vol_change on spot_return (statistics.vol_beta.window): with log changes, the vol-path slope"),
    _f("slope_se", pa.float64(), "OLS standard error of slope"),
    _f("corr", pa.float64(), "rolling spot-vol correlation"),
    _f("n", pa.int64(), "pairs in the window", False),
    _f("status", pa.string(), STAT_STATUS_DOC, False),
])

STAT_EFFECTIVE_DELTAS = pa.schema([
    _f("source", pa.string(), "chain source name", False),
    _f("underlying", pa.string(), "underlying", False),
    _ROOT,
    _f("quote_date", pa.date32(), "trading date of the snapshot", False),
    _f("expiry", pa.date32(), "option expiry", False),
    _f("strike", pa.float64(), "strike, USD", False),
    _f("right", pa.string(), "'C' or 'P'", False),
    _f("forward", pa.float64(), "the slice's implied forward F, USD", False),
    _f("discount", pa.float64(), "the slice's discount factor D", False),
    _f("t", pa.float64(), "years to expiry", False),
    _f("log_moneyness", pa.float64(), "ln(K / F)", False),
    _f("mid_iv", pa.float64(), "mid implied vol (implied_vols quotes; only quote_status 'ok'), " + _VOL_UNIT, False),
    _f("delta", pa.float64(), "naive (sticky-strike) Black-76 delta dV/dF at mid_iv, discounted", False),
    _f("vega", pa.float64(), "dV/dsigma at mid_iv, USD per unit vol", False),
    _f("slope", pa.float64(), "vol-path slope (statistics.effective_deltas.slopes): sigma(F') = sigma (1 + slope (F'/F - 1))", False),
    _f("effective_delta", pa.float64(), "delta + vega x sigma x slope / F: the hedge ratio along the vol path (slope 0: delta)", False),
    _f("delta_change", pa.float64(), "effective_delta - delta", False),
    _f("vol_up_1pct", pa.float64(), "the option's vol after a 1% rally along the path, sigma (1 + 0.01 slope)", False),
])

STAT_EVENT_VOL = pa.schema([
    _f("name", pa.string(), "example name (statistics.event_vol.examples[].name)", False),
    _f("solved_for", pa.string(), "the unknown: term_vol, dte, p, event_vol or daily_vol", False),
    _f("term_vol", pa.float64(), "ATM implied vol of the expiry, " + _VOL_UNIT),
    _f("dte", pa.float64(), "business days to expiry"),
    _f("p", pa.float64(), "expected event days (probability of the event)"),
    _f("event_vol", pa.float64(), "annualised vol of the event day (from event_move when that was given)"),
    _f("daily_vol", pa.float64(), "annualised vol of an ordinary day"),
    _f("event_move", pa.float64(), "expected absolute move of the event day, event_vol sqrt(2/pi) / sqrt(N), fraction of the price"),
    _f("daily_move", pa.float64(), "expected absolute move of an ordinary day, fraction"),
    _f("event_move_given", pa.bool_(), "true when the example gave event_move instead of event_vol", False),
    _f("status", pa.string(), "'ok' or 'no_solution' (the inputs admit no real, feasible solution: the unknown is null)", False),
])

STAT_VOL_PREMIUM = pa.schema([
    _f("series", pa.string(), "vol series name (kind 'index') or chain source (kind 'chain_atm')", False),
    _f("kind", pa.string(), "'index' (a vol index through time) or 'chain_atm' (a chain's ATM IV per expiry)", False),
    _f("date", pa.date32(), "date (chain_atm: the quote date)", False),
    _f("expiry", pa.date32(), "option expiry (chain_atm only)"),
    _f("root", pa.string(), "option root of the slice (chain_atm only)"),
    _f("t", pa.float64(), "years to expiry (chain_atm only)"),
    _f("implied_vol", pa.float64(), "vol index / 100, or the chain's ATM vol (see iv_source), " + _VOL_UNIT),
    _f("iv_source", pa.string(), "'index' (the vol index), 'svi' (sqrt of the surfaces stage's SVI ATM variance, jw_v) or 'interpolated' (implied_vols' atm_iv: linear between the OTM mid IVs either side of k = 0; where the slice has no SVI fit, or statistics.vol_premium.atm_iv is 'interpolated')", False),
    _f("realised_vol", pa.float64(), "trailing realised vol of the spot's log returns over statistics.vol_premium.window returns ending on date (chain_atm: on the latest spot date at most 5 days before)"),
    _f("premium", pa.float64(), "implied_vol - realised_vol, vol as a decimal (> 0: implied above realised, seed 000's sell signal)"),
    _f("premium_forward", pa.float64(), "index only: implied_vol - the vol realised over the NEXT window returns (ex post, look-ahead: a target, never a signal)"),
    _f("n_returns", pa.int64(), "returns in the realised-vol window", False),
    _f("status", pa.string(), STAT_STATUS_DOC + "; 'no_spot' (chain_atm: no spot observation within 5 days before the quote date)", False),
])

STAT_ETF_PREMIUM = pa.schema([
    _f("series", pa.string(), "fund name (kind 'premium') or '<a>-<b>' (kind 'spread')", False),
    _f("kind", pa.string(), "'premium' (one fund) or 'spread' (premium of a minus premium of b, common dates)", False),
    _f("date", pa.date32(), "date", False),
    _f("price", pa.float64(), "market price (premium rows)"),
    _f("nav", pa.float64(), "NAV per share (premium rows)"),
    _f("premium", pa.float64(), "price / nav - 1 (spread rows: premium_a - premium_b), fraction (0.0241 = 2.41%)"),
    _f("zscore", pa.float64(), "(premium - rolling mean) / rolling sd over statistics.etf.window observations ending on date"),
    _f("n", pa.int64(), "observations in the z-score window", False),
    _f("status", pa.string(), STAT_STATUS_DOC, False),
])


# --------------------------------------------------------------------------- surfaces

# The codes of jaxmm.surfaces.fit.FitStatus (tests/test_stage_surfaces.py keeps them equal).
# The names of jaxmm.surfaces.fit.FitStatus in lower case, indexed by its code (tests/test_svi_fit.py
# keeps them equal); written out here because this module must not import JAX.
FIT_STATUS_LABELS = ("ok", "not_converged", "too_few_quotes", "non_finite", "bad_input", "off_market")
FIT_STATUS_TYPE = pa.dictionary(pa.int8(), pa.string())
FIT_STATUS_DOC = ("'ok' (converged, on the market), 'not_converged' (step budget spent: last iterate kept), "
                  "'too_few_quotes' (fewer than fit.min_quotes: not fitted, params null), 'non_finite' (NaN "
                  "objective: params null), 'bad_input' (a quote with a non-positive or NaN IV, bid IV above ask "
                  "IV, or t <= 0: params null), 'off_market' (fitted, but the smile leaves the quotes: see "
                  "off_market_reason)")
_SVI_PARAM_DOCS = {
    "a": "raw SVI a: variance level (total variance units)",
    "b": "raw SVI b >= 0: wing slope (b (1 + |rho|) <= 2, Lee's bound)",
    "rho": "raw SVI rho in (-1, 1): skew / rotation",
    "m": "raw SVI m: horizontal shift, in k",
    "sigma": "raw SVI sigma > 0: ATM curvature, in k",
    "jw_v": "jump-wings v: ATM variance per year (w(0) / t)",
    "jw_psi": "jump-wings psi: ATM skew",
    "jw_p": "jump-wings p: put-wing slope",
    "jw_c": "jump-wings c: call-wing slope",
    "jw_v_tilde": "jump-wings v_tilde: minimum variance per year",
}

SVI_PARAMS = pa.schema(_SLICE_KEYS + [
    _f("t", pa.float64(), "years to expiry (from forwards.parquet)", False),
    _f("forward", pa.float64(), "the slice's implied forward F, USD", False),
    _f("discount", pa.float64(), "the slice's implied discount factor D", False),
    _f("atm_iv", pa.float64(), "ATM mid IV from the implied_vols stage (null: not bracketed)"),
    _f("n_eval_quotes", pa.int64(), "quotes the smile is checked on: every OTM two-sided quote with a solved mid IV, over the whole quoted range", False),
    _f("fit_abs_z", pa.float64(), "|k| / (atm_iv sqrt(t)) limit of the fit set: surfaces.max_abs_z, or the fallback_abs_z whose fit held the quotes near the money", False),
    _f("n_fit_quotes", pa.int64(), "quotes in the fit set: those of n_eval_quotes with bid and ask IVs solved, (ask - bid) / mid <= max_rel_spread, |k| / (atm_iv sqrt(t)) <= fit_abs_z, t >= min_t", False),
    *[_f(name, pa.float64(), doc + " (null: not fitted)") for name, doc in _SVI_PARAM_DOCS.items()],
    _f("status", FIT_STATUS_TYPE, "fit status: " + FIT_STATUS_DOC, False),
    _f("off_market_reason", pa.string(), "why the status is 'off_market', comma-separated: 'residual' (max_abs_residual > surfaces.max_residual_half_spreads), 'inside' (frac_inside_3sd < surfaces.min_frac_inside), 'wing' (wing_ratio > surfaces.max_wing_ratio), 'lee' (lee_slope > 2); null: on the market or not fitted"),
    _f("iterations", pa.int64(), "Levenberg-Marquardt steps spent, summed over the fit's stages (mid fit before a bid_ask fit)", False),
    _f("objective", pa.float64(), "final data term: mean squared residual over the fit set in units of the quote's IV spread (see fit.loss)"),
    _f("rmse_vol", pa.float64(), "RMSE of the SVI vol vs the mid IV over the n_eval_quotes quotes, vol points (0.1 = 0.001 in vol)"),
    _f("frac_inside", pa.float64(), "fraction of the n_eval_quotes quotes whose SVI vol lies within [bid_iv, ask_iv]"),
    _f("frac_inside_3sd", pa.float64(), "the same over those within 3 ATM standard deviations, |k| <= 3 sqrt(w(0)) of the fitted smile (null: none)"),
    _f("max_abs_residual", pa.float64(), "worst |SVI vol - mid IV| / ((ask_iv - bid_iv) / 2) over the n_eval_quotes quotes, in half-spreads"),
    _f("wing_ratio", pa.float64(), "highest SVI vol over the quoted k range / highest mid IV of the slice (above surfaces.max_wing_ratio: 'off_market')"),
    _f("lee_slope", pa.float64(), "b (1 + |rho|): the steeper wing's slope of the total variance; Lee's moment bound is 2"),
    _f("min_g", pa.float64(), "minimum of the butterfly function g on the slice's k grid (negative: butterfly arbitrage)"),
    _f("butterfly_ok", pa.bool_(), "fitted and g >= 0 at every grid point", False),
    _f("next_expiry", pa.date32(), "next fitted expiry of the snapshot (null: last)"),
    _f("calendar_violations", pa.int64(), "grid points (the k range both slices quote) where the next expiry's total variance is below this one's", False),
    _f("calendar_min_gap", pa.float64(), "min over that grid of w_next - w (negative: calendar arbitrage; null: last expiry)"),
    _f("ssvi_theta", pa.float64(), "ATM total variance theta of the snapshot's SSVI surface at this expiry (null: not in the SSVI fit)"),
    _f("ssvi_rmse_vol", pa.float64(), "RMSE of the SSVI vol vs the mid IV over the fit set, vol points"),
])

SSVI_PARAMS = pa.schema([
    _f("source", pa.string(), "chain source name", False),
    _f("underlying", pa.string(), "underlying", False),
    _f("quote_date", pa.date32(), "trading date of the snapshot", False),
    _f("rho", pa.float64(), "SSVI rho (null: not fitted)"),
    _f("eta", pa.float64(), "power-law phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma)); eta (1 + |rho|) <= 2"),
    _f("gamma", pa.float64(), "power-law exponent, in (0, 1/2]"),
    _f("status", FIT_STATUS_TYPE, "fit status: 'ok', 'not_converged', 'too_few_quotes' or 'non_finite' (as in svi_params.parquet)", False),
    _f("iterations", pa.int64(), "L-BFGS iterations", False),
    _f("n_slices", pa.int64(), "expiries in the fit (those with at least fit.min_quotes fit quotes)", False),
    _f("objective", pa.float64(), "final data term, as in svi_params.parquet"),
    _f("rmse_vol", pa.float64(), "RMSE of the SSVI vol vs the mid IV over all fit quotes, vol points"),
])

_FAIR_COLUMNS = [
    _f("in_fit", pa.bool_(), "the quote is in its slice's fit set", False),
    _f("fit_status", FIT_STATUS_TYPE, "its slice's status in svi_params.parquet: fair values of a slice that is not 'ok' are not to be trusted (and are not ranked in rich_cheap.parquet)", False),
    _f("fair_iv", pa.float64(), "SVI vol at the quote's k (the slice's fitted smile, extrapolated outside the fit set)", False),
    _f("ssvi_iv", pa.float64(), "the snapshot's SSVI vol at the quote's k (null: no SSVI fit)"),
    _f("fair_value", pa.float64(), "Black-76 price at fair_iv on the slice's F, D, t, USD", False),
    _f("residual_usd", pa.float64(), "mid - fair_value, USD (positive: the market is rich)", False),
    _f("residual_half_spreads", pa.float64(), "residual_usd / ((ask - bid) / 2) (null: one-sided quote)"),
    _f("fair_inside_quote", pa.bool_(), "bid <= fair_value <= ask", False),
    _f("fair_iv_inside", pa.bool_(), "bid_iv <= fair_iv <= ask_iv (false where an IV is missing)", False),
]

FAIR_VALUES = pa.schema(list(IV_QUOTES) + _FAIR_COLUMNS)

RICH_CHEAP = pa.schema(list(IV_QUOTES) + _FAIR_COLUMNS + [
    _f("side", pa.string(), "'rich' (mid above fair value) or 'cheap'", False),
    _f("rank", pa.int64(), "1 = largest |residual_half_spreads| on its side, per snapshot, among fit-set quotes of slices with fit_status 'ok'", False),
])


# --------------------------------------------------------------------------- market making

_MM_MODEL = [
    _f("s0", pa.float64(), "initial mid, price units", False),
    _f("T", pa.float64(), "horizon, time units (the paper's: 1)", False),
    _f("sigma", pa.float64(), "mid vol, price units per sqrt(time)", False),
    _f("k", pa.float64(), "fill intensity decay, per price unit from the mid", False),
    _f("A", pa.float64(), "fill intensity at the mid, per time unit", False),
    _f("q_max", pa.float64(), "inventory limit (inf: none)", False),
    _f("rebate", pa.float64(), "earned per unit filled, price units (negative: a fee)", False),
    _f("impact", pa.float64(), "informed flow: the mid moves this much against each fill", False),
    _f("jump_rate", pa.float64(), "mid jumps per time unit (used when jumps)", False),
    _f("jump_size", pa.float64(), "standard deviation of a jump, price units", False),
    _f("mid", pa.string(), "mid model: binary | brownian | geometric", False),
    _f("fill", pa.string(), "fill probability per step: linear (lambda dt) | poisson (1 - exp(-lambda dt))", False),
    _f("jumps", pa.bool_(), "the mid has compound Poisson jumps", False),
]

MM_AS_SUMMARY = pa.schema([
    _f("policy", pa.string(), "inventory (A-S) | symmetric (A-S average spread around the mid) | glft (exact) | "
       "glft_approx (closed form)", False),
    _f("scenario", pa.string(), "'base' (the gamma grid) or a configured scenario name (mm.as.scenarios)", False),
    _f("gamma", pa.float64(), "risk aversion", False),
    *_MM_MODEL,
    _f("n_paths", pa.int64(), "simulated paths", False),
    _f("n_steps", pa.int64(), "time steps per path (dt = T / n_steps)", False),
    _f("dtype", pa.string(), "float64 | float32", False),
    _f("mean_profit", pa.float64(), "mean terminal P&L (cash + q_T s_T), price units", False),
    _f("se_profit", pa.float64(), "standard error of mean_profit", False),
    _f("std_profit", pa.float64(), "standard deviation of terminal P&L", False),
    _f("sharpe", pa.float64(), "mean_profit / std_profit over the horizon (null: std 0)"),
    *[_f(f"profit_p{q:02d}", pa.float64(), f"{q}th percentile of terminal P&L", False)
      for q in (1, 5, 25, 50, 75, 95, 99)],
    _f("mean_final_q", pa.float64(), "mean inventory at T", False),
    _f("std_final_q", pa.float64(), "standard deviation of inventory at T", False),
    _f("mean_bid_fills", pa.float64(), "mean units bought per path", False),
    _f("mean_ask_fills", pa.float64(), "mean units sold per path", False),
    _f("mean_spread", pa.float64(), "ask - bid averaged over the steps where both sides quoted, then over paths", False),
    _f("mean_max_drawdown", pa.float64(), "mean over paths of the largest fall of marked-to-mid wealth from its peak",
       False),
    _f("p95_max_drawdown", pa.float64(), "95th percentile of the per-path max drawdown", False),
    _f("mean_max_abs_q", pa.float64(), "mean over paths of the largest |inventory| reached", False),
    _f("status", pa.string(), "ok | non_finite (some path's P&L is not finite)", False),
])

MM_PAPER_TABLE = pa.schema([
    _f("version", pa.string(), "published_2008 (Quantitative Finance 8(3)) | preprint_2006 (October 5, 2006)", False),
    _f("gamma", pa.float64(), "risk aversion of the row", False),
    _f("policy", pa.string(), "inventory | symmetric", False),
    _f("column", pa.string(), "spread | profit | std_profit | final_q | std_final_q", False),
    _f("paper", pa.float64(), "the paper's printed value (1000 simulations)", False),
    _f("ours", pa.float64(), "this run's value (scenario base, same gamma and policy)", False),
    _f("ours_se", pa.float64(), "standard error of ours (sd/sqrt(n) for means, sd/sqrt(2n) for sds; 0 for the spread)",
       False),
    _f("paper_se", pa.float64(), "the paper's standard error implied by its own sd and 1000 paths", False),
    _f("difference", pa.float64(), "ours - paper", False),
    _f("z", pa.float64(), "difference / sqrt(ours_se^2 + paper_se^2) (null: spread, no sampling error)"),
    _f("reproduces", pa.bool_(), "|difference| <= 4 combined standard errors + half the paper's last printed digit "
       "(spread: + gamma sigma^2 dt / 2, the step average's excess over the continuous average)", False),
])

MM_SAMPLE_PATH = pa.schema([
    _f("policy", pa.string(), "policy of the path (scenario base, gamma = mm.as.scenario_gamma, path 0)", False),
    _f("step", pa.int64(), "step index", False),
    _f("t", pa.float64(), "time at which the quotes were set", False),
    _f("mid", pa.float64(), "mid when the quotes were set", False),
    _f("bid", pa.float64(), "bid quote (null: side not quoted)"),
    _f("ask", pa.float64(), "ask quote (null: side not quoted)"),
    _f("inventory", pa.float64(), "inventory when the quotes were set", False),
    _f("wealth", pa.float64(), "cash + q s after the step's fills and mid move", False),
])

MM_PNL_HIST = pa.schema([
    _f("policy", pa.string(), "policy", False),
    _f("gamma", pa.float64(), "risk aversion (scenario base)", False),
    _f("bin_lo", pa.float64(), "bin's lower edge, price units (bins shared by the policies of one gamma, spanning "
       "the pooled 0.1%-99.9% quantiles)", False),
    _f("bin_hi", pa.float64(), "bin's upper edge", False),
    _f("count", pa.int64(), "paths with terminal P&L in the bin (paths outside every bin are not counted)", False),
])

FV_SERIES = pa.schema([
    _f("date", pa.date32(), "observation date", False),
    _f("futures", pa.float64(), "futures price", False),
    _f("pm_price", pa.float64(), "prediction-market price of 'settles above strike' (probability)", False),
    _f("t", pa.float64(), "years to expiry (business days / 252)", False),
    _f("fair_value", pa.float64(), "tight call spread (C(K - h) - C(K + h)) / 2h by Black-76 at mm.fair_value.contract.vol", False),
    _f("fair_delta", pa.float64(), "its delta per $1 of futures", False),
    _f("residual", pa.float64(), "pm_price - fair_value (positive: the market is rich)", False),
])

FV_DELTAS = pa.schema([
    _f("regression", pa.string(), "implied_delta (d pm on d F) | spread_delta (d fair on d F) | overreaction "
       "(d pm on d fair) | level_pm (pm on F) | level_fair (fair on F)", False),
    _f("slope", pa.float64(), "OLS slope (null: fewer than 3 pairs or constant x)"),
    _f("slope_se", pa.float64(), "classical OLS standard error of the slope (understates serially dependent errors)"),
    _f("intercept", pa.float64(), "OLS intercept"),
    _f("r2", pa.float64(), "R squared"),
    _f("n", pa.int64(), "pairs used", False),
    _f("status", pa.string(), "ok | too_few (n < 3 or constant x)", False),
])

FV_HEDGING = pa.schema([
    _f("hedge_threshold", pa.float64(), "re-hedge to zero delta when |net delta| exceeds this (futures units; "
       "0: every step, inf: never)", False),
    _f("n_paths", pa.int64(), "simulated paths", False),
    _f("overreaction", pa.float64(), "slope s of the simulated market (estimated or configured)", False),
    _f("mean_pnl", pa.float64(), "mean P&L at settlement, $", False),
    _f("se_pnl", pa.float64(), "standard error of mean_pnl", False),
    _f("std_pnl", pa.float64(), "standard deviation of P&L, $", False),
    _f("pnl_p05", pa.float64(), "5th percentile of P&L", False),
    _f("pnl_p50", pa.float64(), "median P&L", False),
    _f("pnl_p95", pa.float64(), "95th percentile of P&L", False),
    _f("mean_edge", pa.float64(), "mean quoting edge vs fair value at the fills, $", False),
    _f("mean_hedge_cost", pa.float64(), "mean paid for futures trades, $", False),
    _f("mean_n_hedges", pa.float64(), "mean futures trades per path", False),
    _f("mean_futures_traded", pa.float64(), "mean |futures| traded per path", False),
    _f("mean_fills", pa.float64(), "mean fills per path (both sides)", False),
    _f("std_final_q", pa.float64(), "standard deviation of contracts held at expiry", False),
    _f("mean_max_drawdown", pa.float64(), "mean per-path max drawdown of marked-to-fair wealth, $", False),
])

FV_SAMPLE_PATH = pa.schema([
    _f("t", pa.float64(), "years from the start", False),
    _f("futures", pa.float64(), "simulated futures", False),
    _f("fair", pa.float64(), "fair value", False),
    _f("pm", pa.float64(), "simulated market price", False),
    _f("bid", pa.float64(), "MM bid"),
    _f("ask", pa.float64(), "MM ask"),
    _f("inventory", pa.float64(), "contracts held", False),
    _f("hedge", pa.float64(), "futures held", False),
    _f("wealth", pa.float64(), "cash + contracts x fair + futures P&L - hedge costs, $", False),
])


# --------------------------------------------------------------------------- backtest (option writing)

_BT_KEYS = [
    _f("underlying", pa.string(), "underlying name (backtest.underlyings[].name)", False),
    _f("strategy", pa.string(), "strategy name (backtest.strategies[].name) or 'buy_and_hold'", False),
]

BT_EQUITY = pa.schema(_BT_KEYS + [
    _f("date", pa.date32(), "trading date", False),
    _f("spot", pa.float64(), "underlying close (price index: dividends ignored)", False),
    _f("iv", pa.float64(), "vol the options are priced at that day (null: not yet defined, no entry)"),
    _f("iv_source", pa.string(), "vol_index (the vol index / 100) | realised_plus_premium", False),
    _f("equity", pa.float64(), "book value at the close after the day's trades (starts at 1)", False),
    _f("drawdown", pa.float64(), "equity / running peak - 1", False),
    _f("option_units", pa.float64(), "options written and held (0: flat; buy_and_hold: 0)", False),
    _f("strike", pa.float64(), "strike of the option held (null: flat)"),
    _f("option_value", pa.float64(), "Black-Scholes value of one held option (0: flat)", False),
    _f("exit", pa.string(), "none | profit_take | dte_close | expired_otm | assigned: how an option left the book "
       "that day", False),
    _f("costs", pa.float64(), "transaction costs paid that day, units of the starting book", False),
])

BT_METRICS = pa.schema(_BT_KEYS + [
    _f("kind", pa.string(), "covered_call | cash_secured_put | buy_and_hold", False),
    _f("start", pa.date32(), "first date", False),
    _f("end", pa.date32(), "last date", False),
    _f("years", pa.float64(), "calendar years (days / 365.25)", False),
    _f("total_return", pa.float64(), "E_end / E_start - 1", False),
    _f("cagr", pa.float64(), "compound annual growth rate", False),
    _f("ann_vol", pa.float64(), "std of daily simple returns x sqrt(252)", False),
    _f("sharpe", pa.float64(), "mean / std of daily returns in excess of the cash rate, x sqrt(252)"),
    _f("max_drawdown", pa.float64(), "largest fall from a running peak (<= 0)", False),
    _f("peak_date", pa.date32(), "peak before the largest drawdown", False),
    _f("trough_date", pa.date32(), "trough of the largest drawdown", False),
    _f("recovery_date", pa.date32(), "first close back at the peak (null: never)"),
    _f("best_month", pa.float64(), "best calendar-month return", False),
    _f("best_month_date", pa.date32(), "first day of that month", False),
    _f("worst_month", pa.float64(), "worst calendar-month return", False),
    _f("worst_month_date", pa.date32(), "first day of that month", False),
    _f("n_entries", pa.int64(), "options written", False),
    _f("n_profit_take", pa.int64(), "bought back at the profit take", False),
    _f("n_dte_close", pa.int64(), "bought back at dte_close", False),
    _f("n_expired_otm", pa.int64(), "expired worthless", False),
    _f("n_assigned", pa.int64(), "assigned at expiry", False),
    _f("premium_received", pa.float64(), "sum of premiums written, units of the starting book", False),
    _f("costs", pa.float64(), "sum of transaction costs, units of the starting book", False),
    _f("vol_index_days", pa.int64(), "days priced at the vol index (the rest: realised vol + premium)", False),
])

BT_CRISIS = pa.schema(_BT_KEYS + [
    _f("window", pa.string(), "crisis window name (backtest.crisis_windows)", False),
    _f("start", pa.date32(), "first close on or after the window's start", False),
    _f("end", pa.date32(), "last close on or before its end", False),
    _f("return", pa.float64(), "E_end / E_start - 1 (windows outside the data are left out)"),
    _f("max_drawdown", pa.float64(), "largest peak-to-trough fall inside the window"),
])

BT_GREEKS = pa.schema(_BT_KEYS + [
    _f("date", pa.date32(), "trading date", False),
    _f("delta", pa.float64(), "book delta, index units (stock + options)", False),
    _f("gamma", pa.float64(), "book gamma per index point", False),
    _f("vega", pa.float64(), "book vega per vol point", False),
    _f("theta", pa.float64(), "book theta per calendar day", False),
    _f("delta_frac", pa.float64(), "delta x S / book (equity exposure: 1 for stock alone)", False),
    _f("gamma_frac", pa.float64(), "gamma x S^2 / (100 book): change of delta_frac per 1% move", False),
    _f("vega_frac", pa.float64(), "vega / book, per vol point", False),
    _f("theta_frac", pa.float64(), "theta / book, per day", False),
])

BT_BREACHES = pa.schema(_BT_KEYS + [
    _f("date", pa.date32(), "day in breach", False),
    _f("rule", pa.string(), "position_value | position_notional | net_vega | short_gamma_near_expiry (seed 000; "
       "definitions in jaxmm.backtest.option_writing.RuleLimits)", False),
    _f("value", pa.float64(), "the rule's measured value", False),
    _f("limit", pa.float64(), "its limit (strictly exceeded)", False),
])


# --------------------------------------------------------------------------- hedging

HEDGE_DELTA_GRID = pa.schema([
    _f("kind", pa.string(), "call | put | straddle", False),
    _f("position", pa.float64(), "+1 long, -1 short (options)", False),
    _f("n_steps", pa.int64(), "rebalancing times N over the option's life", False),
    _f("s0", pa.float64(), "initial spot", False),
    _f("strike", pa.float64(), "strike", False),
    _f("T", pa.float64(), "expiry, years", False),
    _f("r", pa.float64(), "rate (cash, discounting)", False),
    _f("implied_vol", pa.float64(), "vol of the premium paid or received", False),
    _f("hedge_vol", pa.float64(), "vol of the Black-Scholes hedge delta", False),
    _f("actual_vol", pa.float64(), "vol of the simulated spot (GBM)", False),
    _f("cost", pa.float64(), "ONE-WAY proportional cost per unit of stock value traded", False),
    _f("band", pa.float64(), "delta band, shares per option (0: rebalance at every time)", False),
    _f("n_paths", pa.int64(), "simulated paths", False),
    _f("mean_pnl", pa.float64(), "mean P&L in time-0 money", False),
    _f("se_pnl", pa.float64(), "standard error of mean_pnl", False),
    _f("std_pnl", pa.float64(), "standard deviation of P&L", False),
    _f("pnl_p05", pa.float64(), "5th percentile of P&L", False),
    _f("pnl_p95", pa.float64(), "95th percentile of P&L", False),
    _f("mean_vega", pa.float64(), "vega part: position x (V at hedge vol - V at implied vol) at t = 0", False),
    _f("mean_gamma", pa.float64(), "gamma part: sum of position Gamma (dS)^2 / 2, discounted", False),
    _f("mean_theta", pa.float64(), "theta part: -sum of position Gamma S^2 hedge_vol^2 dt / 2", False),
    _f("mean_mismatch", pa.float64(), "band part: P&L of the gap between held and target delta", False),
    _f("mean_cost", pa.float64(), "transaction costs (negative)", False),
    _f("mean_error", pa.float64(), "discretisation error (the Taylor remainder)", False),
    _f("std_gamma_theta", pa.float64(), "standard deviation of gamma + theta", False),
    _f("mean_rebalances", pa.float64(), "trading times per path (the initial hedge included)", False),
    _f("mean_shares_traded", pa.float64(), "sum of |shares traded| per path", False),
])

HEDGE_VALIDATION = pa.schema([
    _f("check", pa.string(), "derman_kamal | ahmad_wilmott_mean | ahmad_wilmott_sd | leland", False),
    _f("case", pa.string(), "the set-up of the row (N, hedge vol, cost, ...)", False),
    _f("n_steps", pa.int64(), "rebalancing times", False),
    _f("published", pa.float64(), "the published (or closed-form) value", False),
    _f("ours", pa.float64(), "this run's estimate", False),
    _f("ours_se", pa.float64(), "its standard error", False),
    _f("ratio", pa.float64(), "ours / published (null: published 0)"),
    _f("tolerance", pa.float64(), "allowed |ours - published| beyond 4 standard errors (stated per check)", False),
    _f("agrees", pa.bool_(), "|ours - published| <= 4 ours_se + tolerance", False),
    _f("note", pa.string(), "what the row shows", False),
])

HEDGE_PNL_HIST = pa.schema([
    _f("case", pa.string(), "hedge_at_implied | hedge_at_actual (Ahmad & Wilmott's set-up)", False),
    _f("bin_lo", pa.float64(), "bin's lower edge (shared bins)", False),
    _f("bin_hi", pa.float64(), "bin's upper edge", False),
    _f("count", pa.int64(), "paths in the bin", False),
])

HEDGE_VOL_PATH = pa.schema([
    _f("regime", pa.string(), "sticky_strike | sticky_delta | vol_path: how the option's implied vol moves with spot",
       False),
    _f("realised", pa.string(), "implied (the spot realises the option's current implied vol) | constant", False),
    _f("slope", pa.float64(), "vol-path slope: relative vol change per relative spot move", False),
    _f("slope_source", pa.string(), "config, or statistics:<series> <date> (the statistics stage's latest vol beta)",
       False),
    _f("delta", pa.string(), "black (dV/dS at fixed vol) | effective (dV/dS along the regime: + vega dsigma/dS)",
       False),
    _f("variance", pa.float64(), "variance of the terminal hedging error", False),
    _f("variance_se", pa.float64(), "its standard error", False),
    _f("mean", pa.float64(), "mean terminal hedging error", False),
    _f("mtm", pa.float64(), "mean over paths of the summed squared step P&L of the marked book", False),
    _f("mtm_se", pa.float64(), "its standard error", False),
    _f("variance_ratio", pa.float64(), "variance / the Black delta's variance (same regime and slope)", False),
    _f("mtm_ratio", pa.float64(), "mtm / the Black delta's mtm", False),
    _f("n_paths", pa.int64(), "simulated paths", False),
    _f("n_steps", pa.int64(), "hedges over the option's life", False),
])

HEDGE_TIME_SPREAD = pa.schema([
    _f("regime", pa.float64(), "multiplier of the short factor's vol (1 normal, 4 the synthetic high front-vol regime)",
       False),
    _f("sizing", pa.string(), "raw (raw gammas cancel) | h2 (h^2-weighted gammas cancel) | min_variance "
       "(corr^4 x the h2 contracts, corr the M1-M12 return correlation)", False),
    _f("h", pa.float64(), "M12 $ move per $1 of M1 (beta F12 / F1, model covariance at t = 0)", False),
    _f("h2", pa.float64(), "h squared: the weight of M12 gamma in M1 terms", False),
    _f("corr", pa.float64(), "instantaneous correlation of M1 and M12 log returns", False),
    _f("contracts", pa.float64(), "M12 calls bought per M1 call sold", False),
    _f("vol1", pa.float64(), "M1 option implied vol (model)", False),
    _f("vol12", pa.float64(), "M12 option implied vol (model)", False),
    _f("raw_gamma", pa.float64(), "n Gamma_12 - Gamma_1, per $1 of each own future", False),
    _f("front_gamma", pa.float64(), "n Gamma_12 h^2 - Gamma_1: gamma in M1 terms", False),
    _f("net_vega", pa.float64(), "n vega_12 - vega_1, per unit vol", False),
    _f("horizon_days", pa.int64(), "business days simulated (daily delta hedges)", False),
    _f("n_paths", pa.int64(), "simulated paths", False),
    _f("mean_pnl", pa.float64(), "mean P&L of the delta-hedged spread over the horizon, $", False),
    _f("se_pnl", pa.float64(), "standard error of mean_pnl", False),
    _f("std_pnl", pa.float64(), "standard deviation of the P&L", False),
    _f("pnl_p01", pa.float64(), "1st percentile", False),
    _f("pnl_p99", pa.float64(), "99th percentile", False),
    _f("slope_front_var", pa.float64(), "OLS slope of P&L on M1's realised variance (sum of squared log returns): "
       "the spread's exposure to the front month's realised variance", False),
    _f("slope_se", pa.float64(), "its standard error", False),
    _f("slope_predicted", pa.float64(), "F1^2 x front_gamma / 2: the slope a gamma position predicts", False),
])


def empty(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def doc(schema: pa.Schema) -> list[tuple[str, str, str]]:
    """(name, type, description) per field, for docs/outputs.md and the report."""
    return [(f.name, str(f.type), f.metadata[b"doc"].decode()) for f in schema]


TABLES = {  # docs/outputs.md: path -> schema
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
    "results/surfaces/svi_params.parquet": SVI_PARAMS,
    "results/surfaces/ssvi_params.parquet": SSVI_PARAMS,
    "results/surfaces/fair_values.parquet": FAIR_VALUES,
    "results/surfaces/rich_cheap.parquet": RICH_CHEAP,
    "results/statistics/hedge_ratios.parquet": STAT_HEDGE_RATIOS,
    "results/statistics/hedge_summary.parquet": STAT_HEDGE_SUMMARY,
    "results/statistics/portfolio_risk.parquet": STAT_PORTFOLIO_RISK,
    "results/statistics/vol_beta.parquet": STAT_VOL_BETA,
    "results/statistics/effective_deltas.parquet": STAT_EFFECTIVE_DELTAS,
    "results/statistics/event_vol.parquet": STAT_EVENT_VOL,
    "results/statistics/vol_premium.parquet": STAT_VOL_PREMIUM,
    "results/statistics/etf_premium.parquet": STAT_ETF_PREMIUM,
    "results/mm/as_summary.parquet": MM_AS_SUMMARY,
    "results/mm/as_paper_table.parquet": MM_PAPER_TABLE,
    "results/mm/as_sample_path.parquet": MM_SAMPLE_PATH,
    "results/mm/as_pnl_hist.parquet": MM_PNL_HIST,
    "results/mm/fv_series.parquet": FV_SERIES,
    "results/mm/fv_deltas.parquet": FV_DELTAS,
    "results/mm/fv_hedging.parquet": FV_HEDGING,
    "results/mm/fv_sample_path.parquet": FV_SAMPLE_PATH,
    "results/backtest/equity.parquet": BT_EQUITY,
    "results/backtest/metrics.parquet": BT_METRICS,
    "results/backtest/crisis.parquet": BT_CRISIS,
    "results/backtest/greeks.parquet": BT_GREEKS,
    "results/backtest/breaches.parquet": BT_BREACHES,
    "results/hedging/delta_grid.parquet": HEDGE_DELTA_GRID,
    "results/hedging/validation.parquet": HEDGE_VALIDATION,
    "results/hedging/pnl_hist.parquet": HEDGE_PNL_HIST,
    "results/hedging/vol_path.parquet": HEDGE_VOL_PATH,
    "results/hedging/time_spread.parquet": HEDGE_TIME_SPREAD,
}


def markdown_tables() -> str:
    """docs/outputs.md's per-table column reference, generated from the schemas above."""
    parts = []
    for path, schema in TABLES.items():
        rows = "\n".join(f"| `{name}` | {type_} | {text} |" for name, type_, text in doc(schema))
        parts.append(f"#### `{path}`\n\n| column | type | meaning, unit |\n|---|---|---|\n{rows}")
    return "\n\n".join(parts)
