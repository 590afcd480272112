"""Report section of the surfaces stage (``results/report/sections/surfaces.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.report import captions
from jaxmm.stages.surfaces.compute import JW_NAMES, PARAM_NAMES, SLICE_KEYS, SNAPSHOT_KEYS

TEXT = captions("surfaces")   # this section's prose: jaxmm/report/captions/surfaces.md


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: fit quality and arbitrage table, smiles, total variance, g(k),
    SSVI parameters, richest / cheapest options."""
    from jaxmm.report import Section

    sec = Section("Volatility surfaces and fair values", order=25, figure_dir=outputs["figures"])
    s = pd.read_parquet(inputs["svi_params"])
    ssvi = pd.read_parquet(inputs["ssvi_params"])
    fair = pd.read_parquet(inputs["fair_values"])
    ranked = pd.read_parquet(inputs["rich_cheap"])
    sec.text(TEXT["text_raw_svi_expiry_root"])
    if not len(s):
        sec.text(TEXT["text_slices_forward_nothing_fitted"])
        sec.write(outputs["section"])
        return
    cols = ["source", "root", "quote_date", "expiry", "t", "status", "off_market_reason", "n_fit_quotes", "rmse_vol",
            "frac_inside", "max_abs_residual", "min_g", "calendar_violations"]
    sec.table(s[cols], TEXT["table_slice_checked_every_otm"], max_rows=60, max_columns=len(cols),
              units={"t": "years", "rmse_vol": "vol", "max_abs_residual": "half-spreads"},
              formats={"t": "{:.3f}", "rmse_vol": "{:.4f}", "frac_inside": "{:.0%}", "min_g": "{:.3g}"},
              full="../surfaces/svi_params.parquet")
    sec.table(s[["source", "root", "quote_date", "expiry", *PARAM_NAMES]], TEXT["table_svi_parameters_raw_jump"],
              max_rows=60, full="../surfaces/svi_params.parquet")
    if len(ssvi):
        sec.table(ssvi[SNAPSHOT_KEYS + ["rho", "eta", "gamma", "status", "iterations", "n_slices", "rmse_vol"]],
                  TEXT["table_ssvi_power_law_phi"], units={"rmse_vol": "vol"}, full="../surfaces/ssvi_params.parquet")
    _smile_figure(sec, s, fair)
    _variance_figure(sec, s)
    if len(ranked):
        cols = ["side", "rank", "quote_date", "expiry", "strike", "right", "bid", "ask", "fair_value",
                "residual_half_spreads", "mid_iv", "fair_iv"]
        sec.table(ranked[cols], TEXT["table_richest_cheapest_options_fit"],
                  max_rows=2 * 20 * max(len(ranked.groupby(SNAPSHOT_KEYS)), 1), max_columns=len(cols),
                  units={"bid": "USD", "ask": "USD", "fair_value": "USD", "residual_half_spreads": "half-spreads"},
                  formats={"mid_iv": "{:.1%}", "fair_iv": "{:.1%}", "residual_half_spreads": "{:.2f}",
                           "strike": "{:g}"}, full="../surfaces/rich_cheap.parquet")
    sec.write(outputs["section"])


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    first = frame[frame["source"] == frame["source"].iloc[0]]
    return first[first["quote_date"] == first["quote_date"].max()]


def _smile_figure(sec, s: pd.DataFrame, fair: pd.DataFrame) -> None:
    """Latest snapshot of the first source: bid/ask IV bars, SVI and SSVI fits per expiry."""
    import jax.numpy as jnp

    from jaxmm.surfaces import svi
    from jaxmm.report import new_figure

    fitted = _latest(s[np.isfinite(s["a"])]) if np.isfinite(s["a"]).any() else s.iloc[:0]
    if not len(fitted):
        return
    expiries = list(fitted.sort_values("t")["expiry"])
    ncols = min(4, len(expiries))
    nrows = -(-len(expiries) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.4 * ncols, 2.8 * nrows), squeeze=False, sharey=False)
    for ax, (_, row) in zip(axes.flat, fitted.sort_values("t").iterrows()):
        g = fair[(fair[SLICE_KEYS] == row[SLICE_KEYS]).all(axis=1) & fair["otm"] & (fair["bid"] > 0)]
        g = g.sort_values("log_moneyness")
        inside = g["in_fit"].to_numpy(bool)
        for mask, colour in ((inside, "C0"), (~inside, "0.6")):
            h = g[mask]
            ax.errorbar(h["log_moneyness"], h["mid_iv"], yerr=[(h["mid_iv"] - h["bid_iv"]).clip(lower=0).fillna(0),
                                                                (h["ask_iv"] - h["mid_iv"]).clip(lower=0).fillna(0)],
                        fmt="none", lw=0.8, color=colour)
        k = np.linspace(g["log_moneyness"].min(), g["log_moneyness"].max(), 200) if len(g) else np.linspace(-0.5, 0.5, 2)
        p = row[list(PARAM_NAMES)].to_numpy(float)
        ax.plot(k, np.asarray(svi.implied_vol(jnp.asarray(p), jnp.asarray(k), row["t"])), "r-", lw=1, label="SVI")
        if np.isfinite(row.get("ssvi_theta", np.nan)) and len(g):
            ax.plot(g["log_moneyness"], g["ssvi_iv"], "g--", lw=0.8, label="SSVI")
        ax.set_title(f"{row['root']} {row['expiry']} (t={row['t']:.2f}, {row['status']})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(expiries):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("log-moneyness ln(K/F)"); fig.supylabel("implied vol")
    fig.tight_layout()
    sec.figure(fig, "smiles", TEXT["figure_smiles"].format(source=fitted['source'].iloc[0], quote_date=fitted['quote_date'].iloc[0]))


def _variance_figure(sec, s: pd.DataFrame) -> None:
    """Total variance w(k) by expiry and g(k), latest snapshot of the first source."""
    import jax.numpy as jnp

    from jaxmm.surfaces import svi
    from jaxmm.report import new_figure

    fitted = _latest(s[np.isfinite(s["a"])]) if np.isfinite(s["a"]).any() else s.iloc[:0]
    if not len(fitted):
        return
    k = np.linspace(-0.6, 0.4, 201)
    fig, (ax1, ax2) = new_figure(1, 2, figsize=(11, 4))
    for _, row in fitted.sort_values("t").iterrows():
        p = jnp.asarray(row[list(PARAM_NAMES)].to_numpy(float))
        ax1.plot(k, np.asarray(svi.raw_total_variance(p, jnp.asarray(k))), lw=0.8, label=str(row["expiry"]))
        ax2.plot(k, np.asarray(svi.butterfly_g(p, jnp.asarray(k))), lw=0.8)
    ax1.set_title("total implied variance w(k) by expiry (must not cross)"); ax1.set_xlabel("k")
    ax2.axhline(0.0, color="k", lw=0.6)
    ax2.set_title("butterfly function g(k) (density >= 0 where g >= 0)"); ax2.set_xlabel("k")
    ax1.legend(fontsize=6, ncol=2)
    sec.figure(fig, "total_variance", TEXT["figure_total_variance"])
