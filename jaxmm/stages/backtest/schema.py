"""Output schemas of the backtest stage (``results/backtest/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import field as _f

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
