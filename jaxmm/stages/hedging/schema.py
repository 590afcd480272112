"""Output schemas of the hedging stage (``results/hedging/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import field as _f

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
