"""Output schemas of the mm stage (``results/mm/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import field as _f

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
    _f("ours", pa.float64(), "this run's value under the version's own convention (scenario base, same gamma and "
       "policy; the preprint's symmetric rows: a constant 1.29 spread; its spread column: (2/gamma) ln(1 + gamma/k))",
       False),
    _f("ours_se", pa.float64(), "standard error of ours (sd/sqrt(n) for means, sd/2 sqrt((kurtosis-1)/n) for sds; 0 "
       "for the spread)", False),
    _f("paper_se", pa.float64(), "the paper's standard error implied by its own sd and 1000 paths (sds: with our "
       "sample's kurtosis)", False),
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
