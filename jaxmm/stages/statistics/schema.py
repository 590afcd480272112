"""Output schemas of the statistics stage (``results/statistics/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import ROOT_FIELD as _ROOT, field as _f

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
