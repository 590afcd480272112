"""Output schemas of the surfaces stage (``results/surfaces/*.parquet``): one field a column,
its description and unit in the field's metadata (docs/outputs.md's tables are generated
from these: :mod:`jaxmm.stages.tables`)."""

from __future__ import annotations

import pyarrow as pa

from jaxmm.io.labels import FIT_STATUS_LABELS, SLICE_KEY_FIELDS as _SLICE_KEYS, field as _f
from jaxmm.stages.implied_vols.schema import IV_QUOTES

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
