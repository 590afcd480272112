"""Surfaces stage: SVI slices and SSVI surfaces fitted to the implied vols, checks against
every quote, and a fair value for every option.

From ``results/implied_vols/quotes.parquet``, per slice (source, underlying, root,
quote_date, expiry):

* the **checked quotes**: every out-of-the-money two-sided quote with a solved mid IV,
  over the whole quoted range (``eval_mask``);
* the **fit set**: the liquid part of them, bid and ask IVs solved and ``(ask - bid) /
  mid <= max_rel_spread``, within ``max_abs_z`` ATM standard deviations ``|k| / (atm_iv
  sqrt(t))``. Raw SVI's five parameters cannot follow every real smile within its spreads
  over the whole liquid range (SPX: the broad curvature of the put wing and the sharp one
  near the money); where the wide fit misses the quotes near the money, the slice is
  refitted on the narrower ``fallback_abs_z`` ranges in turn and the widest that holds
  them is kept (``choose_fit_sets``). Slices shorter than ``min_t`` years are not fitted
  (status 'too_few_quotes' with 0 quotes);
* raw SVI per slice, all slices of all snapshots in one call (``jaxmm.surfaces.fit.fit_svi``),
  then the checks on the checked quotes: RMSE, fraction of fitted vols inside the bid/ask
  IVs (all, and within 3 ATM sd), worst residual in half-spreads, wings against the
  highest mid IV and Lee's bound, min ``g`` and calendar violations against the next
  expiry. A slice failing ``max_residual_half_spreads``, ``min_frac_inside`` (within 3
  sd), ``max_wing_ratio`` or Lee's bound gets the status 'off_market' and an
  ``off_market_reason``; statuses are readable labels;
* a power-law SSVI surface per snapshot (``fit_ssvi``), arbitrage-free by construction;
* fair value for **every** quote of a fitted slice (OTM and ITM, one- and two-sided):
  the SVI vol at its ``k``, Black-76 on the slice's ``F, D, t``; market mid minus fair in
  USD and in half-spreads, with the slice's ``fit_status``; and a ranked table of the
  richest and cheapest fit-set options of the slices with status 'ok'.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jaxmm.io import labels
from jaxmm.io.labels import IV_OK, SLICE_KEYS, SNAPSHOT_KEYS
from jaxmm.settings import SurfacesSettings
from jaxmm.stages.frames import to_table
from jaxmm.stages.surfaces import schema as surfaces_schema

log = logging.getLogger(__name__)

PARAM_NAMES = ("a", "b", "rho", "m", "sigma")
JW_NAMES = ("jw_v", "jw_psi", "jw_p", "jw_c", "jw_v_tilde")


def fit_settings(section: SurfacesSettings | dict):
    """The library's ``FitSettings`` of the section's ``fit`` block."""
    from jaxmm.surfaces.fit import FitSettings

    return FitSettings(**SurfacesSettings.of(section).fit)


# --------------------------------------------------------------------------- packing


def _solved(status: pd.Series) -> np.ndarray:
    """True where an IV status column says solved: the label ``IV_OK`` (or the integer
    code 0 of quotes.parquet files written before the statuses became labels)."""
    values = status.astype(object)
    return ((values == IV_OK) | (values == 0)).to_numpy(bool)


def eval_mask(quotes: pd.DataFrame) -> np.ndarray:
    """Quotes the fitted smiles are checked on (``diagnose``): every out-of-the-money
    two-sided quote with a solved mid IV, over the whole quoted range."""
    ok = (quotes["otm"] & (quotes["bid"] > 0) & (quotes["quote_status"] == "ok")
          & np.isfinite(quotes["mid_iv"].to_numpy(float)) & np.isfinite(quotes["log_moneyness"].to_numpy(float)))
    return ok.fillna(False).to_numpy(bool) & _solved(quotes["mid_iv_status"])


def fit_mask(quotes: pd.DataFrame, atm_iv: np.ndarray, section: SurfacesSettings | dict,
             max_abs_z: float | None = None) -> np.ndarray:
    """The fit set (module doc): the liquid part of ``eval_mask`` within ``max_abs_z``
    (default the section's) ATM standard deviations; ``atm_iv`` is each quote's slice ATM vol."""
    s = SurfacesSettings.of(section)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = quotes["log_moneyness"].to_numpy(float) / (atm_iv * np.sqrt(quotes["t"].to_numpy(float)))
        rel_spread = ((quotes["ask"] - quotes["bid"]) / quotes["mid"]).to_numpy(float)
    ok = (eval_mask(quotes) & _solved(quotes["bid_iv_status"]) & _solved(quotes["ask_iv_status"])
          & (quotes["t"] >= float(s.min_t)).to_numpy(bool))
    # NaN z (no ATM vol) stays in: the spread filter alone decides there.
    wide = np.abs(z) > float(s.max_abs_z if max_abs_z is None else max_abs_z)
    return ok & ~wide & (rel_spread <= float(s.max_rel_spread))


def _pad(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape, fill) -> np.ndarray:
    out = np.full(shape, fill, dtype=np.asarray(values).dtype if not isinstance(fill, float) else float)
    out[(*rows, cols) if isinstance(rows, tuple) else (rows, cols)] = values
    return out


def pack(quotes: pd.DataFrame, slices: pd.DataFrame, use: np.ndarray, slice_id: np.ndarray, layout: str = "flat",
         n_max: int | None = None):
    """``SliceData`` of the quotes ``use`` selects: (S, N) for ``layout="flat"``, or (P,
    S_max, N) grouped by snapshot for ``"snapshot"`` (then also the (P, S_max) slice mask
    and the (P, S_max) row of ``slices`` each cell holds, -1 for padding). ``N``: the most
    quotes of a slice, or ``n_max`` if larger (equal shapes share one compiled fit)."""
    import jax.numpy as jnp

    from jaxmm.surfaces.fit import SliceData

    q = quotes[use]
    sid = slice_id[use]
    n_slices = len(slices)
    order = np.argsort(sid, kind="stable")
    sid_sorted = sid[order]
    counts = np.bincount(sid, minlength=n_slices)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col = np.arange(len(sid)) - starts[sid_sorted]
    n_max = max(int(counts.max(initial=0)), n_max or 1)
    q = q.iloc[order]
    if layout == "flat":
        rows, shape = sid_sorted, (n_slices, n_max)
        cell_of = None
    else:
        snap = slices["snapshot"].to_numpy()
        pos = slices.groupby("snapshot").cumcount().to_numpy()
        n_snap, s_max = int(snap.max()) + 1, int(pos.max()) + 1
        cell_of = np.full((n_snap, s_max), -1)
        cell_of[snap, pos] = np.arange(n_slices)
        rows, shape = (snap[sid_sorted], pos[sid_sorted]), (n_snap, s_max, n_max)

    def field(name, fill):
        return _pad(q[name].to_numpy(), rows, col, shape, fill)

    def per_slice(name, fill):
        v = slices[name].to_numpy(float)
        if layout == "flat":
            return v
        out = np.full(shape[:2], fill)
        out[snap, pos] = v
        return out

    mask = _pad(np.ones(len(q), bool), rows, col, shape, False)
    data = SliceData(
        k=jnp.asarray(field("log_moneyness", 0.0)), mid_iv=jnp.asarray(field("mid_iv", 0.2)),
        bid_iv=jnp.asarray(field("bid_iv", np.nan)), ask_iv=jnp.asarray(field("ask_iv", np.nan)),
        strike=jnp.asarray(field("strike", 1.0)), is_call=jnp.asarray(_pad((q["right"] == "C").to_numpy(), rows, col,
                                                                             shape, False)),
        mid_price=jnp.asarray(field("mid", 1.0)), vega=jnp.asarray(field("vega", 1.0)), mask=jnp.asarray(mask),
        t=jnp.asarray(per_slice("t", 1.0)), forward=jnp.asarray(per_slice("forward", 1.0)),
        discount=jnp.asarray(per_slice("discount", 1.0)))
    if layout == "flat":
        return data
    return data, jnp.asarray(cell_of >= 0), cell_of


# --------------------------------------------------------------------------- stage numerics


def slice_table(quotes: pd.DataFrame, forwards: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per slice with a forward (from forwards.parquet) and each quote's slice row
    (-1: its slice has no forward)."""
    slices = forwards[np.isfinite(forwards["forward"].to_numpy(float))].sort_values(SNAPSHOT_KEYS + ["t"])
    slices = slices.reset_index(drop=True)
    slices["snapshot"] = slices.groupby(SNAPSHOT_KEYS, sort=False).ngroup()
    index = pd.MultiIndex.from_frame(slices[SLICE_KEYS])
    slice_id = index.get_indexer(pd.MultiIndex.from_frame(quotes[SLICE_KEYS]))
    return slices, slice_id


def neighbour_index(slices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Previous / next expiry of the same snapshot among slices with a fit (-1: none)."""
    prev_idx = np.full(len(slices), -1)
    next_idx = np.full(len(slices), -1)
    fitted = slices[slices["n_fit_quotes"] > 0]
    for _, g in fitted.groupby("snapshot"):
        idx = g.sort_values("t").index.to_numpy()
        prev_idx[idx[1:]] = idx[:-1]
        next_idx[idx[:-1]] = idx[1:]
    return prev_idx, next_idx


def choose_fit_sets(quotes: pd.DataFrame, slices: pd.DataFrame, slice_id: np.ndarray, eval_data,
                    section: SurfacesSettings, settings, min_inside: float) -> tuple[np.ndarray, np.ndarray]:
    """Each slice's fit set: the widest of ``max_abs_z`` and then ``fallback_abs_z`` (ATM
    standard deviations) whose independent fit holds the quotes near the money (model IV
    inside bid/ask for at least ``min_inside`` of the OTM quotes within 3 sd), else the
    one that comes nearest. Raw SVI has five parameters: on tight real markets (SPX) it
    cannot follow the whole liquid range within the spreads, and fitted there it misses
    the money as well (module doc). Returns (each quote's fit flag, each slice's limit)."""
    from jaxmm.surfaces import fit as svi_fit

    atm_iv = slices["atm_iv"].to_numpy(float)[np.maximum(slice_id, 0)]
    known = slice_id >= 0
    widest = float(section.max_abs_z)
    limits = [widest] + sorted({float(z) for z in section.fallback_abs_z if z < widest},
                               reverse=True)
    chosen = np.full(len(slices), widest)
    best = np.full(len(slices), -1.0)
    independent = settings._replace(calendar_weight=0.0)
    for z in limits:
        todo = best < min_inside                         # slices still looking for a range
        if not todo.any() or len(limits) == 1:
            break
        use = fit_mask(quotes, atm_iv, section, z) & known
        result = svi_fit.fit_svi(pack(quotes, slices, use, slice_id, n_max=eval_data.k.shape[1]), None, independent)
        core = np.asarray(svi_fit.diagnose(result.params, eval_data, np.full(len(slices), -1), independent)
                          .frac_inside_core)
        better = todo & (np.nan_to_num(core, nan=-1.0) > best)
        chosen = np.where(better, z, chosen)
        best = np.where(better, np.nan_to_num(core, nan=-1.0), best)
    use = np.zeros(len(quotes), bool)
    for z in np.unique(chosen):
        mine = known & (chosen[np.maximum(slice_id, 0)] == z)
        use |= fit_mask(quotes, atm_iv, section, z) & mine
    return use, chosen


def _labels(codes) -> pd.Categorical:
    """FitStatus codes as their labels (labels.FIT_STATUS_LABELS), dictionary-encoded."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=labels.FIT_STATUS_LABELS)


OFF_MARKET_CHECKS = ("residual", "inside", "wing", "lee")   # svi_fit.MarketCheck fields, in off_market_reason


def fit_surfaces(quotes: pd.DataFrame, forwards: pd.DataFrame, section: SurfacesSettings | dict):
    """SVI and SSVI fits: (slices with params and diagnostics, ssvi table, each quote's
    slice row, each quote's fit-set flag)."""
    import jax.numpy as jnp

    from jaxmm.surfaces import fit as svi_fit, svi

    section = SurfacesSettings.of(section)
    settings = fit_settings(section)
    slices, slice_id = slice_table(quotes, forwards)
    checked = eval_mask(quotes) & (slice_id >= 0)
    slices["n_eval_quotes"] = np.bincount(slice_id[checked], minlength=len(slices)).astype(np.int64)
    if not len(slices):
        slices["n_fit_quotes"] = np.zeros(0, np.int64)
        return slices, pd.DataFrame(), slice_id, checked
    eval_data = pack(quotes, slices, checked, slice_id)
    min_inside = float(section.min_frac_inside)
    use, slices["fit_abs_z"] = choose_fit_sets(quotes, slices, slice_id, eval_data, section, settings, min_inside)
    slices["n_fit_quotes"] = np.bincount(slice_id[use], minlength=len(slices)).astype(np.int64)
    prev_idx, next_idx = neighbour_index(slices)
    result = svi_fit.fit_svi(pack(quotes, slices, use, slice_id, n_max=eval_data.k.shape[1]), prev_idx, settings)
    diag = svi_fit.diagnose(result.params, eval_data, jnp.asarray(next_idx), settings)
    market = svi_fit.market_status(result.status, diag, float(section.max_residual_half_spreads),
                                   min_inside, float(section.max_wing_ratio))
    params = np.asarray(result.params)
    for i, name in enumerate(PARAM_NAMES):
        slices[name] = params[:, i]
    jw = svi.raw_to_jump_wings(jnp.asarray(params), jnp.asarray(slices["t"].to_numpy(float)))
    for name, values in zip(JW_NAMES, jw):
        slices[name] = np.asarray(values)
    slices["status"] = _labels(market.status)
    reasons = np.stack([getattr(market, name) for name in OFF_MARKET_CHECKS], axis=1)
    slices["off_market_reason"] = [",".join(n for n, bad in zip(OFF_MARKET_CHECKS, row) if bad) or None
                                   for row in reasons]
    slices["iterations"] = np.asarray(result.iterations).astype(np.int64)
    slices["objective"] = np.asarray(result.objective)
    fitted = np.isfinite(params).all(axis=1)
    for name in ("rmse_vol", "frac_inside", "frac_inside_core", "max_abs_residual", "wing_ratio", "lee_slope",
                 "min_g"):
        slices[name] = np.where(fitted, np.asarray(getattr(diag, name)), np.nan)
    slices = slices.rename(columns={"frac_inside_core": "frac_inside_3sd"})
    slices["rmse_vol"] *= 100.0                       # vol points
    slices["butterfly_ok"] = fitted & (np.asarray(diag.n_g_negative) == 0)
    slices["calendar_violations"] = np.where(fitted, np.asarray(diag.calendar_violations), 0).astype(np.int64)
    slices["calendar_min_gap"] = np.where(fitted & (next_idx >= 0), np.asarray(diag.calendar_min_gap), np.nan)
    slices["next_expiry"] = pd.Series(slices["expiry"].to_numpy()[np.maximum(next_idx, 0)]).where(next_idx >= 0)

    ssvi = _fit_ssvi(quotes, slices, use, slice_id, settings)
    return slices, ssvi, slice_id, use


def _fit_ssvi(quotes, slices, use, slice_id, settings) -> pd.DataFrame:
    """Power-law SSVI per snapshot; adds ``ssvi_theta``, ``ssvi_rmse_vol`` to ``slices``."""
    import jax.numpy as jnp

    from jaxmm.surfaces import fit as svi_fit, svi

    fitted = slices["n_fit_quotes"].to_numpy() >= settings.min_quotes
    data, slice_mask, cell_of = pack(quotes, slices, use, slice_id, layout="snapshot")
    atm_w = np.asarray(svi.raw_total_variance(jnp.asarray(slices[list(PARAM_NAMES)].to_numpy(float)), 0.0))
    atm_w = np.where(np.isfinite(atm_w), atm_w, slices["t"].to_numpy() * 0.04)
    theta0 = np.where(cell_of >= 0, atm_w[np.maximum(cell_of, 0)], np.nan)
    slice_mask = jnp.asarray(np.asarray(slice_mask) & (cell_of >= 0) & fitted[np.maximum(cell_of, 0)])
    result = svi_fit.fit_ssvi(data, slice_mask, jnp.asarray(theta0), settings)
    raw = np.asarray(svi_fit.ssvi_params(result))                     # (P, S, 5)
    theta = np.asarray(result.theta)
    slices["ssvi_theta"] = np.nan
    slices["ssvi_rmse_vol"] = np.nan
    cells = cell_of >= 0
    slices.loc[cell_of[cells], "ssvi_theta"] = theta[cells]
    vol = np.asarray(svi.implied_vol(jnp.asarray(raw)[:, :, None, :], data.k, data.t[..., None]))
    err = np.where(np.asarray(data.mask), (vol - np.asarray(data.mid_iv)) ** 2, 0.0)
    n = np.maximum(np.asarray(data.mask).sum(-1), 1)
    rmse = 100.0 * np.sqrt(err.sum(-1) / n)
    slices.loc[cell_of[cells], "ssvi_rmse_vol"] = np.where(np.asarray(slice_mask)[cells], rmse[cells], np.nan)
    snaps = slices.drop_duplicates("snapshot").sort_values("snapshot")[SNAPSHOT_KEYS + ["snapshot"]]
    ssvi = snaps.reset_index(drop=True)
    for name in ("rho", "eta", "gamma", "objective"):
        ssvi[name] = np.asarray(getattr(result, name))
    ssvi["status"] = _labels(np.asarray(result.status))
    ssvi["iterations"] = np.asarray(result.iterations).astype(np.int64)
    ssvi["n_slices"] = np.asarray(slice_mask).sum(-1).astype(np.int64)
    total = np.where(np.asarray(slice_mask)[..., None], err, 0.0).sum((-1, -2))
    ssvi["rmse_vol"] = 100.0 * np.sqrt(total / np.maximum((np.asarray(data.mask) & np.asarray(slice_mask)[..., None])
                                                          .sum((-1, -2)), 1))
    ssvi["rmse_vol"] = ssvi["rmse_vol"].where(np.isfinite(ssvi["objective"]))
    return ssvi


def fair_values(quotes: pd.DataFrame, slices: pd.DataFrame, slice_id: np.ndarray, use: np.ndarray) -> pd.DataFrame:
    """Every quote of a fitted slice with its SVI fair vol and price and the residuals."""
    import jax.numpy as jnp

    from jaxmm.pricing import black
    from jaxmm.surfaces import svi

    params = slices[list(PARAM_NAMES)].to_numpy(float)
    has = (slice_id >= 0)
    has[has] = np.isfinite(params[slice_id[has]]).all(axis=1)
    q = quotes[has].copy()
    sid = slice_id[has]
    q["in_fit"] = use[has]
    q["fit_status"] = pd.Categorical(slices["status"].to_numpy()[sid], categories=labels.FIT_STATUS_LABELS)
    k = q["log_moneyness"].to_numpy(float)
    t = q["t"].to_numpy(float)
    p = params[sid]
    q["fair_iv"] = np.asarray(svi.implied_vol(jnp.asarray(p), jnp.asarray(k), jnp.asarray(t)))
    q["fair_value"] = np.asarray(black.price(q["forward"].to_numpy(float), q["strike"].to_numpy(float), t,
                                             q["fair_iv"].to_numpy(), (q["right"] == "C").to_numpy(),
                                             q["discount"].to_numpy(float)))
    q["residual_usd"] = q["mid"] - q["fair_value"]
    half_spread = 0.5 * (q["ask"] - q["bid"])
    two_sided = q["bid"] > 0
    q["residual_half_spreads"] = (q["residual_usd"] / half_spread).where(two_sided & (half_spread > 0))
    q["fair_inside_quote"] = (q["fair_value"] >= q["bid"]) & (q["fair_value"] <= q["ask"])
    q["fair_iv_inside"] = (q["fair_iv"] >= q["bid_iv"]) & (q["fair_iv"] <= q["ask_iv"])
    return q.reset_index(drop=True)


def add_ssvi_vols(fair: pd.DataFrame, slices: pd.DataFrame, ssvi: pd.DataFrame) -> None:
    """``ssvi_iv`` of each quote from its snapshot's SSVI surface."""
    import jax.numpy as jnp

    from jaxmm.surfaces.svi import phi_power_law, ssvi_total_variance

    if not len(ssvi) or not len(fair):
        fair["ssvi_iv"] = np.nan
        return
    cols = slices[SLICE_KEYS + ["ssvi_theta", "snapshot"]].merge(ssvi[["snapshot", "rho", "eta", "gamma"]],
                                                                 on="snapshot")
    m = fair[SLICE_KEYS].merge(cols, on=SLICE_KEYS, how="left")
    theta = m["ssvi_theta"].to_numpy(float)
    phi = phi_power_law(jnp.asarray(theta), jnp.asarray(m["eta"].to_numpy(float)), jnp.asarray(m["gamma"].to_numpy(float)))
    w = ssvi_total_variance(jnp.asarray(fair["log_moneyness"].to_numpy(float)), jnp.asarray(theta),
                            jnp.asarray(m["rho"].to_numpy(float)), phi)
    fair["ssvi_iv"] = np.sqrt(np.asarray(w) / fair["t"].to_numpy(float))


def rich_cheap(fair: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Per snapshot, the ``top_n`` richest and cheapest two-sided quotes of the fit set by
    residual in half-spreads (rich: market mid above fair value), from slices with status
    'ok' only: an off-market or unconverged smile's residuals measure the model, not the
    market. Quotes outside the fit set are not ranked for the same reason."""
    q = fair[np.isfinite(fair["residual_half_spreads"]) & fair["in_fit"] & (fair["fit_status"] == "ok")]
    frames = []
    for _, g in q.groupby(SNAPSHOT_KEYS, sort=True):
        for side, ascending in (("rich", False), ("cheap", True)):
            top = g.sort_values("residual_half_spreads", ascending=ascending, kind="stable").head(top_n)
            top = top[top["residual_half_spreads"] > 0] if side == "rich" else top[top["residual_half_spreads"] < 0]
            frames.append(top.assign(side=side, rank=np.arange(1, len(top) + 1, dtype=np.int64)))
    if not frames:
        return pd.DataFrame(columns=list(fair.columns) + ["side", "rank"])
    return pd.concat(frames, ignore_index=True)


def compute(quotes: pd.DataFrame, forwards: pd.DataFrame, section: SurfacesSettings | dict) -> dict[str, pd.DataFrame]:
    """The stage's tables from the implied_vols stage's quotes and forwards."""
    section = SurfacesSettings.of(section)
    slices, ssvi, slice_id, use = fit_surfaces(quotes, forwards, section)
    fair = fair_values(quotes, slices, slice_id, use) if len(slices) else quotes.iloc[:0]
    add_ssvi_vols(fair, slices, ssvi)
    return {"svi_params": slices, "ssvi_params": ssvi, "fair_values": fair,
            "rich_cheap": rich_cheap(fair, int(section.rank_top_n))}


# --------------------------------------------------------------------------- stage


TABLES = {"svi_params": surfaces_schema.SVI_PARAMS, "ssvi_params": surfaces_schema.SSVI_PARAMS,
          "fair_values": surfaces_schema.FAIR_VALUES, "rich_cheap": surfaces_schema.RICH_CHEAP}


def run(inputs: dict, outputs: dict, params: dict) -> None:
    quotes = pd.read_parquet(inputs["quotes"])
    forwards = pd.read_parquet(inputs["forwards"])
    tables = compute(quotes, forwards, params["section"])
    for name, schema in TABLES.items():
        pq.write_table(to_table(tables[name], schema), outputs[name])
    s = tables["svi_params"]
    fitted = s[np.isfinite(s["a"])] if len(s) else s
    log.info("surfaces: %d slices, %d fitted (status %s; off_market because %s); median RMSE %.4f vol points; "
             "fitted vols inside bid/ask for %.1f%% of the OTM two-sided quotes; %d slices with butterfly arbitrage, "
             "%d with calendar arbitrage; %d fair values",
             len(s), len(fitted), s["status"].value_counts().to_dict() if len(s) else {},
             s["off_market_reason"].value_counts().to_dict() if len(s) else {},
             float(np.nanmedian(fitted["rmse_vol"])) if len(fitted) else np.nan,
             100.0 * float((fitted["frac_inside"] * fitted["n_eval_quotes"]).sum()
                           / max(fitted["n_eval_quotes"].sum(), 1)),
             int((~fitted["butterfly_ok"]).sum()) if len(fitted) else 0,
             int((fitted["calendar_violations"] > 0).sum()) if len(fitted) else 0, len(tables["fair_values"]))
