"""Report section of the hedging stage (``results/report/sections/hedging.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.report import captions
from jaxmm.stages.hedging.compute import TABLES

TEXT = captions("hedging")   # this section's prose: jaxmm/report/captions/hedging.md


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: validation against the published results, the delta-hedging grid,
    hedging error vs N, P&L at implied vs actual vol, cost drag, vol-path hedging and the
    time-spread sizings."""
    from jaxmm.report import Section

    sec = Section("Hedging: discrete delta hedging, vol paths and tenor time spreads", order=50,
                  figure_dir=outputs["figures"])
    t = {name: pd.read_parquet(inputs[name]) for name in TABLES}
    v, g = t["validation"], t["delta_grid"]
    sec.text(TEXT["text_batched_delta_hedging_monte"])
    sec.table(v, TEXT["table_published_results_beside_this"], float_format="{:.4g}")
    cols = ["kind", "n_steps", "hedge_vol", "actual_vol", "cost", "band", "mean_pnl", "se_pnl", "std_pnl", "pnl_p05",
            "pnl_p95", "mean_rebalances"]
    sec.table(g[cols], TEXT["table_delta_hedging_grid_p"], max_rows=200, max_columns=len(cols),
              formats={"mean_pnl": "{:.3f}", "se_pnl": "{:.3f}", "std_pnl": "{:.3f}", "pnl_p05": "{:.3f}",
                       "pnl_p95": "{:.3f}", "mean_rebalances": "{:.1f}"}, full="../hedging/delta_grid.parquet")
    _delta_figures(sec, v, g, t["pnl_hist"])
    vp = t["vol_path"]
    sec.text(TEXT["text_vol_moving_spot_option"])
    sec.table(vp[vp["delta"] == "effective"][["regime", "realised", "slope", "slope_source", "variance_ratio",
                                              "mtm_ratio", "variance", "mtm", "n_paths", "n_steps"]],
              TEXT["table_effective_over_black_delta"], max_rows=80, full="../hedging/vol_path.parquet")
    _vol_path_figure(sec, vp)
    ts = t["time_spread"]
    sec.text(TEXT["text_time_spreads_across_futures"])
    sec.table(ts[["regime", "sizing", "h2", "corr", "contracts", "front_gamma", "net_vega", "mean_pnl", "std_pnl",
                  "slope_front_var", "slope_se", "slope_predicted"]],
              TEXT["table_spread_sizings_greeks_carried"], full="../hedging/time_spread.parquet")
    sec.write(outputs["section"])


def _delta_figures(sec, v: pd.DataFrame, g: pd.DataFrame, hist: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    fig, axes = new_figure(1, 3, figsize=(15, 4))
    dk = v[v["check"] == "derman_kamal"]
    if len(dk):
        axes[0].loglog(dk["n_steps"], dk["ours"], "o", label="simulated sd")
        axes[0].loglog(dk["n_steps"], dk["published"], "-", label="sqrt(pi/(4N)) vega sigma")
    flat = g[(g["hedge_vol"] == g["actual_vol"]) & (g["hedge_vol"] == g["implied_vol"]) & (g["cost"] == 0)
             & (g["band"] == 0)]
    for kind, k in flat.groupby("kind"):
        axes[0].loglog(k["n_steps"], k["std_pnl"], "s--", ms=4, label=f"grid: {kind}")
    axes[0].set_xlabel("rebalancing times N")
    axes[0].set_ylabel("sd of the hedging error")
    axes[0].set_title("hedging error vs N (slope -1/2)")
    axes[0].legend(fontsize=7)
    for case, h in hist.groupby("case"):
        axes[1].stairs(h["count"], np.append(h["bin_lo"].to_numpy(), h["bin_hi"].iloc[-1]), label=case)
    axes[1].set_xlabel("P&L")
    axes[1].set_title("Ahmad & Wilmott: hedging at implied vs actual vol")
    axes[1].legend(fontsize=7)
    costs = g[(g["band"] == 0) & (g["hedge_vol"] == g["actual_vol"])]
    for (kind, n), k in costs.groupby(["kind", "n_steps"]):
        k = k.groupby("cost")["mean_cost"].mean()
        axes[2].plot(k.index, -k.to_numpy(), marker="o", label=f"{kind} N={n}")
    axes[2].set_xlabel("one-way cost")
    axes[2].set_ylabel("mean cost drag")
    axes[2].set_title("cost drag")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    sec.figure(fig, "delta_hedging", TEXT["figure_delta_hedging"])


def _vol_path_figure(sec, vp: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    eff = vp[vp["delta"] == "effective"].sort_values("slope")
    fig, axes = new_figure(1, 2, figsize=(12, 4))
    for (regime, realised), r in eff.groupby(["regime", "realised"]):
        axes[0].plot(r["slope"], r["variance_ratio"], marker="o", label=f"{regime}, {realised}")
        axes[1].plot(r["slope"], r["mtm_ratio"], marker="o", label=f"{regime}, {realised}")
    for ax, title in zip(axes, ("terminal hedging-error variance", "marked daily P&L variance")):
        ax.axhline(1.0, color="k", lw=0.6)
        ax.set_xlabel("vol-path slope")
        ax.set_title(f"effective / Black delta: {title}", fontsize=9)
        ax.legend(fontsize=6)
    sec.figure(fig, "vol_path", TEXT["figure_vol_path"])
