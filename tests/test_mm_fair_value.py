"""Market making around a fair value: call-spread fair value, regression deltas, the MM simulator.

Statistical assertions are stated in standard errors (k = 4: a false alarm about once in
16,000 runs, and the seeds are fixed, so a run reproduces).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from jaxmm.mm.fair_value import (FairValueParams, _fair_and_delta, fair_delta, fair_value, fill_probability,
                                 n_steps_of, ols, regression_deltas, sample_path, simulate_fair_value)
from jaxmm.synthetic.series import call_spread

KEY = jax.random.PRNGKey(2035)
K_SE = 4.0
SHORT = FairValueParams(T=20.0 / 252.0, steps_per_day=4.0)     # 80 steps: fast statistical tests
GRID = [0.0, 0.5, 1.0, 2.0, math.inf]
F = jnp.linspace(80.0, 100.0, 81)      # futures grid (one shape: one compilation of fair_value)
N_PATHS = 4000     # one (n_paths, grid, n_steps) shape for most tests: one compilation


# ---------------------------------------------------------------------------------------
# Fair value


def test_fair_value_bounds_payoff_and_generator_agreement():
    """0 <= fair <= 1 and increasing in F (1e-15) from 1 day to 5 years; t = 0 gives the
    payoff 1{F > K} exactly (the spread's ramp would give 0.25, 0.5, 0.75 at 89.75, 90, 90.25),
    delta 0; equal to the synthetic generator's call spread and delta (1e-15)."""
    for t in (1.0 / 252, 5.0 / 252, 54.0 / 252, 1.0, 5.0):
        fair = fair_value(F, 90.0, 0.5, t, 0.6)
        assert float(fair.min()) >= -1e-15 and float(fair.max()) <= 1.0 + 1e-15
        assert bool(jnp.all(jnp.diff(fair) >= -1e-15))
    np.testing.assert_array_equal(fair_value(F, 90.0, 0.5, 0.0, 0.6), (F > 90.0).astype(float))
    np.testing.assert_array_equal(fair_delta(F, 90.0, 0.5, 0.0, 0.6), np.zeros(F.shape))
    gen_fair, gen_delta = call_spread(np.asarray(F), 20.0 / 252, {"strike": 90.0, "half_width": 0.5, "vol": 0.6})
    np.testing.assert_allclose(fair_value(F, 90.0, 0.5, 20.0 / 252, 0.6), gen_fair, rtol=0, atol=1e-15)
    np.testing.assert_allclose(fair_delta(F, 90.0, 0.5, 20.0 / 252, 0.6), gen_delta, rtol=0, atol=1e-15)


def test_fair_value_converges_to_the_digital_at_order_h_squared():
    """|fair - N(d2)| < 1e-9 at h = 1e-3, and the error falls 100-fold from h = 0.1 to 0.01
    (central difference: error ~ h^2 d^3C/dK^3 / 6; ratio measured 100.0, asserted in
    [99, 101] where the h^2 term is not near its zero; at h = 1e-3 the 1e-10 error meets the
    spread's rounding, ~1e-16 F / h)."""
    t, vol = 20.0 / 252, 0.6
    s = vol * math.sqrt(t)
    digital = norm.cdf(np.log(np.asarray(F) / 90.0) / s - s / 2)
    err = [np.abs(np.asarray(fair_value(F, 90.0, h, t, vol)) - digital) for h in (0.1, 0.01, 0.001)]
    assert err[2].max() < 1e-9
    keep = err[0] > 1e-7
    ratio = err[0][keep] / err[1][keep]
    assert keep.sum() >= 70 and ratio.min() > 99 and ratio.max() < 101


def test_fair_delta_is_the_derivative_of_fair_value():
    """fair_delta = jax.grad(fair_value) to 1e-13, = the jvp used by the simulator to 1e-15,
    and = a central finite difference (dF = 1e-4) to 1e-8 relative."""
    t, vol = 7.0 / 252, 0.6
    delta = fair_delta(F, 90.0, 0.5, t, vol)
    grad = jax.jit(jax.vmap(jax.grad(lambda x: fair_value(x, 90.0, 0.5, t, vol))))(F)
    np.testing.assert_allclose(grad, delta, rtol=0, atol=1e-13)
    value, jvp = jax.jit(_fair_and_delta)(F, 90.0, 0.5, t, vol)
    np.testing.assert_allclose(value, fair_value(F, 90.0, 0.5, t, vol), rtol=0, atol=1e-15)
    np.testing.assert_allclose(jvp, delta, rtol=0, atol=1e-15)
    fd = (fair_value(F + 1e-4, 90.0, 0.5, t, vol) - fair_value(F - 1e-4, 90.0, 0.5, t, vol)) / 2e-4
    np.testing.assert_allclose(fd, delta, rtol=1e-8, atol=1e-14)
    assert float(delta.min()) > 0.0


# ---------------------------------------------------------------------------------------
# Regressions


def test_ols_matches_numpy_lstsq_and_drops_nan_days():
    """Slope, intercept, slope SE and R^2 equal numpy.linalg.lstsq on the finite rows (1e-10);
    a NaN level in pm drops its two differences from all three difference regressions."""
    rng = np.random.default_rng(7)
    x = 85.0 + np.cumsum(rng.standard_normal(60))
    y = 0.02 * x + 0.01 * rng.standard_normal(60)
    y_nan = y.copy()
    y_nan[[5, 17, 40]] = np.nan
    fit = ols(x, y_nan)
    ok = np.isfinite(y_nan)
    design = np.column_stack([np.ones(ok.sum()), x[ok]])
    coef, rss, *_ = np.linalg.lstsq(design, y_nan[ok], rcond=None)
    cov = rss[0] / (ok.sum() - 2) * np.linalg.inv(design.T @ design)
    r2 = 1 - rss[0] / ((y_nan[ok] - y_nan[ok].mean()) ** 2).sum()
    assert int(fit.n) == 57
    np.testing.assert_allclose([fit.intercept, fit.slope, fit.slope_se, fit.r2],
                               [coef[0], coef[1], math.sqrt(cov[1, 1]), r2], rtol=1e-10)
    fair = 0.5 + 0.01 * np.cumsum(rng.standard_normal(60))
    r = regression_deltas(x, y_nan, fair)
    assert int(r.implied_delta.n) == int(r.spread_delta.n) == int(r.overreaction.n) == 59 - 6
    assert int(r.level_pm.n) == 57 and int(r.level_fair.n) == 57
    d_ok = np.isfinite(np.diff(y_nan))
    np.testing.assert_allclose(r.spread_delta.slope, np.polyfit(np.diff(x)[d_ok], np.diff(fair)[d_ok], 1)[0],
                               rtol=1e-10)
    assert math.isnan(float(ols(np.ones(10), y[:10]).slope))       # constant x: NaN, n says 10
    assert math.isnan(float(ols(x[:2], y[:2]).slope_se))          # n < 3


def _synthetic(rng, n_series, persistence, overreaction, noise=0.01, n_days=54):
    """The generator's prediction market (jaxmm.synthetic.series.generate) for n_series
    independent contracts at its defaults, with no tick rounding and no clip (so the truth is
    exact): (futures, pm, fair), each (n_series, n_days)."""
    vol, dlt = 0.6, 1.0 / 252
    t = (n_days - np.arange(n_days)) / 252.0
    z = rng.standard_normal((n_series, n_days, 2))
    step = -0.5 * vol ** 2 * dlt + vol * math.sqrt(dlt) * z[:, 1:, 0]
    fut = 85.0 * np.exp(np.concatenate([np.zeros((n_series, 1)), np.cumsum(step, axis=1)], axis=1))
    fair, _ = call_spread(fut, np.broadcast_to(t, fut.shape), {"strike": 90.0, "half_width": 0.5, "vol": vol})
    over = np.zeros_like(fair)
    for j in range(1, n_days):
        over[:, j] = persistence * over[:, j - 1] + (overreaction - 1) * (fair[:, j] - fair[:, j - 1])
    return fut, fair + over + noise * z[:, :, 1], fair


def _pooled(x, n_groups):
    """(R, n) series -> (n_groups, R / n_groups * (n + 1)): contracts end to end, a NaN row
    between them (so no difference spans two contracts)."""
    x = np.concatenate([x, np.full((x.shape[0], 1), np.nan)], axis=1)
    return x.reshape(n_groups, -1)


@pytest.mark.parametrize("persistence", [0.0, 0.7, 0.95])
def test_regression_recovers_the_overreaction_slope(persistence):
    """With o_t = a o_{t-1} + (s - 1) d fair_t and pm = fair + o + noise e_t,

        d pm_t = s d fair_t + (a - 1) o_{t-1} + noise (e_t - e_{t-1}),

    and o_{t-1} is a sum of past fair increments. Fair value is a martingale (driftless
    futures, undiscounted), so d fair_t is uncorrelated with o_{t-1} and with the noise: the
    population slope of d pm on d fair is s for every a (no bias from the AR(1)), and that of
    d pm on d F is s times that of d fair on d F. In one 54-day sample the slope has an
    O(1/n) ratio bias (~0.004 measured at a = 0.7) and the classical SE understates its
    sd by 10-20% (heteroskedastic increments, autocorrelated errors), so the test pools:
    1000 contracts in 20 groups of 50 (pooled regressions, NaN rows between contracts), and
    the mean group slope is within 4 SE (the groups' sd / sqrt(20)) of s = 1.5; the mean of
    implied - s x spread delta is within 4 SE of 0."""
    s = 1.5
    fut, pm, fair = _synthetic(np.random.default_rng(11), 1000, persistence, s)
    r = jax.vmap(regression_deltas)(_pooled(fut, 20), _pooled(pm, 20), _pooled(fair, 20))
    assert int(r.overreaction.n[0]) == 50 * 53
    slope = np.asarray(r.overreaction.slope)
    assert abs(slope.mean() - s) < K_SE * slope.std(ddof=1) / math.sqrt(20)
    gap = np.asarray(r.implied_delta.slope - s * r.spread_delta.slope)
    assert abs(gap.mean()) < K_SE * gap.std(ddof=1) / math.sqrt(20)
    assert float(r.overreaction.r2.min()) > 0.5
    # No overreaction (s = 1, a = 0): the implied delta is the spread's, slope ~1.
    fut, pm, fair = _synthetic(np.random.default_rng(12), 1000, 0.0, 1.0)
    r = jax.vmap(regression_deltas)(_pooled(fut, 20), _pooled(pm, 20), _pooled(fair, 20))
    slope = np.asarray(r.overreaction.slope)
    assert abs(slope.mean() - 1.0) < K_SE * slope.std(ddof=1) / math.sqrt(20)


# ---------------------------------------------------------------------------------------
# The market-making simulator


def test_no_arrivals_gives_zero_pnl_and_inventory():
    """A = 0: no fill ever, so inventory, hedges and every P&L are exactly 0 on every path."""
    r = simulate_fair_value(SHORT._replace(A=0.0), KEY, N_PATHS, GRID)
    for x in (r.pnl, r.edge, r.hedge_pnl, r.hedge_cost, r.n_hedges, r.futures_traded, r.final_q, r.n_fills,
              r.max_drawdown):
        assert float(jnp.abs(x).max()) == 0.0
    assert r.pnl.shape == (5, N_PATHS)


def test_edge_per_fill_is_the_half_spread():
    """skew = 0: quotes are fair -+ half_spread, so every fill earns half_spread x size against
    fair value: edge = half_spread size n_fills on every path (1e-12)."""
    r = simulate_fair_value(SHORT._replace(half_spread=0.013), KEY, N_PATHS, GRID)
    assert float(r.n_fills.min()) > 0
    np.testing.assert_allclose(r.edge, 0.013 * 10.0 * r.n_fills, rtol=0, atol=1e-12)


def test_hedging_every_step_cuts_pnl_risk():
    """hedge_cost = 0, threshold 0 (delta-neutral after every step) against never hedging:
    the P&L sd falls to ~0.3 of the unhedged (measured 0.29 over 20 days at 4 steps a day,
    0.17 over 54 days at 8; asserted < 0.4: what is left is the discrete hedging of the
    digital's gamma near expiry), at no cost, with the mean unchanged within 4 SE."""
    r = simulate_fair_value(SHORT._replace(hedge_cost=0.0), KEY, N_PATHS, GRID)
    hedged, naked = np.asarray(r.pnl[0]), np.asarray(r.pnl[-1])
    assert hedged.std() / naked.std() < 0.4
    assert float(r.hedge_cost.max()) == 0.0 and float(r.n_hedges[0].mean()) > 60
    assert abs(hedged.mean() - naked.mean()) < K_SE * (hedged - naked).std() / math.sqrt(hedged.size)


def test_risk_falls_and_hedging_cost_rises_as_the_threshold_falls():
    """Over thresholds inf, 2, 1, 0.5, 0 (common random numbers): mean hedge cost, hedge
    count and futures traded strictly increase, from exactly 0 at inf; P&L sd and mean
    drawdown strictly decrease. The contract side (fills, inventory, the P&L of the contracts
    themselves) is the same for every threshold (1e-9), and a threshold's row does not
    depend on the grid it is in (exactly)."""
    r = simulate_fair_value(SHORT, KEY, N_PATHS, GRID[::-1])
    cost, n_hedges = np.asarray(r.hedge_cost.mean(axis=1)), np.asarray(r.n_hedges.mean(axis=1))
    traded, sd = np.asarray(r.futures_traded.mean(axis=1)), np.asarray(r.pnl.std(axis=1))
    assert cost[0] == 0.0 and np.all(np.diff(cost) > 0)
    assert np.all(np.diff(n_hedges) > 0) and np.all(np.diff(traded) > 0)
    assert np.all(np.diff(sd) < 0) and np.all(np.diff(np.asarray(r.max_drawdown.mean(axis=1))) < 0)
    np.testing.assert_array_equal(r.final_q[0], r.final_q[-1])
    np.testing.assert_array_equal(r.edge[0], r.edge[-1])
    contracts = r.pnl - r.hedge_pnl + r.hedge_cost        # the contract book's P&L: no threshold in it
    np.testing.assert_allclose(contracts[0], contracts[-1], rtol=0, atol=1e-9)
    forward = simulate_fair_value(SHORT, KEY, N_PATHS, GRID)
    for x, y in zip(forward, r):
        np.testing.assert_array_equal(x, y[::-1])


def test_fill_counts_match_the_closed_form_and_the_wrong_side_fills_more():
    """vol = 0 and noise = 0: the futures never moves, so o = 0 and fair and pm are constant.

    F0 = K: fair = 0.5 (the spread's ramp midpoint) = pm, both quotes half_spread from the
    market, each side's fills per path are Binomial(n_steps, p), p = 1 - exp(-A e^(-k hs) dt).
    F0 = 80: fair = 0 but pm = 0.01 (the clip), so with hs = 0.005 the ask sits 0.005 below
    the market (x = -0.005: p = 1 - exp(-A e^(0.5) dt)) and the bid 0.015 below (x = 0.015):
    the quote on the wrong side of pm fills more (2.3 times here). Means over paths within
    4 SE of n_steps p."""
    dt_days = 1.0 / SHORT.steps_per_day
    still = SHORT._replace(vol=0.0, noise=0.0, q_max=math.inf)
    for p, x_bid, x_ask in ((still._replace(futures0=90.0), 0.01, 0.01),
                            (still._replace(futures0=80.0, half_spread=0.005), 0.015, -0.005)):
        r = simulate_fair_value(p, KEY, N_PATHS, GRID)
        n = n_steps_of(p)
        for fills, x in ((r.n_buys[0], x_bid), (r.n_sells[0], x_ask)):
            prob = -math.expm1(-p.A * math.exp(-p.k * x) * dt_days)
            assert float(fill_probability(x, dt_days, p.A, p.k)) == pytest.approx(prob, rel=1e-14)
            se = math.sqrt(n * prob * (1 - prob) / N_PATHS)
            assert abs(float(fills.mean()) - n * prob) < K_SE * se
    assert float(r.n_sells.mean()) > 2 * float(r.n_buys.mean())
    assert float(fill_probability(-1e3, 0.1, 0.0, 100.0)) == 0.0      # A = 0: 0, not NaN


def test_inventory_skew_and_limit():
    """skew > 0 leans the quotes against the inventory: final-inventory sd falls (asserted
    < 0.8 of the unskewed); |q| never exceeds q_max."""
    plain = simulate_fair_value(SHORT, KEY, N_PATHS, GRID)
    skewed = simulate_fair_value(SHORT._replace(skew=2e-4), KEY, N_PATHS, GRID)
    assert float(skewed.final_q.std() / plain.final_q.std()) < 0.8
    assert float(jnp.abs(plain.final_q).max()) <= SHORT.q_max


def test_deterministic_and_sample_path():
    """Same key -> identical results, another key differs; sample_path is the path of a
    one-path run (its last wealth is that run's P&L, 1e-12), starts at the parameters, keeps
    the net delta within the threshold after each hedge and ends at the settlement."""
    a = simulate_fair_value(SHORT, KEY, N_PATHS, GRID)
    b = simulate_fair_value(SHORT, KEY, N_PATHS, GRID)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(simulate_fair_value(SHORT, jax.random.PRNGKey(1), N_PATHS, GRID).pnl, a.pnl)
    path = sample_path(SHORT, KEY, 1.0)
    n = n_steps_of(SHORT)
    assert all(x.shape == (n + 1,) for x in path)
    single = simulate_fair_value(SHORT, KEY, 1, [1.0])
    assert float(path.wealth[-1]) == pytest.approx(float(single.pnl[0, 0]), abs=1e-12)
    assert float(path.inventory[-1]) == float(single.final_q[0, 0])
    assert float(path.futures[0]) == 85.0 and float(path.t[-1]) == pytest.approx(SHORT.T, abs=1e-15)
    assert float(path.fair[-1]) == float(path.futures[-1] > 90.0) and math.isnan(float(path.bid[-1]))
    np.testing.assert_allclose(path.ask[:-1] - path.bid[:-1], 0.02, atol=1e-15)
    net = path.hedge[:-1] + path.inventory[:-1] * fair_delta(path.futures[:-1], 90.0, 0.5, SHORT.T - path.t[:-1], 0.6)
    assert float(jnp.abs(net).max()) <= 1.0 + 1e-9


def test_float32_agrees_with_float64_in_distribution():
    """float32 (the GPU setting) against float64: different random numbers from one key, so
    independent samples; mean P&L, fills and hedge cost agree within 4 SE of the difference
    at every threshold."""
    r64 = simulate_fair_value(SHORT, KEY, N_PATHS, GRID, dtype=jnp.float64)
    r32 = simulate_fair_value(SHORT, KEY, N_PATHS, GRID, dtype=jnp.float32)
    assert r32.pnl.dtype == jnp.float32
    for a, b in ((r64.pnl, r32.pnl), (r64.n_fills, r32.n_fills), (r64.hedge_cost, r32.hedge_cost)):
        a, b = np.asarray(a, float), np.asarray(b, float)
        se = np.sqrt(a.var(axis=1) / a.shape[1] + b.var(axis=1) / b.shape[1])
        assert np.all(np.abs(a.mean(axis=1) - b.mean(axis=1)) < K_SE * se + 1e-12)
