"""jaxmm.surfaces.svi: raw SVI, its butterfly function g, jump-wings, the GJ 2014 repair, SSVI.

Every tolerance is stated next to its assertion. References: Gatheral & Jacquier (2014),
"Arbitrage-free SVI volatility surfaces", Quantitative Finance 14(1) ("GJ 2014").
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmm.pricing import black
from jaxmm.surfaces import svi

# Vogt's slice, GJ 2014 Example 3.1, given there as (a, b, m, rho, sigma); the library's
# order is (a, b, rho, m, sigma).
VOGT = (-0.0410, 0.1331, 0.3060, 0.3586, 0.4153)
VOGT_T = 1.0

# A few arbitrage-free raw slices (a, b, rho, m, sigma) with their expiries: g > 0 is
# checked below on a grid before they are used as references.
FREE_SLICES = [
    ((0.02, 0.1, -0.4, 0.05, 0.2), 0.5),
    ((0.01, 0.05, -0.7, 0.0, 0.1), 0.25),
    ((0.04, 0.2, 0.2, -0.1, 0.4), 1.5),
]


def _rng_slices(n, seed):
    """Random valid raw slices (b > 0, |rho| < 1, sigma > 0, min variance > 0) and t."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        rho = rng.uniform(-0.95, 0.95)
        b = rng.uniform(0.01, 1.0)
        sigma = rng.uniform(0.01, 1.0)
        m = rng.uniform(-0.5, 0.5)
        a = rng.uniform(-0.5, 1.0) * b * sigma * np.sqrt(1.0 - rho * rho) + rng.uniform(1e-3, 0.05)
        out.append((np.array([a, b, rho, m, sigma]), rng.uniform(0.05, 3.0)))
    return out


# --------------------------------------------------------------------------- raw SVI


def test_raw_total_variance_known_value():
    """w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)) by hand at one point (1e-15)."""
    p = (0.04, 0.1, -0.5, 0.01, 0.2)
    k = 0.05
    expected = 0.04 + 0.1 * (-0.5 * 0.04 + np.sqrt(0.04**2 + 0.2**2))    # 0.060396078054...
    assert float(svi.raw_total_variance(p, k)) == pytest.approx(expected, rel=1e-15, abs=0.0)
    # vectorised over k and over a stacked parameter array
    ks = jnp.array([-0.3, 0.0, 0.05, 0.7])
    arr = jnp.array(p)
    np.testing.assert_allclose(svi.raw_total_variance(arr, ks),
                               [float(svi.raw_total_variance(p, float(x))) for x in ks], rtol=1e-15)


def test_raw_derivatives_match_autodiff():
    """w', w'' of raw_derivatives equal jax.grad of raw_total_variance to 1e-12 (relative)."""
    ks = jnp.linspace(-2.0, 2.0, 41)
    for p, _ in FREE_SLICES + [(VOGT, VOGT_T)]:
        w, dw, d2w = svi.raw_derivatives(p, ks)
        f = lambda k, p=p: svi.raw_total_variance(p, k)  # noqa: E731
        np.testing.assert_allclose(w, f(ks), rtol=1e-14)
        np.testing.assert_allclose(dw, jax.vmap(jax.grad(f))(ks), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(d2w, jax.vmap(jax.grad(jax.grad(f)))(ks), rtol=1e-12)


# --------------------------------------------------------------------------- butterfly g


@pytest.mark.parametrize("params,t", FREE_SLICES)
def test_butterfly_g_is_the_density_of_black_prices(params, t):
    """g against an independent density: with F = D = 1 and C(K) the Black call price at
    the slice's vol sqrt(w(ln K) / t), the density of k = ln K is K d2C/dK2 (central
    difference, step 1e-4 in K); it must equal g(k) / sqrt(2 pi w) exp(-d2^2 / 2) with
    d2 = -k / sqrt(w) - sqrt(w) / 2 (GJ 2014, Lemma 2.2). FD tolerance: 1e-5 absolute plus
    1e-5 relative (measured error ~1e-7: truncation h^2 C'''' / 12 plus rounding)."""
    assert float(svi.butterfly_g(params, jnp.linspace(-3.0, 3.0, 601)).min()) > 0.0   # arbitrage-free

    def call(strike):
        w = svi.raw_total_variance(params, jnp.log(strike))
        return black.price(1.0, strike, t, jnp.sqrt(w / t), True, 1.0)

    h = 1e-4
    for k in (-0.5, -0.2, -0.05, 0.0, 0.1, 0.3, 0.6):
        strike = float(np.exp(k))
        d2c = (float(call(strike + h)) - 2.0 * float(call(strike)) + float(call(strike - h))) / (h * h)
        fd_density = strike * d2c
        w = float(svi.raw_total_variance(params, k))
        d2 = -k / np.sqrt(w) - np.sqrt(w) / 2.0
        density = float(svi.butterfly_g(params, k)) / np.sqrt(2.0 * np.pi * w) * np.exp(-0.5 * d2 * d2)
        assert fd_density == pytest.approx(density, rel=1e-5, abs=1e-5), (k, fd_density, density)


def test_vogt_slice_has_butterfly_arbitrage_despite_usual_bounds():
    """GJ 2014 Example 3.1 (Vogt): every usual parameter bound holds, yet on a 0.001 grid
    min g = -0.0329 (+-0.001) near k = 0.88 (+-0.01) and g < 0 on one interval from 0.64
    to 1.26 (+-0.01 each end)."""
    a, b, rho, m, sigma = VOGT
    assert b >= 0.0 and abs(rho) < 1.0 and sigma > 0.0
    assert a + b * sigma * np.sqrt(1.0 - rho * rho) >= 0.0
    assert b * (1.0 + abs(rho)) <= 2.0
    grid = jnp.linspace(-1.5, 2.5, 4001)
    check = svi.butterfly_check(VOGT, grid)
    assert float(check.min_g) == pytest.approx(-0.0329, abs=1e-3)
    assert float(check.argmin_k) == pytest.approx(0.88, abs=1e-2)
    starts = np.asarray(check.starts)
    ends = np.asarray(check.ends)
    assert np.isfinite(starts).sum() == 1 and np.isfinite(ends).sum() == 1      # one interval
    assert np.isnan(starts[1:]).all() and np.isnan(ends[1:]).all()               # NaN-padded
    assert starts[0] == pytest.approx(0.64, abs=1e-2)
    assert ends[0] == pytest.approx(1.26, abs=1e-2)
    # n_negative counts exactly the grid points of that interval (spacing 0.001)
    assert int(check.n_negative) == round((ends[0] - starts[0]) / 0.001) + 1
    g = np.asarray(svi.butterfly_g(VOGT, grid))
    assert (g[(grid < starts[0] - 1e-9) | (grid > ends[0] + 1e-9)] >= 0.0).all()


def test_butterfly_check_free_slice_and_tolerance():
    """An arbitrage-free slice: n_negative 0 and all-NaN intervals; Vogt with tol 0.05
    (> |min g|): no negative point either, but min_g is still reported."""
    grid = jnp.linspace(-2.0, 2.0, 401)
    check = svi.butterfly_check(FREE_SLICES[0][0], grid)
    assert int(check.n_negative) == 0 and float(check.min_g) > 0.0
    assert np.isnan(np.asarray(check.starts)).all() and np.isnan(np.asarray(check.ends)).all()
    check = svi.butterfly_check(VOGT, grid, tol=0.05)
    assert int(check.n_negative) == 0 and float(check.min_g) < 0.0


def test_repair_butterfly_on_vogt():
    """GJ 2014 section 5.2 on Vogt: the repaired slice has g >= 0 on k in [-3, 3] (0.001
    grid), keeps v, psi and p (1e-12 relative) and has c' = p + 2 psi (1e-12)."""
    fixed = svi.repair_butterfly(VOGT, VOGT_T)
    grid = jnp.linspace(-3.0, 3.0, 6001)
    check = svi.butterfly_check(fixed, grid)
    assert int(check.n_negative) == 0 and float(check.min_g) >= 0.0
    before = svi.raw_to_jump_wings(VOGT, VOGT_T)
    after = svi.raw_to_jump_wings(fixed, VOGT_T)
    for name in ("v", "psi", "p"):
        assert float(getattr(after, name)) == pytest.approx(float(getattr(before, name)), rel=1e-12, abs=0.0), name
    assert float(after.c) == pytest.approx(float(before.p + 2.0 * before.psi), rel=1e-12, abs=0.0)
    assert float(after.c) != pytest.approx(float(before.c), rel=1e-3)      # the call wing did change
    # still a valid raw slice
    a, b, rho, m, sigma = (float(x) for x in fixed)
    assert b > 0.0 and abs(rho) < 1.0 and sigma > 0.0 and float(svi.minimum_variance(fixed)) > 0.0


# --------------------------------------------------------------------------- jump-wings


def test_jump_wings_round_trip():
    """raw -> jump-wings -> raw returns the slice to 1e-10 (relative and absolute) on
    random valid slices, an m = 0 slice (the Lemma 3.2 special case) and rho = 0."""
    cases = _rng_slices(200, seed=1)
    cases += [(np.array([0.02, 0.1, -0.4, 0.0, 0.2]), 0.7), (np.array([0.03, 0.2, 0.0, 0.1, 0.3]), 1.2)]
    for q, t in cases:
        jw = svi.raw_to_jump_wings(q, t)
        back = np.asarray(svi.stack(svi.jump_wings_to_raw(jw, t)))
        np.testing.assert_allclose(back, q, rtol=1e-10, atol=1e-10, err_msg=f"{q}, t={t}")


def test_jump_wings_definitions():
    """Jump-wings by hand for one slice (1e-14): v = w(0)/t, psi = w'(0) / (2 sqrt(w(0))),
    p = b (1 - rho) / sqrt(w(0)), c = b (1 + rho) / sqrt(w(0)), v_tilde = min w / t."""
    q, t = (0.02, 0.1, -0.4, 0.05, 0.2), 0.5
    w0, dw0, _ = (float(x) for x in svi.raw_derivatives(q, 0.0))
    jw = svi.raw_to_jump_wings(q, t)
    assert float(jw.v) == pytest.approx(w0 / t, rel=1e-14)
    assert float(jw.psi) == pytest.approx(dw0 / (2.0 * np.sqrt(w0)), rel=1e-14)
    assert float(jw.p) == pytest.approx(0.1 * 1.4 / np.sqrt(w0), rel=1e-14)
    assert float(jw.c) == pytest.approx(0.1 * 0.6 / np.sqrt(w0), rel=1e-14)
    w_min = float(svi.raw_total_variance(q, jnp.linspace(-1.0, 1.0, 200001)).min())
    assert float(jw.v_tilde) * t == pytest.approx(w_min, rel=1e-9)


# --------------------------------------------------------------------------- SSVI


def test_ssvi_to_raw_equals_ssvi_total_variance():
    """ssvi_to_raw(theta, rho, phi) is the same smile: raw w equals SSVI w (1e-13 rel)."""
    k = jnp.linspace(-3.0, 3.0, 121)
    for theta, rho, phi in ((0.04, -0.7, 1.5), (0.3, 0.4, 0.6), (1e-3, -0.2, 20.0), (0.1, 0.0, 2.0)):
        raw = svi.ssvi_to_raw(theta, rho, phi)
        np.testing.assert_allclose(svi.raw_total_variance(raw, k), svi.ssvi_total_variance(k, theta, rho, phi),
                                   rtol=1e-13)
        assert float(svi.ssvi_total_variance(0.0, theta, rho, phi)) == pytest.approx(theta, rel=1e-14)


THETA_GRID = jnp.geomspace(1e-3, 50.0, 400)


def test_phi_heston_matches_gj_eq_4_4():
    """phi_heston equals GJ 2014 eq. 4.4 and the module doc, phi(theta) = (1 - (1 -
    exp(-lam theta)) / (lam theta)) / (lam theta), evaluated in 50-digit mpmath (the
    float64 formula cancels for small lam theta), to 1e-14 relative; the small-x series
    included: its limit at theta -> 0 is 1/2, independent of lam."""
    import mpmath

    mpmath.mp.dps = 50
    for lam in (0.25, 0.4, 2.0):
        th = np.geomspace(1e-3, 50.0, 50)
        ref = np.array([float((1 - (1 - mpmath.exp(-mpmath.mpf(lam) * mpmath.mpf(v))) / (mpmath.mpf(lam) * mpmath.mpf(v)))
                              / (mpmath.mpf(lam) * mpmath.mpf(v))) for v in th])
        np.testing.assert_allclose(svi.phi_heston(jnp.asarray(th), lam), ref, rtol=1e-14, err_msg=f"lam={lam}")
        assert float(svi.phi_heston(1e-9, lam)) == pytest.approx(0.5, rel=1e-6)


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.5])
def test_ssvi_heston_butterfly_conditions(rho):
    """GJ 2014 Corollary 4.1: Heston-like phi with lam >= (1 + |rho|) / 4 passes both
    butterfly conditions on theta in [1e-3, 50]; lam = 0.8 (1 + |rho|) / 4 violates the
    first (theta phi (1 + |rho|) -> (1 + |rho|) / lam = 5 > 4 for large theta)."""
    for lam in ((1.0 + abs(rho)) / 4.0, 1.5 * (1.0 + abs(rho)) / 4.0):
        c = svi.ssvi_conditions(lambda th, lam=lam: svi.phi_heston(th, lam), THETA_GRID, rho)
        assert float(c.butterfly_first) > 0.0 and float(c.butterfly_second) >= 0.0, (lam, c)
    lam = 0.8 * (1.0 + abs(rho)) / 4.0
    c = svi.ssvi_conditions(lambda th: svi.phi_heston(th, lam), THETA_GRID, rho)
    assert float(c.butterfly_first) < 0.0, c


@pytest.mark.parametrize("rho", [-0.7, 0.0, 0.5])
def test_ssvi_power_law_conditions(rho):
    """GJ 2014 Remark 4.4: power law with eta (1 + |rho|) <= 2 and gamma in (0, 1/2]
    passes all four conditions (margins >= 0) on theta in [1e-3, 50]; eta (1 + |rho|) = 4
    fails a butterfly condition."""
    for eta_scale in (0.5, 1.0):
        for gamma in (0.1, 0.3, 0.5):
            eta = eta_scale * 2.0 / (1.0 + abs(rho))
            c = svi.ssvi_conditions(lambda th, eta=eta, gamma=gamma: svi.phi_power_law(th, eta, gamma),
                                    THETA_GRID, rho)
            assert min(float(x) for x in c) >= 0.0, (eta, gamma, c)
            assert float(c.butterfly_first) > 0.0
    eta = 4.0 / (1.0 + abs(rho))
    c = svi.ssvi_conditions(lambda th: svi.phi_power_law(th, eta, 0.4), THETA_GRID, rho)
    assert min(float(c.butterfly_first), float(c.butterfly_second)) < 0.0, c


def test_ssvi_calendar_lower_fails_for_decreasing_theta_phi():
    """phi = eta / theta^1.5: theta phi = eta theta^-0.5 decreases, so d(theta phi)/d theta
    < 0: calendar_lower is negative (and equals min of -0.5 eta theta^-1.5, 1e-10 rel)."""
    c = svi.ssvi_conditions(lambda th: 0.5 / th**1.5, THETA_GRID, -0.3)
    assert float(c.calendar_lower) < 0.0
    assert float(c.calendar_lower) == pytest.approx(-0.25 * 1e-3**-1.5, rel=1e-10)


def test_arbitrage_free_ssvi_slice_has_nonnegative_g():
    """The raw SVI of power-law SSVI slices (eta (1 + |rho|) = 2, gamma 0.5 / 0.3) has
    g >= 0 on k in [-4, 4] at theta from 1e-3 to 10."""
    grid = jnp.linspace(-4.0, 4.0, 801)
    for rho in (-0.9, -0.5, 0.0, 0.6):
        for gamma in (0.3, 0.5):
            eta = 2.0 / (1.0 + abs(rho))
            for theta in (1e-3, 0.01, 0.1, 1.0, 10.0):
                raw = svi.ssvi_to_raw(theta, rho, svi.phi_power_law(theta, eta, gamma))
                check = svi.butterfly_check(raw, grid)
                assert int(check.n_negative) == 0 and float(check.min_g) >= 0.0, (rho, gamma, theta)


# --------------------------------------------------------------------------- calendar


def test_calendar_violations():
    """A slice vs itself scaled by 1.1 (w_long = 1.1 w_short > w_short everywhere): no
    violations and min gap = 0.1 min w > 0 (1e-12); the reverse order: a violation at
    every grid point and the same gap negated."""
    short = np.array([0.02, 0.1, -0.4, 0.05, 0.2])
    long = short * np.array([1.1, 1.1, 1.0, 1.0, 1.0])
    grid = jnp.linspace(-1.0, 1.0, 41)
    w_short = np.asarray(svi.raw_total_variance(short, grid))
    n, gap = svi.calendar_violations(short, long, grid)
    assert int(n) == 0 and float(gap) > 0.0
    assert float(gap) == pytest.approx(0.1 * w_short.min(), rel=1e-12)
    n, gap = svi.calendar_violations(long, short, grid)
    assert int(n) == 41 and float(gap) == pytest.approx(-0.1 * w_short.max(), rel=1e-12)
    # batched over a leading axis of slices
    n, gap = svi.calendar_violations(jnp.stack([jnp.asarray(short), jnp.asarray(long)])[:, None, :],
                                     jnp.stack([jnp.asarray(long), jnp.asarray(short)])[:, None, :], grid)
    assert np.asarray(n).tolist() == [0, 41]


# --------------------------------------------------------------------------- as_raw


def test_as_raw_inputs():
    """as_raw takes a tuple, a RawSVI and an array (..., 5), all the same; a last axis
    other than 5 raises ValueError."""
    p = (0.02, 0.1, -0.4, 0.05, 0.2)
    from_tuple = svi.as_raw(p)
    from_named = svi.as_raw(svi.RawSVI(*p))
    from_array = svi.as_raw(jnp.asarray(p))
    for r in (from_tuple, from_named, from_array):
        assert isinstance(r, svi.RawSVI)
        np.testing.assert_array_equal(np.array([float(x) for x in r]), np.array(p))
    batch = jnp.asarray(np.tile(np.array(p), (3, 4, 1)))
    r = svi.as_raw(batch)
    assert r.a.shape == (3, 4) and float(r.sigma[2, 3]) == 0.2
    np.testing.assert_array_equal(svi.stack(r), batch)
    with pytest.raises(ValueError):
        svi.as_raw(jnp.zeros((3, 4)))
    with pytest.raises(ValueError):
        svi.as_raw(np.zeros(6))
