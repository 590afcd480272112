"""Report section of the backtest stage (``results/report/sections/backtest.json``)."""

from __future__ import annotations

import pandas as pd

from jaxmm.report import captions
from jaxmm.settings import BacktestSettings
from jaxmm.stages.backtest.compute import STRATEGY_KEYS, TABLES

TEXT = captions("backtest")   # this section's prose: jaxmm/report/captions/backtest.md


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: metrics vs buy & hold, crisis windows, rule breaches, equity and
    drawdown curves, book Greeks through time."""
    from jaxmm.report import Section

    sec = Section("Option writing: covered calls and cash-secured puts", order=60, figure_dir=outputs["figures"])
    t = {name: pd.read_parquet(inputs[name]) for name in TABLES}
    m = t["metrics"]
    import inspect

    from jaxmm.backtest.option_writing import strategy_config

    s = BacktestSettings.of(params["section"])
    library = inspect.signature(strategy_config).parameters
    d = {k: library[k].default if getattr(s.defaults, k) is None else getattr(s.defaults, k) for k in STRATEGY_KEYS}
    dividends = ("dividends ignored for the strategies and buy & hold alike (price index)" if not s.div_yield
                 else f"a dividend yield of {s.div_yield:g} priced in and accrued")
    sec.text(TEXT["text_option_prices_are_modelled"].format(iv_window=s.iv_window, iv_premium=s.iv_premium, skew=d['skew'], rate=s.rate, dividends=dividends, dte_min=d['dte_min'], dte_max=d['dte_max'], profit_take=d['profit_take'], dte_close=d['dte_close']))
    cols = ["underlying", "strategy", "start", "end", "cagr", "ann_vol", "sharpe", "max_drawdown", "worst_month",
            "n_entries", "n_assigned", "vol_index_days"]
    sec.table(m[cols], TEXT["table_performance_against_buy_hold"], max_columns=len(cols),
              formats={"cagr": "{:.2%}", "ann_vol": "{:.1%}", "sharpe": "{:.2f}", "max_drawdown": "{:.1%}",
                       "worst_month": "{:.1%}"}, full="../backtest/metrics.parquet")
    c = t["crisis"]
    if len(c):
        wide = c.pivot_table(index=["underlying", "strategy"], columns="window", values="return",
                             aggfunc="first").reset_index()
        sec.table(wide, TEXT["table_return_each_crisis_window"], float_format="{:.3f}")
    b = t["breaches"]
    counts = (b.groupby(["underlying", "strategy", "rule"]).size().rename("days").reset_index() if len(b)
              else pd.DataFrame(columns=["underlying", "strategy", "rule", "days"]))
    sec.text(TEXT["text_seed_s_inventory_rules"])
    sec.table(counts, TEXT["table_days_breach_rule_rules"])
    _figures(sec, t["equity"], t["greeks"])
    sec.write(outputs["section"])


def _figures(sec, eq: pd.DataFrame, greeks: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    for name, g in eq.groupby("underlying", sort=False):
        fig, axes = new_figure(2, 1, figsize=(11, 6), sharex=True)
        for strategy, s in g.groupby("strategy", sort=False):
            d = pd.to_datetime(s["date"])
            axes[0].plot(d, s["equity"], lw=0.9, label=strategy)
            axes[1].plot(d, s["drawdown"], lw=0.8, label=strategy)
        axes[0].set_yscale("log")
        axes[0].set_ylabel("equity (start = 1)")
        axes[1].set_ylabel("drawdown")
        axes[0].legend(fontsize=7)
        sec.figure(fig, f"equity_{name}", TEXT["figure_equity"].format(name=name))
        gg = greeks[greeks["underlying"] == name]
        fig, axes = new_figure(2, 2, figsize=(12, 6), sharex=True)
        for ax, col, title in zip(axes.flat, ("delta_frac", "gamma_frac", "vega_frac", "theta_frac"),
                                  ("delta x S / book", "gamma x S^2 / (100 book): delta change per 1%",
                                   "vega per vol point / book", "theta per day / book")):
            for strategy, s in gg.groupby("strategy", sort=False):
                ax.plot(pd.to_datetime(s["date"]), s[col], lw=0.6, label=strategy)
            ax.set_title(title, fontsize=9)
        axes[0][0].legend(fontsize=6)
        sec.figure(fig, f"greeks_{name}", TEXT["figure_greeks"].format(name=name))
