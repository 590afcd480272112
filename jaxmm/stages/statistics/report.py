"""Report section of the statistics stage (``results/report/sections/statistics.json``)."""

from __future__ import annotations

import pandas as pd

from jaxmm.report import captions
from jaxmm.stages.statistics.compute import Status, TABLES

TEXT = captions("statistics")   # this section's prose: jaxmm/report/captions/statistics.md


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: h / h2 and the gamma-neutral ratio through time, the summary, the
    portfolio, vol beta, naive vs effective deltas, event vol, IV vs RV, ETF premia."""
    from jaxmm.report import Section

    sec = Section("Term-structure and volatility statistics", order=30, figure_dir=outputs["figures"])
    t = {name: pd.read_parquet(inputs[name]) for name in TABLES}
    hedge, summary = t["hedge_ratios"], t["hedge_summary"]
    sec.text(TEXT["text_hedge_ratio_between_futures"])
    if len(summary):
        sec.table(summary[["source", "pair", "statistic", "latest_date", "latest", "mean", "min", "max", "n_obs"]],
                  TEXT["table_hedge_ratio_summary_latest"], max_rows=80, full="../statistics/hedge_summary.parquet")
        _hedge_figure(sec, hedge, summary)
    else:
        sec.text(TEXT["text_futures_tenor_pair_has"])
    risk = t["portfolio_risk"]
    if len(risk):
        cols = ["level", "tenor", "h", "h_source", "price", "vol", "n_positions", "delta", "front_delta", "gamma",
                "front_gamma", "vega", "theta"]
        sec.table(risk[cols], TEXT["table_portfolio_risk_raw_front"].format(
                      source=risk["source"].iloc[0], positions_file=risk["positions_file"].iloc[0],
                      date=risk["date"].iloc[0]),
                  max_columns=len(cols), formats={"vol": "{:.1%}", "h": "{:.3f}"},
                  full="../statistics/portfolio_risk.parquet")
    else:
        sec.text(TEXT["text_positions_file_configured_statistics"])
    _vol_beta_section(sec, t["vol_beta"])
    _effective_delta_section(sec, t["effective_deltas"])
    ev = t["event_vol"]
    if len(ev):
        sec.text(TEXT["text_event_vol_term_variance"])
        sec.table(ev[["name", "solved_for", "term_vol", "dte", "p", "event_vol", "daily_vol", "event_move",
                      "daily_move", "status"]], TEXT["table_event_vol_examples_vols"])
    _premium_section(sec, t["vol_premium"], t["etf_premium"])
    sec.write(outputs["section"])


def _hedge_figure(sec, hedge: pd.DataFrame, summary: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    keys = summary[["source", "pair"]].drop_duplicates()
    fig, axes = new_figure(1, 3, figsize=(15, 4))
    for _, k in keys.iterrows():
        g = hedge[(hedge["source"] == k["source"]) & (hedge["pair"] == k["pair"]) & (hedge["status"] == Status.OK)]
        d = pd.to_datetime(g["date"])
        label = f"{k['source']} {k['pair']}"
        axes[0].plot(d, g["h"], lw=0.9, label=f"h {label}")
        axes[0].plot(d, g["h2"], lw=0.9, label=f"h2 {label}")
        axes[1].plot(d, g["front_vol"], lw=0.9, label=f"front vol {label}")
        axes[1].plot(d, g["back_vol"], lw=0.9, label=f"back vol {label}")
        axes[1].plot(d, g["corr"], lw=0.9, ls=":", label=f"corr {label}")
        axes[2].semilogy(d, g["gamma_neutral_contracts"], lw=0.9, label=f"gamma-neutral {label}")
        axes[2].semilogy(d, g["contracts_per_front"].abs(), lw=0.9, ls="--", label=f"|1/h| {label}")
    axes[0].set_title("hedge ratio h and gamma weight h2")
    axes[1].set_title("trailing realised vols and correlation")
    axes[2].set_title("back contracts per front contract")
    for ax in axes:
        ax.legend(fontsize=6)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    sec.figure(fig, "hedge_ratios", TEXT["figure_hedge_ratios"])


def _vol_beta_section(sec, vb: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    ok = vb[vb["status"] == Status.OK]
    if ok.empty:
        sec.text(TEXT["text_vol_series_configured_statistics"])
        return
    latest = ok.groupby("series").tail(1)[["series", "date", "slope", "slope_se", "corr", "n"]]
    sec.table(latest, TEXT["table_vol_beta_slope_vol"])
    series = list(ok["series"].unique())
    fig, axes = new_figure(1, len(series), figsize=(6 * len(series), 3.6), squeeze=False)
    for ax, name in zip(axes.flat, series):
        g = ok[ok["series"] == name]
        d = pd.to_datetime(g["date"])
        ax.plot(d, g["slope"], lw=0.8)
        ax.fill_between(d, g["slope"] - 2 * g["slope_se"], g["slope"] + 2 * g["slope_se"], alpha=0.25, lw=0)
        ax.axhline(-1.0, color="grey", lw=0.6, ls="--")
        ax.set_title(f"{name}: vol beta +- 2 se", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    sec.figure(fig, "vol_beta", TEXT["figure_vol_beta"])


def _effective_delta_section(sec, eff: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    if eff.empty:
        sec.text(TEXT["text_chain_quotes_mid_iv"])
        return
    src = eff["source"].iloc[0]
    e = eff[(eff["source"] == src) & (eff["quote_date"] == eff.loc[eff["source"] == src, "quote_date"].max())]
    expiry, root = e.loc[(e["t"] - 30 / 365).abs().idxmin(), ["expiry", "root"]]   # the slice nearest a month
    e = e[(e["expiry"] == expiry) & (e["root"] == root) & (e["right"] == "C")]
    near = e[e["log_moneyness"].abs() <= 0.03]
    table = near.pivot_table(index=["strike", "delta", "mid_iv"], columns="slope", values="effective_delta")
    table.columns = [f"effective delta, slope {s:g}" for s in table.columns]
    sec.table(table.reset_index(), TEXT["table_expiry_calls_near_money"].format(src=src, quote_date=e['quote_date'].iloc[0], expiry=expiry), max_rows=30)
    fig, axes = new_figure(1, 1, figsize=(7, 4), squeeze=False)
    ax = axes[0, 0]
    for slope, g in e.groupby("slope"):
        ax.plot(g["strike"], g["effective_delta"], lw=0.9, label=f"slope {slope:g}")
    ax.set_xlabel("strike"); ax.set_ylabel("call delta"); ax.legend(fontsize=7)
    ax.set_title(f"{src} {expiry}: naive (slope 0) vs effective delta", fontsize=9)
    sec.figure(fig, "effective_deltas", TEXT["figure_effective_deltas"])


def _premium_section(sec, vp: pd.DataFrame, etf: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    idx = vp[(vp["kind"] == "index") & (vp["status"] == Status.OK)]
    chain = vp[vp["kind"] == "chain_atm"]
    if len(idx):
        latest = idx.groupby("series").agg(latest_date=("date", "last"), implied_vol=("implied_vol", "last"),
                                           realised_vol=("realised_vol", "last"), premium=("premium", "last"),
                                           mean_premium=("premium", "mean"),
                                           share_positive=("premium", lambda s: float((s > 0).mean())),
                                           mean_premium_forward=("premium_forward", "mean")).reset_index()
        sec.table(latest, TEXT["table_vol_risk_premium_implied"])
    if len(chain):
        sec.table(chain[["series", "date", "expiry", "t", "implied_vol", "iv_source", "realised_vol", "premium", "status"]],
                  TEXT["table_chain_atm_iv_term"],
                  max_rows=40)
    names = list(idx["series"].unique())
    if names or len(chain):
        n_panels = len(names) + (1 if len(chain) else 0)
        fig, axes = new_figure(1, n_panels, figsize=(6 * n_panels, 3.8), squeeze=False)
        for ax, name in zip(axes.flat, names):    # one panel per index: their histories need not overlap
            g = idx[idx["series"] == name]
            d = pd.to_datetime(g["date"])
            ax.plot(d, g["implied_vol"], lw=0.7, label="implied")
            ax.plot(d, g["realised_vol"], lw=0.7, label="trailing realised")
            ax.set_title(f"{name}: implied vs realised vol", fontsize=9); ax.legend(fontsize=6)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        if len(chain):
            ax = axes.flat[-1]
            for (name, day), g in chain.groupby(["series", "date"]):
                ax.plot(g["t"], g["implied_vol"], "o-", ms=3, lw=0.8, label=f"{name} {day} ATM IV")
                ax.axhline(g["realised_vol"].iloc[0], lw=0.6, ls="--", color=ax.lines[-1].get_color())
            ax.set_title("chain ATM IV by expiry (dashed: trailing realised)", fontsize=9)
            ax.set_xlabel("t (years)"); ax.legend(fontsize=6)
        sec.figure(fig, "vol_premium", TEXT["figure_vol_premium"])
    if len(etf):
        latest = etf[etf["status"] == Status.OK].groupby(["series", "kind"]).agg(
            latest_date=("date", "last"), premium=("premium", "last"), zscore=("zscore", "last"),
            mean=("premium", "mean"), std=("premium", "std"), max_abs_zscore=("zscore", lambda s: s.abs().max())
        ).reset_index()
        sec.table(latest, TEXT["table_etf_premium_nav_price"])
        fig, axes = new_figure(1, 2, figsize=(14, 4))
        for (name, kind), g in etf.groupby(["series", "kind"]):
            d = pd.to_datetime(g["date"])
            axes[0].plot(d, 1e4 * g["premium"], lw=0.7, label=f"{name} ({kind})")
            axes[1].plot(d, g["zscore"], lw=0.7, label=name)
        axes[0].set_title("premium to NAV / spread (bp)"); axes[1].set_title("rolling z-score")
        for ax in axes:
            ax.legend(fontsize=6)
            ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        sec.figure(fig, "etf_premium", TEXT["figure_etf_premium"])
    else:
        sec.text(TEXT["text_etf_funds_configured_statistics"])
