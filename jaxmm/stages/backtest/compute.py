"""Backtest stage: covered calls and cash-secured puts on real and synthetic daily series.

Seed 000's option-writing "factory", done on data: every configured strategy runs on
every configured underlying in one jitted call per underlying
(:func:`jaxmm.backtest.option_writing.backtest`). **Option prices are modelled, not
traded quotes**: Black-Scholes at the underlying's vol index where it has one, else
trailing realised vol plus ``iv_premium``.

Tables (``results/backtest/``; columns in :mod:`jaxmm.stages.backtest.schema`): ``equity`` (daily
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

from jaxmm.settings import BacktestSettings, Strategy, Underlying
from jaxmm.stages.backtest import schema as backtest_schema
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


TABLES = {"equity": backtest_schema.BT_EQUITY, "metrics": backtest_schema.BT_METRICS, "crisis": backtest_schema.BT_CRISIS,
          "greeks": backtest_schema.BT_GREEKS, "breaches": backtest_schema.BT_BREACHES}


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
