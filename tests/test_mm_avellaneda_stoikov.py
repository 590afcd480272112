"""Avellaneda-Stoikov quotes and simulator: closed forms, known limits and statistics.

Statistical assertions are stated in standard errors (k = 4: a false alarm about once in
16,000 runs, and the seeds are fixed, so a run reproduces).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmm.mm.avellaneda_stoikov import (ASParams, fill_probability, optimal_spread, quotes, reservation_price,
                                         simulate, simulate_grid)

KEY = jax.random.PRNGKey(20081)
K_SE = 4.0


def test_reservation_price_and_spread_closed_forms():
    """The paper's formulas at its section 3.3 set-up (exact to 1e-14)."""
    assert float(reservation_price(100.0, 3.0, 0.5, 0.1, 2.0)) == pytest.approx(100.0 - 3 * 0.1 * 4 * 0.5, abs=1e-14)
    assert float(optimal_spread(0.5, 0.1, 2.0, 1.5)) == pytest.approx(0.1 * 4 * 0.5 + 20 * math.log(1 + 0.1 / 1.5),
                                                                      rel=1e-14)
    bid, ask = quotes(100.0, 3.0, 0.5, ASParams())
    assert float(0.5 * (bid + ask)) == pytest.approx(99.4, abs=1e-12)     # 100 - 3 x 0.1 x 4 x 0.5
    bid, ask = quotes(100.0, 3.0, 0.5, ASParams(), "symmetric")
    assert float(0.5 * (bid + ask)) == pytest.approx(100.0, abs=1e-12)


def test_gamma_to_zero_limit():
    """gamma -> 0: reservation price -> s and spread -> 2/k (1e-9 at gamma = 1e-10)."""
    assert float(optimal_spread(1.0, 1e-10, 2.0, 1.5)) == pytest.approx(2 / 1.5, rel=1e-9)
    assert float(reservation_price(100.0, 5.0, 1.0, 1e-10, 2.0)) == pytest.approx(100.0, abs=1e-8)


def test_no_arrivals_no_fills_zero_profit():
    """A = 0: no fill ever, so profit and inventory are exactly 0 on every path."""
    r = simulate(ASParams(A=0.0), KEY, 1000, 200)
    assert float(jnp.abs(r.profit).max()) == 0.0 and float(jnp.abs(r.final_q).max()) == 0.0
    assert float(r.n_bid_fills.max()) == 0.0 and float(r.n_ask_fills.max()) == 0.0


@pytest.mark.parametrize("fill", ["linear", "poisson"])
def test_expected_fills_per_step_match_the_closed_form(fill):
    """sigma = 0: the quotes sit at delta = ln(1 + gamma/k)/gamma from the mid at every step,
    so each side's fills per path are Binomial(n_steps, p) with p = A e^(-k delta) dt
    (linear) or 1 - exp(-A e^(-k delta) dt) (poisson); the mean over paths is within 4
    standard errors of n_steps p."""
    n_paths, n_steps = 20000, 200
    p = ASParams(sigma=0.0)
    r = simulate(p, KEY, n_paths, n_steps, fill=fill)
    delta = math.log1p(0.1 / 1.5) / 0.1
    rate = 140.0 * math.exp(-1.5 * delta) / n_steps
    prob = rate if fill == "linear" else -math.expm1(-rate)
    se = math.sqrt(n_steps * prob * (1 - prob) / n_paths)
    for fills in (r.n_bid_fills, r.n_ask_fills):
        assert abs(float(fills.mean()) - n_steps * prob) < K_SE * se
    assert float(fill_probability(delta, 1 / n_steps, 140.0, 1.5, fill)) == pytest.approx(prob, rel=1e-14)


def test_inventory_and_symmetric_agree_as_gamma_goes_to_zero():
    """gamma = 1e-9: the two strategies' quotes differ by ~1e-8, so with the same random
    numbers every path has the same fills, and profits agree to 1e-5."""
    inv = simulate(ASParams(gamma=1e-9), KEY, 2000, 200, "inventory")
    sym = simulate(ASParams(gamma=1e-9), KEY, 2000, 200, "symmetric")
    np.testing.assert_array_equal(inv.n_bid_fills, sym.n_bid_fills)
    np.testing.assert_array_equal(inv.final_q, sym.final_q)
    np.testing.assert_allclose(inv.profit, sym.profit, atol=1e-5)


def test_inventory_strategy_reduces_inventory_and_profit_risk():
    """The paper's qualitative result at gamma = 0.1: the inventory strategy's final-q and
    profit standard deviations are well below the symmetric strategy's (ratios measured
    ~0.35 and ~0.5 here; asserted < 0.5 and < 0.7)."""
    inv = simulate(ASParams(), KEY, 5000, 200, "inventory")
    sym = simulate(ASParams(), KEY, 5000, 200, "symmetric")
    assert float(inv.final_q.std() / sym.final_q.std()) < 0.5
    assert float(inv.profit.std() / sym.profit.std()) < 0.7
    np.testing.assert_allclose(inv.mean_spread.mean(), sym.mean_spread.mean(), rtol=1e-12)


def test_inventory_limit_is_respected():
    r = simulate(ASParams(gamma=0.01, q_max=3.0), KEY, 2000, 200, "symmetric")
    assert float(jnp.abs(r.final_q).max()) <= 3.0


def test_deterministic_for_a_key_and_grid_matches_single_runs():
    a = simulate(ASParams(gamma=0.5), KEY, 500, 100)
    b = simulate(ASParams(gamma=0.5), KEY, 500, 100)
    np.testing.assert_array_equal(a.profit, b.profit)
    grid = simulate_grid(ASParams(gamma=jnp.array([0.1, 0.5])), KEY, 500, 100)
    assert grid.profit.shape == (2, 500)
    np.testing.assert_allclose(grid.profit[1], a.profit, rtol=1e-12)


def test_float32_agrees_with_float64_in_distribution():
    """float32 paths (the GPU setting) against float64: the two dtypes draw different
    random numbers from one key, so they are independent samples; mean profit, final-q
    spread and fills agree within 4 standard errors of the difference."""
    r64 = simulate(ASParams(), KEY, 20000, 200, dtype=jnp.float64)
    r32 = simulate(ASParams(), KEY, 20000, 200, dtype=jnp.float32)
    assert r32.profit.dtype == jnp.float32
    for a, b in ((r64.profit, r32.profit), (r64.n_bid_fills, r32.n_bid_fills), (r64.final_q, r32.final_q)):
        a, b = np.asarray(a, float), np.asarray(b, float)
        se = math.sqrt(a.var() / a.size + b.var() / b.size)
        assert abs(a.mean() - b.mean()) < K_SE * se


def test_bad_options_raise():
    with pytest.raises(ValueError, match="strategy"):
        quotes(100.0, 0.0, 1.0, ASParams(), "momentum")
    with pytest.raises(ValueError, match="fill"):
        fill_probability(1.0, 0.01, 140.0, 1.5, "hawkes")
    with pytest.raises(ValueError, match="mid"):
        simulate(ASParams(), KEY, 10, 10, mid="jump")
