"""jaxmm.pricing.iv.implied_vol against the EXACT inverse of float64 prices (mpmath, 50 digits).

Issue 3: relative error <= 1e-12 against the exact inverse of the price, deep out of the
money (prices down to 1e-20 F), expiries 1 hour to 30 years, near intrinsic (time value
down to 1e-12 F), vols 0.1% to 500%; implied vols differentiable by implicit
differentiation (custom JVP).

The grid and its exact answers come from ``_iv_reference.accuracy_grid`` (its docstring
says how they are built and which cases are kept); it is built once per process
(~5 s). The per-regime accuracy table is printed (``pytest -s``) and repeated in any
failure message; ``python -m bench.bench_iv`` writes it to results/bench/iv_accuracy.md.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import _iv_reference as ref
from jaxmm.pricing.iv import IVStatus, implied_vol

TOL = 1e-12            # the requirement: relative error vs the exact inverse
DERIV_TOL = 1e-10      # d vol / d input vs the exact implicit-function derivatives (mpmath)
FD_TOL = 1e-6          # jax.grad vs central finite differences (step 1e-5 relative)


@pytest.fixture(scope="module")
def grid():
    return ref.accuracy_grid()


@pytest.fixture(scope="module")
def solved(grid):
    g = grid.ok
    vol, status = ref.solve_padded(g.price, g.forward, g.strike, g.t, g.is_call, g.discount)
    table = ref.accuracy_table(g, vol, TOL)
    text = ref.format_table(table, TOL)
    print(f"\nimplied_vol vs exact inverse ({len(g)} cases, grid built in {grid.build_seconds:.1f} s)\n{text}")
    return vol, status, {r["regime"]: r for r in table}, text


def test_grid_covers_the_requirement(grid):
    g = grid.ok
    otm = np.where(g.is_call, g.strike >= g.forward, g.strike <= g.forward)
    intrinsic = np.where(g.is_call, np.maximum(g.forward - g.strike, 0), np.maximum(g.strike - g.forward, 0))
    assert (g.price[otm] / g.forward[otm]).min() < 1e-19                      # down to 1e-20 F
    assert ((g.price - intrinsic)[~otm] / g.forward[~otm]).min() < 1e-11      # down to 1e-12 F
    assert g.t.min() == pytest.approx(1 / 8760) and g.t.max() == 30.0
    assert g.sigma_gen.min() == 0.001 and g.sigma_gen.max() == 5.0
    for name in ref.REGIMES:
        assert g.regimes[name].sum() >= 100, name


def test_grid_cases_are_status_ok(grid, solved):
    vol, status, _, _ = solved
    bad = np.flatnonzero(status != IVStatus.OK)
    g = grid.ok
    detail = [(IVStatus(int(status[i])).name, g.price[i], g.forward[i], g.strike[i], g.t[i], bool(g.is_call[i]),
               g.discount[i], g.sigma_ref[i]) for i in bad[:10]]
    assert bad.size == 0, f"{bad.size} of {status.size} in-bounds prices not OK, e.g. {detail}"
    assert np.isfinite(vol).all()


@pytest.mark.parametrize("regime", ref.REGIMES)
def test_relative_error_per_regime(solved, regime):
    _, _, table, text = solved
    row = table[regime]
    assert row["max_rel_err"] <= TOL, (
        f"{regime}: max relative error {row['max_rel_err']:.3g} > {TOL:g} ({row['n_above_tol']} of "
        f"{row['n']} cases); worst case {row['worst']}\n{text}")


def test_price_rounded_to_upper_bound_is_at_maximum(grid):
    # e.g. 500% x 30 years at the money: the float64 price is F exactly, no inverse exists.
    g = grid.at_max
    assert len(g) > 0
    vol, status = ref.solve_padded(g.price, g.forward, g.strike, g.t, g.is_call, g.discount)
    np.testing.assert_array_equal(status, IVStatus.AT_MAXIMUM)
    np.testing.assert_array_equal(vol, np.inf)


# ---------------------------------------------------------------- derivatives (custom JVP)

# (F, K, t, sigma, is_call, D): well-conditioned points across the regimes.
DERIV_POINTS = [
    (100.0, 100.0, 1.0, 0.2, True, 1.0),          # at the money
    (100.0, 130.0, 0.5, 0.3, True, 1.0),          # OTM call
    (100.0, 70.0, 2.0, 0.25, False, 0.95),        # OTM put, discounted
    (100.0, 80.0, 1.0, 0.2, True, 1.0),           # ITM call
    (100.0, 125.0, 0.25, 0.4, False, 0.99),       # ITM put, discounted
    (1.0, 1.01, 1 / 8760, 0.15, True, 1.0),       # 1 hour, OTM call
    (100.0, 100.0, 30.0, 1.0, False, 0.5),        # 30 years, high vol (s = 5.5)
    (100.0, 200.0, 0.1, 0.5, True, 1.0),          # far OTM (price ~4e-5 F)
    (1.0, 1.0, 1.0, 0.001, True, 1.0),            # tiny vol ATM
]
ARGS = ("price", "forward", "strike", "t", "discount")
ARGNUMS = (0, 1, 2, 3, 5)                          # positions in implied_vol's signature
DPAD = 16                                          # derivative batches padded to one shape


@pytest.fixture(scope="module")
def deriv():
    """Float64 prices of DERIV_POINTS, their exact vol and exact partial derivatives
    d vol / d theta = -(dP/d theta) / vega (implicit function theorem, mpmath at 50 digits;
    dP/dprice = -1, so d vol / d price = 1/vega), and the solver's derivatives: reverse mode
    (vmap of jax.grad) and forward mode (jax.jvp w.r.t. price), one jitted program."""
    rows, exact = [], []
    c = ref._ctx
    for F, K, t, sigma, call, D in DERIV_POINTS:
        p = ref.price_f64(F, K, t, sigma, call, D)
        sig = ref.implied_vol_mp(p, F, K, t, call, D, guess=sigma)
        Fm, Km, Tm, Dm = ref.mp(F), ref.mp(K), ref.mp(t), ref.mp(D)
        s = sig * c.sqrt(Tm)
        d1 = (c.log(Fm / Km) + s * s / 2) / s
        d2 = d1 - s
        n1 = c.npdf(d1)
        vega = Dm * Fm * n1 * c.sqrt(Tm)
        und = ref.black_mp(Fm, Km, s, call)
        dF = Dm * (c.ncdf(d1) if call else c.ncdf(d1) - 1)            # delta
        dK = -Dm * (c.ncdf(d2) if call else c.ncdf(d2) - 1)
        dt = Dm * Fm * n1 * sig / (2 * c.sqrt(Tm))                    # dP/dt at fixed vol
        exact.append([float(1 / vega), float(-dF / vega), float(-dK / vega), float(-dt / vega),
                      float(-und / vega)])
        rows.append((p, F, K, t, call, D, float(sig)))
    cols = [np.array(col) for col in zip(*rows)]
    n = len(rows)

    def padded(a, fill):
        return jnp.asarray(np.concatenate([a, np.full(DPAD - n, fill, a.dtype)]))

    p, F, K, t, call, D = (padded(a, f) for a, f in zip(cols[:6], (0.0796556745540579, 1.0, 1.0, 1.0, True, 1.0)))

    def vol_of(*a):
        return implied_vol(*a)[0]

    @jax.jit
    def derivatives(p, F, K, t, call, D):
        grads = jax.vmap(jax.grad(vol_of, argnums=ARGNUMS))(p, F, K, t, call, D)
        _, tangent = jax.jvp(lambda q: vol_of(q, F, K, t, call, D), (p,), (jnp.ones_like(p),))
        return jnp.stack(grads, axis=1), tangent

    grads, tangent = derivatives(p, F, K, t, call, D)
    return {"rows": rows, "exact": np.array(exact), "grad": np.asarray(grads)[:n], "jvp": np.asarray(tangent)[:n]}


def test_dvol_dprice_is_inverse_vega(deriv):
    """Implicit differentiation: D Black(vol(p)) = p  =>  d vol / d p = 1 / vega (vega with D),
    in reverse mode (jax.grad) and forward mode (jax.jvp), to DERIV_TOL relative."""
    inv_vega = deriv["exact"][:, 0]
    np.testing.assert_allclose(deriv["grad"][:, 0], inv_vega, rtol=DERIV_TOL, err_msg="jax.grad")
    np.testing.assert_allclose(deriv["jvp"], inv_vega, rtol=DERIV_TOL, err_msg="jax.jvp")


def test_dvol_dinputs_by_implicit_function_theorem(deriv):
    """The custom JVP covers every input: d vol / d theta = -(dP/d theta) / vega. Compared as
    elasticities d ln(vol) / d ln(theta) (dimensionless; some are ~0) to DERIV_TOL absolute,
    or relative where the elasticity exceeds 1."""
    theta = np.array([[r[0], r[1], r[2], r[3], r[5]] for r in deriv["rows"]])
    sig = np.array([r[6] for r in deriv["rows"]])[:, None]
    to_el = np.abs(theta) / sig
    err = np.abs(deriv["grad"] - deriv["exact"]) * to_el / np.maximum(1.0, np.abs(deriv["exact"]) * to_el)
    i, j = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() <= DERIV_TOL, (f"d vol/d {ARGS[j]} at {deriv['rows'][i][:6]}: "
                                    f"{deriv['grad'][i, j]!r} vs exact {deriv['exact'][i, j]!r}")


def test_grad_matches_central_finite_differences(deriv):
    """jax.grad of implied_vol vs central differences of implied_vol itself, every input.
    Steps are 1e-5 of each input's natural scale (truncation ~1e-10, rounding ~1e-16/1e-5):
    with ``room = min(time value, D upper - price) / price`` (how far the price may move) and
    ``s = vol sqrt t`` (the scale of log-moneyness): price 1e-5 x room x price, F and K
    1e-5 x min(1, s, room) of themselves, t 1e-5 t, D 1e-5 x room x D. Elasticities
    d ln(vol) / d ln(input) agree to FD_TOL = 1e-6 (absolute, or relative where above 1)."""
    rows = deriv["rows"]
    base = np.array([[r[0], r[1], r[2], r[3], r[5]] for r in rows])        # price, F, K, t, D
    calls = np.array([r[4] for r in rows])
    sig = np.array([r[6] for r in rows])
    p, F, K, t, D = base.T
    tv = p - D * np.where(calls, np.maximum(F - K, 0), np.maximum(K - F, 0))
    room = np.minimum(tv, D * np.where(calls, F, K) - p) / p
    s = np.minimum(1.0, np.minimum(room, sig * np.sqrt(t)))
    h = 1e-5 * np.stack([p * room, F * s, K * s, t, D * room], axis=1)
    quotes, call_col = [], []
    for j in range(5):
        for sign in (1.0, -1.0):
            q = base.copy()
            q[:, j] += sign * h[:, j]
            quotes.append(q)
            call_col.append(calls)
    q = np.concatenate(quotes)
    vol, status = ref.solve_padded(q[:, 0], q[:, 1], q[:, 2], q[:, 3], np.concatenate(call_col), q[:, 4])
    assert (status == IVStatus.OK).all()
    vol = vol.reshape(5, 2, len(rows))
    fd = ((vol[:, 0] - vol[:, 1]) / (2 * h.T)).T                           # (rows, 5)
    to_el = np.abs(base) / sig[:, None]
    err = np.abs(deriv["grad"] - fd) * to_el / np.maximum(1.0, np.abs(fd) * to_el)
    i, j = np.unravel_index(np.argmax(err), err.shape)
    assert err.max() <= FD_TOL, (f"d vol/d {ARGS[j]} at {rows[i][:6]}: grad {deriv['grad'][i, j]!r} "
                                 f"vs central difference {fd[i, j]!r}")
