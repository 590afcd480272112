"""Report section of the mm stage (``results/report/sections/mm.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.report import captions
from jaxmm.stages.mm.compute import TABLES

TEXT = captions("mm")   # this section's prose: jaxmm/report/captions/mm.md


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: the paper table, the policy x gamma summary, scenarios, figures of a
    sample path, P&L histograms and gamma sensitivity; the prediction-market study."""
    from jaxmm.report import Section

    sec = Section("Market making: Avellaneda-Stoikov, GLFT and fair-value quoting", order=40,
                  figure_dir=outputs["figures"])
    t = {name: pd.read_parquet(inputs[name]) for name in TABLES}
    s, paper = t["as_summary"], t["as_paper_table"]
    base = s[s["scenario"] == "base"]
    r0 = base.iloc[0]
    sec.text(TEXT["text_batched_monte_carlo_quoting"].format(s0=r0['s0'], T=r0['T'], sigma=r0['sigma'], k=r0['k'], A=r0['A'], n_steps=r0['n_steps'], mid=r0['mid'], fill=r0['fill'], n_paths=r0['n_paths'], fill_probability='lambda(delta) dt' if r0['fill'] == 'linear' else '1 - exp(-lambda(delta) dt)'))
    if len(paper):
        wide = paper.pivot_table(index=["version", "gamma", "policy"], columns="column",
                                 values=["paper", "ours"], aggfunc="first")
        wide.columns = [f"{c}_{v}" for v, c in wide.columns]
        wide = wide.reset_index()
        ok = paper.groupby(["version", "gamma", "policy"])["reproduces"].all().reset_index()
        worst = paper.loc[paper["z"].abs().fillna(0).groupby([paper["version"], paper["gamma"],
                                                                paper["policy"]]).idxmax()]
        wide = wide.merge(ok, on=["version", "gamma", "policy"]).merge(
            worst[["version", "gamma", "policy", "column", "z"]].rename(columns={"column": "worst_cell",
                                                                                  "z": "worst_z"}),
            on=["version", "gamma", "policy"])
        order = [f"{c}_{v}" for c in ("spread", "profit", "std_profit") for v in ("paper", "ours")]
        cols = ["version", "gamma", "policy", *order, "reproduces", "worst_cell", "worst_z"]
        sec.table(wide[cols], TEXT["table_avellaneda_stoikov_section_paper"], max_columns=len(cols),
                  formats={"worst_z": "{:.1f}"}, full="../mm/as_paper_table.parquet")
        n_fail = int((~paper["reproduces"]).sum())
        sec.text(TEXT["text_paper_cells_reproduce_do"].format(n_reproduced=int(paper['reproduces'].sum()), n_cells=len(paper), n_fail=n_fail))
    cols = ["policy", "gamma", "mean_profit", "se_profit", "std_profit", "sharpe", "profit_p05", "profit_p95",
            "std_final_q", "mean_spread", "mean_max_drawdown", "status"]
    sec.table(base.sort_values(["gamma", "policy"])[cols], TEXT["table_terminal_p_l_inventory"],
              formats={"mean_profit": "{:.2f}", "se_profit": "{:.2f}", "std_profit": "{:.2f}", "sharpe": "{:.2f}",
                       "profit_p05": "{:.1f}", "profit_p95": "{:.1f}", "std_final_q": "{:.2f}",
                       "mean_spread": "{:.3f}", "mean_max_drawdown": "{:.2f}"}, full="../mm/as_summary.parquet")
    scen = s[s["scenario"] != "base"]
    if len(scen):
        sec.table(scen[["scenario", "policy", "gamma", "mean_profit", "se_profit", "std_profit", "sharpe",
                        "std_final_q", "mean_max_drawdown"]],
                  TEXT["table_scenarios_scenario_gamma_fees"], max_rows=80,
                  formats={"mean_profit": "{:.2f}", "se_profit": "{:.2f}", "std_profit": "{:.2f}", "sharpe": "{:.2f}",
                           "std_final_q": "{:.2f}", "mean_max_drawdown": "{:.2f}"}, full="../mm/as_summary.parquet")
    _as_figures(sec, base, t["as_sample_path"], t["as_pnl_hist"])
    _fair_value_section(sec, t)
    sec.write(outputs["section"])


def _as_figures(sec, base: pd.DataFrame, path: pd.DataFrame, hist: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    fig, axes = new_figure(2, 1, figsize=(11, 6), sharex=True)
    first = path["policy"].iloc[0]
    p0 = path[path["policy"] == first]
    axes[0].plot(p0["t"], p0["mid"], color="k", lw=0.8, label="mid")
    for policy, g in path.groupby("policy", sort=False):
        axes[0].plot(g["t"], g["bid"], lw=0.6, label=f"{policy} bid")
        axes[0].plot(g["t"], g["ask"], lw=0.6, ls="--", label=f"{policy} ask")
        axes[1].step(g["t"], g["inventory"], where="post", lw=0.9, label=policy)
    axes[0].set_ylabel("price")
    axes[1].set_ylabel("inventory")
    axes[1].set_xlabel("t")
    axes[0].legend(fontsize=6, ncol=3)
    axes[1].legend(fontsize=7)
    sec.figure(fig, "sample_path", TEXT["figure_sample_path"])
    gammas = sorted(hist["gamma"].unique())
    fig, axes = new_figure(1, len(gammas), figsize=(4 * len(gammas), 3.5), squeeze=False)
    for ax, g in zip(axes[0], gammas):
        for policy, h in hist[hist["gamma"] == g].groupby("policy", sort=False):
            ax.stairs(h["count"], np.append(h["bin_lo"].to_numpy(), h["bin_hi"].iloc[-1]), label=policy)
        ax.set_title(f"gamma {g:g}")
        ax.set_xlabel("terminal P&L")
    axes[0][0].legend(fontsize=7)
    sec.figure(fig, "pnl_histograms", TEXT["figure_pnl_histograms"])
    fig, axes = new_figure(1, 3, figsize=(14, 3.8))
    for policy, g in base.sort_values("gamma").groupby("policy", sort=False):
        axes[0].errorbar(g["gamma"], g["mean_profit"], yerr=2 * g["se_profit"], marker="o", ms=3, label=policy)
        axes[1].plot(g["gamma"], g["std_profit"], marker="o", ms=3, label=policy)
        axes[2].plot(g["gamma"], g["std_final_q"], marker="o", ms=3, label=policy)
    for ax, title in zip(axes, ("mean P&L (+-2 se)", "std of P&L", "std of final inventory")):
        ax.set_xscale("log")
        ax.set_xlabel("gamma")
        ax.set_title(title)
    axes[0].legend(fontsize=7)
    sec.figure(fig, "gamma_sensitivity", TEXT["figure_gamma_sensitivity"])


def _fair_value_section(sec, t: dict) -> None:
    from jaxmm.report import new_figure

    series, deltas, hedging, path = t["fv_series"], t["fv_deltas"], t["fv_hedging"], t["fv_sample_path"]
    sec.text(TEXT["text_fair_value_market_making"])
    sec.table(deltas, TEXT["table_implied_call_spread_delta"], float_format="{:.5g}")
    d = pd.to_datetime(series["date"])
    fig, axes = new_figure(1, 2, figsize=(13, 4))
    axes[0].plot(d, series["pm_price"], lw=1.0, label="market price")
    axes[0].plot(d, series["fair_value"], lw=1.0, label="call-spread fair value")
    twin = axes[0].twinx()
    twin.plot(d, series["futures"], color="grey", lw=0.6, ls=":", label="futures")
    twin.set_ylabel("futures")
    axes[0].set_ylabel("probability")
    axes[0].legend(fontsize=7, loc="upper left")
    axes[0].tick_params(axis="x", labelrotation=30, labelsize=7)
    axes[0].set_title("heartbeat: market price around fair value")
    lv = deltas.set_index("regression")
    x = np.linspace(series["futures"].min(), series["futures"].max(), 50)
    for col, name, label in (("pm_price", "level_pm", "market"), ("fair_value", "level_fair", "fair value")):
        axes[1].scatter(series["futures"], series[col], s=8, label=label)
        r = lv.loc[name]
        axes[1].plot(x, r["intercept"] + r["slope"] * x, lw=1.0, label=f"{label}: slope {r['slope']:.4f}")
    axes[1].set_xlabel("futures")
    axes[1].set_ylabel("probability")
    axes[1].legend(fontsize=7)
    axes[1].set_title("slopes against the futures (the delta)")
    fig.tight_layout()
    sec.figure(fig, "fair_value_heartbeat", TEXT["figure_fair_value_heartbeat"])
    sec.table(hedging[["hedge_threshold", "mean_pnl", "se_pnl", "std_pnl", "pnl_p05", "pnl_p95", "mean_edge",
                       "mean_hedge_cost", "mean_n_hedges", "std_final_q"]],
              TEXT["table_quoting_around_fair_value"].format(n_paths=int(hedging["n_paths"].iloc[0]),
                                                             overreaction=hedging["overreaction"].iloc[0]),
              full="../mm/fv_hedging.parquet")
    fig, axes = new_figure(1, 2, figsize=(13, 4))
    axes[0].plot(hedging["mean_hedge_cost"], hedging["std_pnl"], marker="o")
    for _, r in hedging.iterrows():
        axes[0].annotate(f"{r['hedge_threshold']:g}", (r["mean_hedge_cost"], r["std_pnl"]), fontsize=7)
    axes[0].set_xlabel("mean hedging cost ($)")
    axes[0].set_ylabel("std of P&L ($)")
    axes[0].set_title("risk vs hedging cost (labels: hedge threshold)")
    axes[1].plot(path["t"], path["pm"], lw=0.6, label="market")
    axes[1].plot(path["t"], path["fair"], lw=1.0, label="fair value")
    axes[1].fill_between(path["t"], path["bid"], path["ask"], alpha=0.3, label="MM bid-ask")
    twin = axes[1].twinx()
    twin.step(path["t"], path["inventory"], where="post", color="k", lw=0.6, label="contracts held")
    twin.set_ylabel("contracts")
    axes[1].set_xlabel("years")
    axes[1].legend(fontsize=7, loc="upper left")
    axes[1].set_title("one simulated path")
    sec.figure(fig, "fair_value_hedging", TEXT["figure_fair_value_hedging"])
