"""GLFT optimal quotes: the exact inventory-bounded solution against 60-digit mpmath, its
limits, and the paper's closed-form approximation."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from jaxmm.mm.glft import approx_quotes, exact_quotes

PAPER = dict(gamma=0.1, sigma=2.0, k=1.5, A=140.0)   # Avellaneda-Stoikov's section 3.3 set-up
BASE = math.log1p(0.1 / 1.5) / 0.1


def test_exact_quotes_match_mpmath_matrix_exponential():
    """Q = 30, tau = 1: every quote equals the 60-digit mpmath evaluation of
    w = expm(-M tau) 1 to 1e-13 absolute, the edges (w 1e-14 of its largest entry) too."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    g, s, k, A, Q = PAPER["gamma"], PAPER["sigma"], PAPER["k"], PAPER["A"], 30
    q = np.arange(-Q, Q + 1)
    alpha, eta = k * g * s * s / 2, A * (1 + g / k) ** (-(1 + k / g))
    m = np.diag(alpha * q * q.astype(float)) - eta * (np.eye(2 * Q + 1, k=1) + np.eye(2 * Q + 1, k=-1))
    e = mpmath.expm(-mpmath.matrix(m.tolist()))
    w = [mpmath.fsum(e[i, j] for j in range(2 * Q + 1)) for i in range(2 * Q + 1)]
    ref_b = np.array([float(mpmath.log(w[i] / w[i + 1]) / k) for i in range(2 * Q)]) + BASE
    ref_a = np.array([float(mpmath.log(w[i] / w[i - 1]) / k) for i in range(1, 2 * Q + 1)]) + BASE
    db, da = exact_quotes(1.0, **PAPER, q_max=Q)
    np.testing.assert_allclose(db[:-1], ref_b, atol=1e-13)
    np.testing.assert_allclose(da[1:], ref_a, atol=1e-13)
    assert np.isnan(db[-1]) and np.isnan(da[0])        # no bid at Q, no ask at -Q


def test_exact_quotes_limits_and_symmetry():
    """At expiry (tau -> 0) every quote is the myopic ln(1 + gamma/k)/gamma; at every tau the
    bid at q mirrors the ask at -q (1e-12) and the bid rises, the ask falls, with q; long
    horizons converge (tau 10 and 1000 agree to 1e-12) without underflow."""
    db, da = exact_quotes(jnp.array([1e-9, 0.5, 10.0, 1000.0]), **PAPER, q_max=20)
    np.testing.assert_allclose(db[0, :-1], BASE, atol=1e-7)
    np.testing.assert_allclose(db[:, :-1], da[:, :0:-1], atol=1e-12)
    assert (np.diff(np.asarray(db[1:, :-1]), axis=-1) > 0).all()
    np.testing.assert_allclose(db[2], db[3], atol=1e-12)
    assert np.isfinite(db[3, :-1]).all()


def test_closed_form_approximation_near_the_stationary_exact_quotes():
    """Far from expiry the paper's closed form is close to the exact quotes for small
    inventories: within 0.003 (0.5% of the quote) for |q| <= 3 at the section 3.3
    set-up (measured 0.0021), and it mirrors bid and ask the same way."""
    Q = 30
    db, da = exact_quotes(100.0, **PAPER, q_max=Q)
    q = jnp.arange(-3, 4)
    ab, aa = approx_quotes(q, **PAPER)
    np.testing.assert_allclose(ab, db[Q - 3:Q + 4], atol=0.003)
    np.testing.assert_allclose(aa, da[Q - 3:Q + 4], atol=0.003)
    np.testing.assert_allclose(ab, aa[::-1], atol=1e-12)


def test_closed_form_matches_hftbacktest_worked_example():
    """hftbacktest's tutorial "GLFT Market Making Model and Grid Trading" (nkaz001/hftbacktest,
    docs/tutorials; Guéant's eqs. 4.6-4.7 with Delta = 1 and xi = gamma) calibrates ETHUSDT
    on 2022-10-03 to A = 2.9932203436865956, k = 0.04249732177397641 (per second, ticks),
    takes sigma = 10.69 and gamma = 0.05, and prints half_spread = 20.419892817641397 and
    skew = 9.7302402975805. Our bid distance at q = 0 is its half spread and the step per
    unit of inventory its skew (1e-12 relative)."""
    A, k, gamma, sigma = 2.9932203436865956, 0.04249732177397641, 0.05, 10.69
    db, da = approx_quotes(jnp.array([0.0, 1.0]), gamma, sigma, k, A)
    assert float(db[0]) == pytest.approx(20.419892817641397, rel=1e-12)
    assert float(da[0]) == pytest.approx(20.419892817641397, rel=1e-12)
    assert float(db[1] - db[0]) == pytest.approx(9.7302402975805, rel=1e-12)
    assert float(da[0] - da[1]) == pytest.approx(9.7302402975805, rel=1e-12)


def test_closed_form_at_the_paper_figure_parameters():
    """GLFT (2013) figures 1-3: sigma 0.3 Tick s^-1/2, A 0.9 s^-1, k 0.3 Tick^-1, gamma 0.01
    Tick^-1, T 600 s. The paper prints no quote values (only plots), so this checks the
    closed form's own algebra there: delta_b(0) = ln(1 + gamma/k)/gamma + c/2 = 3.3129 and
    the exact quotes at t = 0 with Q = 30 lie within 0.002 tick of it for |q| <= 2 (measured
    6.3e-4: 600 s is long against the 1/(k A) time scale)."""
    g, s, k, A = 0.01, 0.3, 0.3, 0.9
    c = math.sqrt(s * s * g / (2 * k * A) * (1 + g / k) ** (1 + k / g))
    base = math.log1p(g / k) / g
    db, da = approx_quotes(0.0, g, s, k, A)
    assert float(db) == pytest.approx(base + c / 2, rel=1e-13) and round(float(db), 4) == 3.3129
    eb, ea = exact_quotes(600.0, g, s, k, A, q_max=30)
    qb, qa = approx_quotes(jnp.arange(-2.0, 3.0), g, s, k, A)
    np.testing.assert_allclose(eb[28:33], qb, atol=0.002)
    np.testing.assert_allclose(ea[28:33], qa, atol=0.002)
