"""Quoting policies as objects (jaxmm.mm.policies) and fill models (jaxmm.mm.fills).

Exact checks (1e-12) against the formulas of jaxmm.mm.avellaneda_stoikov and
jaxmm.mm.glft; a policy's numeric field is a traced leaf (no recompile), its structural
field static; the registry holds the config's names.
"""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmm.mm import fills, policies
from jaxmm.mm.avellaneda_stoikov import ASParams, quotes
from jaxmm.mm.glft import approx_quotes, exact_quotes
from jaxmm.mm.simulate import STRATEGIES, simulate


def test_registry_names_are_the_config_strategies():
    assert STRATEGIES == ("inventory", "symmetric", "glft", "glft_approx")
    assert policies.make_policy("glft", glft_bound=7) == policies.GLFTExact(bound=7)
    with pytest.raises(ValueError, match="strategy"):
        policies.make_policy("momentum")
    with pytest.raises(ValueError, match="glft_bound"):
        policies.make_policy("glft", glft_bound=0)
    with pytest.raises(ValueError, match="fill"):
        fills.fill_model("hawkes")


def test_offsets_are_the_formulas():
    p = ASParams(gamma=0.3)
    q, tau = jnp.arange(-5.0, 6.0), 0.4
    for name in ("inventory", "symmetric"):
        db, da = policies.make_policy(name).offsets(p, q, tau)
        bid, ask = quotes(100.0, q, tau, p, name)
        np.testing.assert_allclose(100.0 - db, bid, atol=1e-12)
        np.testing.assert_allclose(100.0 + da, ask, atol=1e-12)
    db, da = policies.GLFTApprox().offsets(p, q, tau)
    np.testing.assert_allclose(jnp.stack([db, da]), jnp.stack(approx_quotes(q, 0.3, 2.0, 1.5, 140.0)), atol=1e-12)
    db, da = policies.GLFTExact(bound=5).offsets(p, q, tau)
    eb, ea = exact_quotes(tau, 0.3, 2.0, 1.5, 140.0, 5)
    np.testing.assert_allclose(db, eb, atol=1e-12)
    np.testing.assert_allclose(da, ea, atol=1e-12)
    db, da = policies.FixedSpread(1.29).offsets(p, q, tau)
    np.testing.assert_allclose(np.asarray(db) + np.asarray(da), 1.29, atol=1e-12)


def test_policy_pytrees_leaves_and_static_fields():
    assert jax.tree_util.tree_leaves(policies.FixedSpread(1.29)) == [1.29]
    assert jax.tree_util.tree_leaves(policies.GLFTExact(bound=4)) == []
    assert (jax.tree_util.tree_structure(policies.GLFTExact(bound=4))
            != jax.tree_util.tree_structure(policies.GLFTExact(bound=5)))
    traces = []

    @jax.jit
    def half(policy):
        traces.append(1)
        return policy.half_skew(ASParams(), 1.0)[0]

    assert float(half(policies.FixedSpread(1.0))) == 0.5
    assert float(half(policies.FixedSpread(2.0))) == 1.0
    assert len(traces) == 1                                   # the spread is a leaf: no retrace


def test_fixed_spread_equal_to_symmetric_spread_gives_the_symmetric_run():
    """FixedSpread at the symmetric policy's average spread quotes the same, so on one key
    the runs agree (profits to 1e-9: the spreads differ by rounding only)."""
    from jaxmm.mm.avellaneda_stoikov import average_spread

    p = ASParams(gamma=0.1)
    key = jax.random.PRNGKey(2)
    sym = simulate(p, key, 2000, 200, strategy="symmetric")
    fixed = simulate(p, key, 2000, 200, strategy=policies.FixedSpread(float(average_spread(1.0, 0.1, 2.0, 1.5))))
    np.testing.assert_array_equal(sym.final_q, fixed.final_q)
    np.testing.assert_allclose(sym.profit, fixed.profit, atol=1e-9)


def test_the_two_fill_probabilities_are_distinct_questions():
    # A-S: a quote delta from the mid; prediction market: a quote x on the wrong side of the market.
    np.testing.assert_allclose(fills.quote_fill_probability(1.0, 0.005, 140.0, 1.5),
                               min(140.0 * np.exp(-1.5) * 0.005, 1.0), rtol=1e-14)
    np.testing.assert_allclose(fills.quote_fill_probability(1.0, 0.005, 140.0, 1.5, "poisson"),
                               -np.expm1(-140.0 * np.exp(-1.5) * 0.005), rtol=1e-14)
    np.testing.assert_allclose(fills.crossing_fill_probability(-0.01, 0.25, 10.0, 100.0),
                               -np.expm1(-10.0 * np.exp(1.0) * 0.25), rtol=1e-14)
    h, x = jnp.asarray(0.7), jnp.linspace(-3.0, 3.0, 13)
    for model in fills.FILL_MODELS.values():
        pb, pa = model.affine_probabilities(h, x, 0.005, 140.0, 1.5)
        np.testing.assert_allclose(pb, model.probability(h + x, 0.005, 140.0, 1.5), rtol=1e-13)
        np.testing.assert_allclose(pa, model.probability(h - x, 0.005, 140.0, 1.5), rtol=1e-13)


def test_doctests():
    assert doctest.testmod(policies, raise_on_error=False).failed == 0
    assert doctest.testmod(fills, raise_on_error=False).failed == 0
