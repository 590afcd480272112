"""Covered-call / cash-secured-put backtest (jaxmm.backtest.option_writing).

Tolerances: exact identities of the accounting (same formula, same float64 inputs) at
1e-12 relative; option-free runs against buy & hold at 1e-10. Every synthetic run uses at
most 4 configurations and 512 days, so they share one compiled scan (bucket sizes).
"""

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from jaxmm.pricing import black
from jaxmm.backtest import option_writing as ow

TIGHT = 1e-12


def bdays(start: str, n: int) -> np.ndarray:
    d = np.arange(np.datetime64(start), np.datetime64(start) + 2 * n + 7)
    return d[(d.astype(np.int64) + 3) % 7 < 5][:n]


def gbm(n: int, seed: int = 0, s0: float = 2000.0, mu: float = 0.0003, sigma: float = 0.012) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return s0 * np.exp(np.concatenate([[0.0], np.cumsum(rng.normal(mu, sigma, n - 1))]))


def bs(s, k, days, vol, call, r=0.0):
    return float(black.bs_price(s, k, days / 365.0, vol, call, r, 0.0))


NO_COSTS = dict(opt_cost_abs=0.0, opt_cost_rel=0.0, stock_cost_bps=0.0)


# ---------------------------------------------------------------------------------------
# Calendar and implied vol


def test_monthly_expiries_are_third_fridays():
    exp = ow.monthly_expiries("2018-12-03", "2022-03-01")
    for d in ["2018-12-21", "2021-01-15", "2021-02-19", "2022-04-15"]:
        assert np.datetime64(d) in exp
    assert np.all((exp.astype(np.int64) + 3) % 7 == 4)  # Fridays
    day = exp.astype("datetime64[D]").astype(object)
    assert all(15 <= x.day <= 21 for x in day)  # the third one of its month
    assert exp[0] == np.datetime64("2018-12-21") and exp[-1] == np.datetime64("2022-09-16")


def test_implied_vol_proxy_rules():
    close = gbm(60, seed=3)
    vix = np.full(60, np.nan)
    vix[40:] = 25.0
    p = ow.implied_vol_proxy(close, vix=vix, window=21, premium=0.02)
    lr = np.diff(np.log(close))
    rv30 = np.std(lr[30 - 21:30], ddof=1) * np.sqrt(252.0)  # returns 10..30 end at day 30
    assert abs(p.realised[30] - rv30) < 1e-12
    assert np.all(np.isnan(p.iv[:21])) and np.isfinite(p.iv[21])
    assert abs(p.iv[30] - (rv30 + 0.02)) < 1e-12 and not p.from_index[30]
    assert np.all(p.iv[40:] == 0.25) and np.all(p.from_index[40:])
    m = ow.implied_vol_proxy(close, window=21, premium=0.2, multiplicative=True)
    assert abs(m.iv[30] - rv30 * 1.2) < 1e-12


# ---------------------------------------------------------------------------------------
# Backtest accounting


def test_option_free_strategy_equals_buy_and_hold():
    """Strikes 1000x away: premium 0, so the covered call is buy & hold and the put is cash."""
    n = 400
    dates, close = bdays("2003-01-02", n), gbm(n, seed=1)
    cfg = ow.stack_configs([ow.strategy_config("covered_call", otm=999.0, strike_step=0.0, **NO_COSTS),
                            ow.strategy_config("cash_secured_put", otm=0.999, strike_step=0.0, **NO_COSTS)])
    bt = ow.backtest(dates, close, np.full(n, 0.2), cfg, rate=0.0)
    assert bt.entered.sum(axis=1).min() >= 5  # options were written, all worth nothing
    assert np.max(np.abs(bt.premium_received)) < 1e-300
    np.testing.assert_allclose(bt.equity[0], ow.buy_and_hold(dates, close), rtol=0, atol=1e-10)
    np.testing.assert_allclose(bt.equity[1], 1.0, rtol=0, atol=1e-10)


def test_hand_example_entry_profit_take_and_reentry():
    """Five days by hand: wait (DTE 46), write, buy back at 50% profit and re-write, hold."""
    dates = np.array(["2021-01-04", "2021-01-05", "2021-01-06", "2021-01-07", "2021-01-08"], dtype="datetime64[D]")
    close = np.array([100.0, 101.0, 92.0, 93.0, 93.5])
    iv = np.array([0.2, 0.2, 0.25, 0.22, 0.21])
    r, ca, cr, bps = 0.03, 0.05, 0.01, 2e-4
    cfg = ow.strategy_config("covered_call", otm=0.05, strike_step=1.0, opt_cost_abs=ca, opt_cost_rel=cr,
                             stock_cost_bps=2.0)
    bt = ow.backtest(dates, close, iv, cfg, rate=r)
    g = np.exp(r / 365.0)  # one calendar day of interest
    expiry = 18677.0  # 2021-02-19 as a day number (days since 1970-01-01)
    assert float(np.datetime64("2021-02-19").astype(np.int64)) == expiry
    # Day 0: the Feb expiry is 46 days away (outside [30, 45]): hold 1/100 of the index.
    e0 = 1.0
    # Day 1: DTE 45: write n = E/S = 0.01 calls at K = round(106.05) = 106.
    n = 0.01
    p = bs(101.0, 106.0, 45.0, 0.2, True, r)
    cash = n * p - n * (ca + cr * p)
    e1 = n * 101.0 + cash - n * p
    # Day 2: S = 92, the call is worth less than half its premium: buy back, then write
    # again (Feb 19 is 44 days away) at K = round(96.6) = 97 after rebalancing to E/S.
    v = bs(92.0, 106.0, 44.0, 0.25, True, r)
    assert v <= 0.5 * p
    cash = cash * g - n * v - n * (ca + cr * v)
    n2 = (n * 92.0 + cash) / 92.0
    p2 = bs(92.0, 97.0, 44.0, 0.25, True, r)
    cash = cash - (n2 - n) * 92.0 - bps * abs(n2 - n) * 92.0 + n2 * p2 - n2 * (ca + cr * p2)
    e2 = n2 * 92.0 + cash - n2 * p2
    # Days 3, 4: hold (value still above half the premium).
    v3 = bs(93.0, 97.0, 43.0, 0.22, True, r)
    cash *= g
    e3 = n2 * 93.0 + cash - n2 * v3
    v4 = bs(93.5, 97.0, 42.0, 0.21, True, r)
    cash *= g
    e4 = n2 * 93.5 + cash - n2 * v4
    assert v3 > 0.5 * p2 and v4 > 0.5 * p2
    np.testing.assert_allclose(bt.equity[0], [e0, e1, e2, e3, e4], rtol=TIGHT)
    assert bt.exit_code[0].tolist() == [0, 0, 1, 0, 0]
    assert bt.entered[0].tolist() == [False, True, True, False, False]
    np.testing.assert_array_equal(bt.strike[0, 1:], [106.0, 97.0, 97.0, 97.0])
    np.testing.assert_array_equal(bt.expiry[0, 1:], expiry)
    np.testing.assert_allclose(bt.option_units[0], [0.0, n, n2, n2, n2], rtol=TIGHT)
    np.testing.assert_allclose(bt.cash[0, -1], cash, rtol=TIGHT)


def _held_to_expiry(kind, dates, close, **kw):
    cfg = ow.strategy_config(kind, otm=0.05, strike_step=1.0, profit_take=0.0, dte_close=0.0,
                             opt_cost_abs=0.05, opt_cost_rel=0.01, stock_cost_bps=2.0, **kw)
    return ow.backtest(dates, close, np.full(len(dates), 0.2), cfg, rate=0.0)


def test_covered_call_assignment_and_expiry_accounting():
    dates = bdays("2021-01-05", 34)  # 2021-01-05 .. 2021-02-19 (the Feb expiry, 45 DTE)
    assert dates[-1] == np.datetime64("2021-02-19")
    for last, itm in [(120.0, True), (95.0, False)]:
        close = np.linspace(100.0, last, dates.shape[0])
        bt = _held_to_expiry("covered_call", dates, close)
        n, k = 0.01, 105.0
        p0 = bs(100.0, k, 45.0, 0.2, True)
        assert bt.strike[0, 0] == k and bt.entered[0, 0] and bt.entered[0].sum() == 1
        net_premium = n * (p0 - 0.05 - 0.01 * p0)
        if itm:  # called away at K, bought back at the close: n K + premium - costs
            expected = n * k + net_premium - 2e-4 * n * (k + last)
            assert bt.exit_code[0, -1] == 4
        else:  # expires worthless: stock + premium
            expected = n * last + net_premium
            assert bt.exit_code[0, -1] == 3
        assert abs(bt.equity[0, -1] - expected) < TIGHT
        assert bt.option_units[0, -1] == 0.0 and abs(bt.stock_units[0, -1] - n) < 1e-15  # keeps its stock


def test_cash_secured_put_assignment_on_a_holiday_expiry():
    """2022-04-15 (Good Friday) is not a trading day: the April put settles on Thursday 04-14."""
    dates = bdays("2022-03-01", 35)  # .. Monday 2022-04-18
    dates = dates[dates != np.datetime64("2022-04-15")]
    assert dates[-2] == np.datetime64("2022-04-14") and dates[-1] == np.datetime64("2022-04-18")
    close = np.linspace(100.0, 80.0, dates.shape[0])
    bt = _held_to_expiry("cash_secured_put", dates, close, dte_min=40.0)  # May (36 DTE on 04-14) not written
    i = int(np.flatnonzero(dates == np.datetime64("2022-04-14"))[0])
    k = 95.0
    n = 1.0 / k
    p0 = bs(100.0, k, 45.0, 0.2, False)
    s = close[i]
    expected = 1.0 + n * (p0 - 0.05 - 0.01 * p0) - n * (k - s) - 2e-4 * n * (k + s)
    assert bt.exit_code[0, i] == 4 and bt.option_units[0, i] == 0.0
    assert abs(bt.equity[0, i] - expected) < TIGHT
    assert np.all(bt.stock_units == 0.0) and bt.option_units[0, -1] == 0.0
    # Data ending on the Thursday cannot know Friday is a holiday: the option stays open.
    cut = _held_to_expiry("cash_secured_put", dates[:-1], close[:-1], dte_min=40.0)
    assert cut.exit_code[0, -1] == 0 and cut.option_units[0, -1] > 0.0


def test_put_call_parity_covered_call_equals_cash_secured_put():
    """ATM, same expiries, held to expiry, no costs, q = 0: S - C = K e^{-rT} - P makes the
    covered call (n S + cash - n C) and the cash-secured put (cash - n P) the same book at
    every close, whatever r (cash accrues e^{r dt} on the same calendar clock)."""
    n = 500
    dates, close = bdays("2021-01-05", n), gbm(n, seed=7, sigma=0.015)
    iv = 0.15 + 0.1 * np.abs(np.sin(np.arange(n) / 17.0))
    common = dict(otm=0.0, strike_step=0.0, profit_take=0.0, dte_close=0.0, dte_min=1.0, dte_max=45.0, **NO_COSTS)
    cfg = ow.stack_configs([ow.strategy_config("covered_call", **common),
                            ow.strategy_config("cash_secured_put", **common)])
    bt = ow.backtest(dates, close, iv, cfg, rate=0.03)
    assert np.all(bt.option_units > 0.0)  # always short an option (rolled on expiry day)
    assert bt.entered.sum(axis=1).min() >= 20 and (bt.exit_code == 4).sum() >= 10
    np.testing.assert_allclose(bt.equity[0], bt.equity[1], rtol=TIGHT)
    assert np.max(np.abs(bt.equity[0] - ow.buy_and_hold(dates, close))) > 0.05  # not buy & hold


def test_costs_reduce_returns_monotonically():
    n = 500
    dates, close = bdays("2005-01-03", n), gbm(n, seed=11)
    iv = ow.implied_vol_proxy(close).iv
    for kind in ["covered_call", "cash_secured_put"]:
        ladders = [[dict(opt_cost_abs=a, opt_cost_rel=0.0, stock_cost_bps=0.0) for a in (0.0, 0.1, 0.5, 2.0)],
                   [dict(opt_cost_abs=0.0, opt_cost_rel=x, stock_cost_bps=0.0) for x in (0.0, 0.01, 0.05, 0.2)],
                   [dict(opt_cost_abs=0.05, opt_cost_rel=0.02, stock_cost_bps=b) for b in (0.0, 1.0, 10.0, 50.0)]]
        for ladder in ladders:
            bt = ow.backtest(dates, close, iv, ow.stack_configs([ow.strategy_config(kind, **c) for c in ladder]))
            final = bt.equity[:, -1]
            assert bt.entered.sum() >= 40
            if kind == "cash_secured_put" and ladder[0]["opt_cost_abs"] == 0.05:
                np.testing.assert_allclose(final, final[0], rtol=1e-9)  # a CSP never trades stock ...
                assert (bt.exit_code == 4).sum() == 0  # ... unless assigned, which this path never is
            else:
                assert np.all(np.diff(final) < 0.0), (kind, final)


def test_batch_equals_single_runs_and_no_look_ahead():
    n = 300
    dates, close = bdays("2010-06-01", n), gbm(n, seed=5)
    iv = ow.implied_vol_proxy(close).iv
    configs = [ow.strategy_config("covered_call", otm=0.07), ow.strategy_config("cash_secured_put", otm=0.05),
               ow.strategy_config("covered_call", otm=0.05, profit_take=0.0, skew=2.0)]
    batch = ow.backtest(dates, close, iv, ow.stack_configs(configs))
    for i, c in enumerate(configs):
        one = ow.backtest(dates, close, iv, c)
        np.testing.assert_array_equal(one.equity[0], batch.equity[i])
    cut = ow.backtest(dates[:200], close[:200], iv[:200], ow.stack_configs(configs))
    np.testing.assert_array_equal(cut.equity, batch.equity[:, :200])  # the first 200 days ignore the rest


def test_close_at_dte_and_skew_convention():
    n = 120
    dates, close = bdays("2021-01-05", n), np.full(n, 100.0)
    cfg = ow.stack_configs([ow.strategy_config("covered_call", profit_take=0.0, strike_step=0.0),
                            ow.strategy_config("cash_secured_put", profit_take=0.0, strike_step=0.0, skew=2.0)])
    bt = ow.backtest(dates, close, np.full(n, 0.2), cfg)
    closes = bt.exit_code == 2
    assert closes.sum(axis=1).min() >= 3
    dte_at_close = bt.expiry[:, :-1][closes[:, 1:]] - bt.day[1:][np.nonzero(closes[:, 1:])[1]]
    assert np.all(dte_at_close <= 21.0) and np.all(dte_at_close > 21.0 - 4.0)  # first close at/after 21 DTE
    assert np.all(bt.exit_code != 4) and np.all(bt.exit_code != 3)  # never held to expiry
    held = bt.option_units[1] > 0
    np.testing.assert_allclose(bt.option_vol[1, held], 0.2 * (1.0 - 2.0 * np.log(0.95)), rtol=TIGHT)


# ---------------------------------------------------------------------------------------
# Greeks and inventory rules


def _greeks_run():
    n = 300
    dates, close = bdays("2021-01-05", n), gbm(n, seed=2)
    cfg = ow.stack_configs([ow.strategy_config("covered_call", profit_take=0.0, dte_close=0.0),
                            ow.strategy_config("cash_secured_put", profit_take=0.0, dte_close=0.0, otm=0.02)])
    bt = ow.backtest(dates, close, np.full(n, 0.2), cfg, rate=0.02)
    return bt, ow.book_greeks(bt)


def test_book_greeks_covered_call_delta_is_one_minus_call_delta():
    bt, g = _greeks_run()
    held = bt.option_units > 0.0
    assert held.sum(axis=1).min() > 100 and (~held).sum() > 0
    t = np.where(held, bt.expiry - bt.day, 30.0) / 365.0
    for i, call in enumerate([True, False]):
        h = held[i]
        d = np.asarray(black.bs_delta(bt.spot[h], bt.strike[i, h], t[i, h], 0.2, call, 0.02, 0.0))
        gm = np.asarray(black.bs_gamma(bt.spot[h], bt.strike[i, h], t[i, h], 0.2, 0.02, 0.0))
        n = bt.option_units[i, h]
        if call:  # stock units == option units (both E/S at entry): delta per lot = 1 - N(d1)
            np.testing.assert_allclose(bt.stock_units[i, h], n, rtol=TIGHT)
            np.testing.assert_allclose(g.delta[i, h] / n, 1.0 - d, rtol=0, atol=TIGHT)
        else:
            np.testing.assert_allclose(g.delta[i, h], -n * d, rtol=TIGHT)
        np.testing.assert_allclose(g.gamma[i, h], -n * gm, rtol=TIGHT)
        th = np.asarray(black.bs_theta(bt.spot[h], bt.strike[i, h], t[i, h], 0.2, call, 0.02, 0.0))
        np.testing.assert_allclose(g.theta[i, h], -n * th / 365.0, rtol=TIGHT)
        assert np.all(g.vega[i, h] < 0.0)  # short vol
    assert np.all(g.theta[0, held[0]] > 0.0)  # a short call (q = 0) always collects time decay
    flat = ~held[0]
    np.testing.assert_array_equal(g.delta[0, flat], bt.stock_units[0, flat])  # no option: the stock
    np.testing.assert_allclose(g.delta_frac[0, flat], bt.stock_units[0, flat] * bt.spot[flat] / bt.equity[0, flat],
                               rtol=TIGHT)  # below 1 by the premium kept in cash
    assert np.all(g.gamma[~held] == 0.0) and np.all(np.isnan(g.dte[~held]))


def test_inventory_rules_fire_exactly_past_their_limits():
    bt, g = _greeks_run()
    held = bt.option_units > 0.0

    def fired(limits, rule):
        b = ow.inventory_breaches(bt, g, limits)
        m = b.rule == rule
        out = np.zeros(bt.equity.shape, bool)
        out[b.config[m], np.searchsorted(bt.dates, b.date[m])] = True
        return out, b.value[m]

    # Position value: a limit equal to the largest value does not fire; just below fires once.
    pv = g.position_value_frac
    top = pv.max()
    assert not fired(ow.RuleLimits(max_position=top), "position_value")[0].any()
    f, _ = fired(ow.RuleLimits(max_position=np.nextafter(top, 0.0)), "position_value")
    assert f.sum() == 1 and pv[f][0] == top
    mid = np.median(pv[held])
    f, values = fired(ow.RuleLimits(max_position=mid), "position_value")
    np.testing.assert_array_equal(f, held & (pv > mid))
    assert np.all(values > mid)
    # Notional: a one-underlying book covers ~100% of itself: every held day at 5%.
    f, _ = fired(ow.RuleLimits(), "position_notional")
    np.testing.assert_array_equal(f, held)
    # Net vega per vol point: never near 10% of the book; fires everywhere held at limit 0.
    assert not fired(ow.RuleLimits(), "net_vega")[0].any()
    np.testing.assert_array_equal(fired(ow.RuleLimits(max_vega=0.0), "net_vega")[0], held)
    vtop = np.abs(g.vega_frac).max()
    assert not fired(ow.RuleLimits(max_vega=vtop), "net_vega")[0].any()
    # Gamma: only short options within 7 days of expiry, strictly above the limit.
    near = held & (g.dte > 0.0) & (g.dte <= 7.0)
    assert near.sum() >= 10
    np.testing.assert_array_equal(fired(ow.RuleLimits(gamma_limit=0.0), "short_gamma_near_expiry")[0], near)
    gam = np.abs(g.option_gamma_1pct)
    lim = np.median(gam[near])
    np.testing.assert_array_equal(fired(ow.RuleLimits(gamma_limit=lim), "short_gamma_near_expiry")[0],
                                  near & (gam > lim))
    counts = ow.breach_counts(ow.inventory_breaches(bt, g), 2)
    assert counts["position_notional"].tolist() == held.sum(axis=1).tolist()


# ---------------------------------------------------------------------------------------
# Metrics


def test_performance_against_hand_computations():
    dates = np.array(["2000-01-03", "2000-06-01", "2001-01-02", "2001-06-01", "2001-09-04", "2002-01-03"],
                     dtype="datetime64[D]")
    eq = np.array([1.0, 1.1, 0.99, 1.2, 0.9, 1.08])
    p = ow.performance(dates, eq, rate=0.0)
    years = 731.0 / 365.25
    assert abs(p.years - years) < 1e-15
    assert abs(p.cagr - (1.08 ** (1.0 / years) - 1.0)) < 1e-15
    assert abs(p.total_return - 0.08) < 1e-15
    ret = np.array([0.1, -0.1, 1.2 / 0.99 - 1.0, -0.25, 0.2])
    assert abs(p.ann_vol - np.std(ret, ddof=1) * np.sqrt(252.0)) < 1e-14
    assert abs(p.sharpe - ret.mean() / np.std(ret, ddof=1) * np.sqrt(252.0)) < 1e-13
    assert abs(p.max_drawdown - (-0.25)) < 1e-15
    assert p.peak_date == np.datetime64("2001-06-01") and p.trough_date == np.datetime64("2001-09-04")
    assert np.isnat(p.recovery_date)
    np.testing.assert_allclose(ow.drawdown(eq), [0.0, 0.0, -0.1, 0.0, -0.25, -0.1], atol=1e-15)
    # A constant 5% cash rate: the excess return subtracts e^{r dt/365} - 1 per period.
    q = ow.performance(dates, eq, rate=0.05)
    x = ret - np.expm1(0.05 * np.diff(dates.astype(np.int64)).astype(float) / 365.0)
    assert abs(q.sharpe - x.mean() / np.std(x, ddof=1) * np.sqrt(252.0)) < 1e-13
    up = np.append(eq, 1.25)
    r = ow.performance(np.append(dates, np.datetime64("2002-02-01")), up)
    assert r.recovery_date == np.datetime64("2002-02-01")


def test_monthly_returns_best_and_worst():
    dates = np.array(["2020-01-30", "2020-01-31", "2020-02-03", "2020-02-28", "2020-03-02"], dtype="datetime64[D]")
    eq = np.array([[1.0, 1.1, 1.0, 1.32, 1.0], [2.0, 2.0, 2.0, 2.0, 2.0]])
    months, mret = ow.monthly_returns(dates, eq)
    assert months.tolist() == list(np.array(["2020-01", "2020-02", "2020-03"], dtype="datetime64[M]"))
    np.testing.assert_allclose(mret[0], [0.1, 0.2, 1.0 / 1.32 - 1.0], rtol=1e-14)
    np.testing.assert_array_equal(mret[1], 0.0)
    p = ow.performance(dates, eq)
    assert abs(p.best_month[0] - 0.2) < 1e-14 and p.best_month_date[0] == np.datetime64("2020-02")
    assert abs(p.worst_month[0] - (1.0 / 1.32 - 1.0)) < 1e-14 and p.worst_month_date[0] == np.datetime64("2020-03")


def test_crisis_table_window_slicing():
    dates = bdays("2018-06-01", 160)
    dates = dates[dates != np.datetime64("2018-12-25")]
    eq = np.linspace(1.0, 2.0, dates.shape[0])
    i0 = int(np.flatnonzero(dates == np.datetime64("2018-09-24"))[0])
    eq[i0 + 10] = 0.5 * eq[i0 + 9]  # a dip inside the window
    windows = (("sat-to-xmas", "2018-09-22", "2018-12-25"), ("before", "2010-01-01", "2010-06-01"),
               ("one day", "2018-07-02", "2018-07-02"))
    t = ow.crisis_table(dates, np.vstack([eq, 2.0 * eq]), windows)
    assert t.start_used[0] == np.datetime64("2018-09-24") and t.end_used[0] == np.datetime64("2018-12-24")
    j = int(np.flatnonzero(dates == np.datetime64("2018-12-24"))[0])
    np.testing.assert_allclose(t.ret[:, 0], eq[j] / eq[i0] - 1.0, rtol=1e-14)
    np.testing.assert_allclose(t.max_drawdown[:, 0], -0.5, rtol=1e-14)
    assert np.isnat(t.start_used[1]) and np.all(np.isnan(t.ret[:, 1]))
    assert np.all(np.isnan(t.ret[:, 2]))  # a window of one close has no return
    assert t.name.tolist() == ["sat-to-xmas", "before", "one day"]


# ---------------------------------------------------------------------------------------
# Real data: the S&P 500 and VIX shipped in the arch package


def _arch_csv(name):
    spec = importlib.util.find_spec("arch")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the arch package is not installed")
    path = Path(spec.submodule_search_locations[0]) / "data" / name / f"{name}.csv.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:] if line]
    m, d, y = (np.array([int(x) for x in col]) for col in zip(*(r[0].split("/") for r in rows)))
    dates = np.array([f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d)], dtype="datetime64[D]")
    cols = {h: np.array([float(r[i]) if r[i] not in (".", "") else np.nan for r in rows])
            for i, h in enumerate(header) if i > 0}
    return dates, cols


def test_real_sp500_covered_call_and_put_vs_buy_and_hold():
    dates, sp = _arch_csv("sp500")
    vdates, vx = _arch_csv("vix")
    close = sp["Close"]
    assert np.array_equal(close, sp["Adj Close"])  # the price index: no dividends in it
    vix = np.full(close.shape, np.nan)
    i = np.searchsorted(dates, vdates)
    ok = (i < dates.shape[0]) & (dates[np.minimum(i, dates.shape[0] - 1)] == vdates)
    vix[i[ok]] = vx["vix"][ok]
    proxy = ow.implied_vol_proxy(close, vix=vix)
    assert 1200 < proxy.from_index.sum() < 1300  # VIX 2014-2018
    cfg = ow.stack_configs([ow.strategy_config("covered_call"), ow.strategy_config("cash_secured_put")])
    bt = ow.backtest(dates, close, proxy.iv, cfg, rate=0.02)
    eq = np.vstack([bt.equity, ow.buy_and_hold(dates, close)])
    p = ow.performance(dates, eq, rate=0.02)
    crisis = ow.crisis_table(dates, eq)
    g = ow.book_greeks(bt)
    counts = ow.breach_counts(ow.inventory_breaches(bt, g), 2)
    names = ["covered_call", "cash_secured_put", "buy_and_hold"]
    for k, name in enumerate(names):
        print(f"{name}: CAGR {p.cagr[k]:.4f} vol {p.ann_vol[k]:.4f} Sharpe {p.sharpe[k]:.3f} "
              f"maxDD {p.max_drawdown[k]:.4f} ({p.peak_date[k]}..{p.trough_date[k]}, rec {p.recovery_date[k]}) "
              f"best {p.best_month[k]:.4f} {p.best_month_date[k]} worst {p.worst_month[k]:.4f} {p.worst_month_date[k]}")
        print("  crisis", dict(zip(crisis.name.tolist(), np.round(crisis.ret[k], 4).tolist())))
    print("breaches", {r: c.tolist() for r, c in counts.items()})
    # Buy & hold on the price index: the 2007-10-09 .. 2009-03-09 drawdown is -56.8%.
    assert -0.58 < p.max_drawdown[2] < -0.55
    assert p.peak_date[2] == np.datetime64("2007-10-09") and p.trough_date[2] == np.datetime64("2009-03-09")
    assert np.all((p.cagr > -0.10) & (p.cagr < 0.20))
    assert np.all(p.ann_vol[:2] < p.ann_vol[2])  # short options cut the volatility
    assert np.all(crisis.ret[:2, 1] > crisis.ret[2, 1])  # and cushion the GFC
    assert np.all(bt.equity > 0.0) and np.all(np.isfinite(bt.equity))
    # Rules: gamma cannot fire (every option is bought back at 21 DTE > 7), and vega per
    # vol point is ~0.1% of the book, far inside 10%; the notional reading fires on every held day.
    assert counts["short_gamma_near_expiry"].tolist() == [0, 0] and counts["net_vega"].tolist() == [0, 0]
    np.testing.assert_array_equal(counts["position_notional"], (bt.option_units > 0).sum(axis=1))
