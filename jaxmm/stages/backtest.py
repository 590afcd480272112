"""Backtest stage: covered calls and cash-secured puts on real and synthetic daily series.

Seed 000's option-writing "factory", done on data: every configured strategy runs on
every configured underlying in one jitted call per underlying
(:func:`jaxmm.backtest.option_writing.backtest`). **Option prices are modelled, not
traded quotes**: Black-Scholes at the underlying's vol index where it has one, else
trailing realised vol plus ``iv_premium``.

Tables (``results/backtest/``; columns in :mod:`jaxmm.io.schemas`): ``equity`` (daily
equity, drawdown and the option held, per underlying and strategy, buy & hold included),
``metrics`` (CAGR, vol, Sharpe, max drawdown, best and worst month, activity and costs),
``crisis`` (returns in the crisis windows), ``greeks`` (the book's delta, gamma, vega and
theta through time) and ``breaches`` (seed 000's inventory rules, day by day).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from jaxmm.io import schemas
from jaxmm.settings import BacktestSettings, Strategy, Underlying
from jaxmm.stages.frames import daily_series, to_table

log = logging.getLogger(__name__)

BUY_AND_HOLD = "buy_and_hold"
STRATEGY_KEYS = ("otm", "dte_min", "dte_max", "profit_take", "dte_close", "strike_step", "opt_cost_abs",
                 "opt_cost_rel", "stock_cost_bps", "skew")


def _series(daily: pd.DataFrame, spec, key: str) -> pd.Series:
    return daily_series(daily, spec, key).set_index("date")["value"]


def strategy_keys(section: BacktestSettings, strategy: Strategy) -> dict:
    """The strategy keys of ``strategy`` over ``section.defaults``; keys neither sets are left
    out (``jaxmm.backtest.option_writing.strategy_config``'s defaults apply)."""
    merged = {k: getattr(section.defaults, k) for k in STRATEGY_KEYS}
    merged.update({k: getattr(strategy, k) for k in STRATEGY_KEYS if getattr(strategy, k) is not None})
    return {k: float(v) for k, v in merged.items() if v is not None}


def configs(section: BacktestSettings | dict):
    """The batched ``StrategyConfig`` of ``section.strategies`` (each entry's keys over
    ``section.defaults``) and their names."""
    from jaxmm.backtest.option_writing import stack_configs, strategy_config

    section = BacktestSettings.of(section)
    names, cfgs = [], []
    for s in section.strategies:
        names.append(s.name)
        cfgs.append(strategy_config(kind=s.kind, **strategy_keys(section, s)))
    if len(set(names)) != len(names) or BUY_AND_HOLD in names:
        raise ValueError(f"config error at backtest.strategies: names must be unique and not '{BUY_AND_HOLD}'")
    return stack_configs(cfgs), names


def run_underlying(daily: pd.DataFrame, underlying: Underlying, section: BacktestSettings, key: str) -> dict[str, pd.DataFrame]:
    """Every strategy on one underlying: the five tables' rows."""
    from jaxmm.backtest import option_writing as ow

    close = _series(daily, underlying.price, f"{key}.price")
    vol_points = None
    if underlying.vol_index is not None:
        spec = underlying.vol_index
        v = _series(daily, spec, f"{key}.vol_index").reindex(close.index).to_numpy(float)
        vol_points = v * (100.0 if spec.vol_unit == "decimal" else 1.0)
    dates = pd.to_datetime(close.index).to_numpy().astype("datetime64[D]")
    prices = close.to_numpy(float)
    proxy = ow.implied_vol_proxy(prices, vol_points, window=int(section.iv_window),
                                 premium=float(section.iv_premium))
    cfg, names = configs(section)
    rate, q = float(section.rate), float(section.div_yield)
    bt = ow.backtest(dates, prices, proxy.iv, cfg, rate=rate, div_yield=q)
    bh = ow.buy_and_hold(dates, prices, div_yield=q)
    equity = np.vstack([bt.equity, bh[None, :]])
    all_names = names + [BUY_AND_HOLD]
    name = underlying.name
    n, t = len(names), len(dates)

    def per_strategy(a, fill=np.nan):
        return np.vstack([a, np.full((1, t), fill, dtype=float)]).reshape(-1)

    eq = pd.DataFrame({
        "underlying": name, "strategy": np.repeat(all_names, t), "date": np.tile(dates, n + 1),
        "spot": np.tile(prices, n + 1), "iv": np.tile(proxy.iv, n + 1),
        "iv_source": np.tile(np.where(proxy.from_index, "vol_index", "realised_plus_premium"), n + 1),
        "equity": equity.reshape(-1), "drawdown": ow.drawdown(equity).reshape(-1),
        "option_units": per_strategy(bt.option_units, 0.0), "strike": per_strategy(np.where(
            bt.option_units > 0, bt.strike, np.nan)),
        "option_value": per_strategy(bt.option_value, 0.0),
        "exit": np.concatenate([np.vectorize(ow.EXIT_CODES.get)(bt.exit_code).reshape(-1), np.full(t, "none")]),
        "costs": per_strategy(bt.costs, 0.0)})
    perf = ow.performance(dates, equity, rate=rate)
    exits = {code: (bt.exit_code == i).sum(axis=1) for i, code in ow.EXIT_CODES.items()}
    metrics = pd.DataFrame({
        "underlying": name, "strategy": all_names, "kind": [s.kind for s in section.strategies] + [BUY_AND_HOLD],
        "start": dates[0], "end": dates[-1], "years": perf.years, "total_return": perf.total_return,
        "cagr": perf.cagr, "ann_vol": perf.ann_vol, "sharpe": perf.sharpe, "max_drawdown": perf.max_drawdown,
        "peak_date": perf.peak_date, "trough_date": perf.trough_date, "recovery_date": perf.recovery_date,
        "best_month": perf.best_month, "best_month_date": perf.best_month_date.astype("datetime64[D]"),
        "worst_month": perf.worst_month, "worst_month_date": perf.worst_month_date.astype("datetime64[D]"),
        "n_entries": np.append(bt.entered.sum(axis=1), 0), **{f"n_{code}": np.append(exits[code], 0)
                                                              for code in ("profit_take", "dte_close",
                                                                           "expired_otm", "assigned")},
        "premium_received": np.append(bt.premium_received.sum(axis=1), 0.0),
        "costs": np.append(bt.costs.sum(axis=1), 0.0),
        "vol_index_days": int(proxy.from_index.sum())})
    windows = [(w.name, w.start, w.end) for w in section.crisis_windows]
    ct = ow.crisis_table(dates, equity, windows)
    crisis = pd.DataFrame({"underlying": name, "strategy": np.repeat(all_names, len(windows)),
                           "window": np.tile(ct.name, n + 1), "start": np.tile(ct.start_used, n + 1),
                           "end": np.tile(ct.end_used, n + 1), "return": ct.ret.reshape(-1),
                           "max_drawdown": ct.max_drawdown.reshape(-1)})
    crisis = crisis[crisis["start"].notna()]
    g = ow.book_greeks(bt)
    greeks = pd.DataFrame({"underlying": name, "strategy": np.repeat(names, t), "date": np.tile(dates, n),
                           **{f: np.asarray(getattr(g, f)).reshape(-1) for f in
                              ("delta", "gamma", "vega", "theta", "delta_frac", "gamma_frac", "vega_frac",
                               "theta_frac")}})
    limits = ow.RuleLimits(**{k: float(v) for k, v in section.rules.to_dict().items()})
    br = ow.inventory_breaches(bt, g, limits)
    breaches = pd.DataFrame({"underlying": name, "strategy": np.asarray(names, dtype=object)[br.config],
                             "date": br.date, "rule": br.rule, "value": br.value, "limit": br.limit})
    return {"equity": eq, "metrics": metrics, "crisis": crisis, "greeks": greeks, "breaches": breaches}


TABLES = {"equity": schemas.BT_EQUITY, "metrics": schemas.BT_METRICS, "crisis": schemas.BT_CRISIS,
          "greeks": schemas.BT_GREEKS, "breaches": schemas.BT_BREACHES}


def compute(daily: pd.DataFrame, section: BacktestSettings | dict) -> dict[str, pd.DataFrame]:
    section = BacktestSettings.of(section)
    parts = [run_underlying(daily, u, section, f"backtest.underlyings[{i}]")
             for i, u in enumerate(section.underlyings)]
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in TABLES}


def run(inputs: dict, outputs: dict, params: dict) -> None:
    tables = compute(pd.read_parquet(inputs["daily"]), params["section"])
    for name, schema in TABLES.items():
        pq.write_table(to_table(tables[name], schema), outputs[name])
    for _, r in tables["metrics"].iterrows():
        log.info("backtest: %s %s CAGR %.2f%% vol %.2f%% Sharpe %.3f max drawdown %.1f%%", r["underlying"],
                 r["strategy"], 100 * r["cagr"], 100 * r["ann_vol"], r["sharpe"], 100 * r["max_drawdown"])
    log.info("backtest: breaches by rule %s", tables["breaches"].groupby(["underlying", "strategy", "rule"])
             .size().to_dict())


# --------------------------------------------------------------------------- report

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
    sec.text("OPTION PRICES ARE MODELLED, NOT TRADED QUOTES. Every option is priced by Black-Scholes at the "
             f"underlying's vol index where one exists and at trailing {s.iv_window}-day realised vol plus "
             f"{s.iv_premium:g} elsewhere (vol_index_days below says how many days had the index); skew "
             f"{d['skew']:g} by default, so with 0 OTM calls are priced high and OTM puts low against a real "
             f"smile. Rate {s.rate:g}; {dividends}. Monthly expiries (third Fridays); by default entry at "
             f"{d['dte_min']:g}-{d['dte_max']:g} calendar DTE, buy-back at {d['profit_take']:g} of the "
             f"premium captured or at {d['dte_close']:g} DTE (each strategy may override: see its name), "
             "assignment at expiry, option costs of a half-spread plus a fraction of value, stock costs in bp. "
             "Conventions in full: jaxmm/backtest/option_writing.py.")
    sec.table(m[["underlying", "strategy", "start", "end", "cagr", "ann_vol", "sharpe", "max_drawdown", "trough_date",
                 "best_month", "worst_month", "n_entries", "n_profit_take", "n_dte_close", "n_assigned",
                 "premium_received", "costs", "vol_index_days"]],
              "Performance against buy & hold (CAGR, annualised vol and Sharpe over the cash rate; drawdown from "
              "peak; premium and costs in units of the starting book)", float_format="{:.4g}")
    c = t["crisis"]
    if len(c):
        wide = c.pivot_table(index=["underlying", "strategy"], columns="window", values="return",
                             aggfunc="first").reset_index()
        sec.table(wide, "Return in each crisis window (first close on or after its start to the last on or before "
                  "its end)", float_format="{:.3f}")
    b = t["breaches"]
    counts = (b.groupby(["underlying", "strategy", "rule"]).size().rename("days").reset_index() if len(b)
              else pd.DataFrame(columns=["underlying", "strategy", "rule", "days"]))
    sec.text("Seed 000's inventory rules: max 5% of the book per position (as option market value, and as the index "
             "notional the options cover: a one-underlying book always breaks the latter), net vega within 10% of "
             "the book per vol point, and no short option with |gamma| above the limit inside 7 days of expiry.")
    sec.table(counts, "Days in breach per rule (rules never breached are not listed)")
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
        sec.figure(fig, f"equity_{name}", f"{name}: equity curves (log scale) and drawdowns, modelled option prices")
        gg = greeks[greeks["underlying"] == name]
        fig, axes = new_figure(2, 2, figsize=(12, 6), sharex=True)
        for ax, col, title in zip(axes.flat, ("delta_frac", "gamma_frac", "vega_frac", "theta_frac"),
                                  ("delta x S / book", "gamma x S^2 / (100 book): delta change per 1%",
                                   "vega per vol point / book", "theta per day / book")):
            for strategy, s in gg.groupby("strategy", sort=False):
                ax.plot(pd.to_datetime(s["date"]), s[col], lw=0.6, label=strategy)
            ax.set_title(title, fontsize=9)
        axes[0][0].legend(fontsize=6)
        sec.figure(fig, f"greeks_{name}", f"{name}: the book's Greeks through time, per unit of book value")
