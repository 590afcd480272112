"""jaxmm.black: closed forms, parity, Greeks vs autodiff, degenerate inputs (f64 tol ~1e-12)."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm import black


def test_atm_closed_form_and_parity():
    f, k, t, v, d = 100.0, 100.0, 1.0, 0.2, 0.95
    # ATM: D F (2 N(s/2) - 1) = D F erf(s / (2 sqrt 2)) with s = vol sqrt(t)
    assert abs(float(black.price(f, k, t, v, True, d)) - d * f * math.erf(0.1 / math.sqrt(2))) < 1e-12
    ks = jnp.linspace(50.0, 150.0, 11)
    c = black.price(f, ks, t, v, True, d)
    p = black.price(f, ks, t, v, False, d)
    np.testing.assert_allclose(c - p, d * (f - ks), atol=1e-12)


def test_degenerate_inputs_give_discounted_intrinsic_without_nan():
    f = jnp.array([90.0, 100.0, 110.0])
    for t, v in ((0.0, 0.2), (1.0, 0.0)):
        c = black.price(f, 100.0, t, v, True, 0.9)
        p = black.price(f, 100.0, t, v, False, 0.9)
        np.testing.assert_allclose(c, [0.0, 0.0, 9.0], atol=1e-15)
        np.testing.assert_allclose(p, [9.0, 0.0, 0.0], atol=1e-15)
        for fn in (black.gamma, black.vega):
            np.testing.assert_array_equal(fn(f, 100.0, t, v, 0.9), 0.0)
    g = jax.grad(lambda s: black.price(100.0, 100.0, 1.0, s, True))(0.0)
    assert bool(jnp.isfinite(g))


def test_greeks_match_autodiff_and_broadcast():
    f, v, d = 101.0, 0.25, 0.97
    k = jnp.array([80.0, 100.0, 120.0, 80.0, 100.0, 120.0])
    t = jnp.array([0.1, 0.1, 0.1, 1.0, 1.0, 1.0])

    @jax.jit
    def greeks(is_call):
        px = lambda ff, kk, tt, s: black.price(ff, kk, tt, s, is_call, d)  # noqa: E731
        grad_f = jax.vmap(jax.grad(px), (None, 0, 0, None))
        grad_ff = jax.vmap(jax.grad(jax.grad(px)), (None, 0, 0, None))
        grad_s = jax.vmap(jax.grad(px, argnums=3), (None, 0, 0, None))
        return grad_f(f, k, t, v), grad_ff(f, k, t, v), grad_s(f, k, t, v)

    for is_call in (True, False):
        dp, gam, veg = greeks(is_call)
        np.testing.assert_allclose(dp, black.delta(f, k, t, v, is_call, d), rtol=1e-12)
        np.testing.assert_allclose(gam, black.gamma(f, k, t, v, d), rtol=1e-10)
        np.testing.assert_allclose(veg, black.vega(f, k, t, v, d), rtol=1e-12)
    assert black.price(f, k.reshape(2, 3, 1), t[:2], v, True, d).shape == (2, 3, 2)


def test_dtype_follows_inputs():
    x32 = jnp.float32(100.0)
    assert black.price(x32, x32, 1.0, jnp.float32(0.2), True).dtype == jnp.float32
    assert black.price(100.0, 100.0, 1.0, 0.2, True).dtype == jnp.float64
