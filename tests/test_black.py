"""jaxmm.pricing.black: closed forms, parity, Greeks vs autodiff, degenerate inputs (f64 tol ~1e-12)."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm.pricing import black


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


# ---------------------------------------------------------------------------------------
# Accuracy against 50-digit mpmath on a grid: deep OTM, 1 hour .. 30 years, vol 0.1%..500%

import mpmath as mp  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from jax.scipy.special import ndtr  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
GREEKS = ("delta", "gamma", "vega", "theta", "vanna", "volga", "dual_delta")


def _grid():
    """Strikes at h = ln(F/K)/s = 0, +-0.01, ..., +-37 standard deviations (prices from ~F down
    to ~1e-300 F), calls and puts, t from 1 hour to 30 years, vols 0.1% to 500%."""
    rows = []
    for t in (1 / 8760, 1 / 365, 7 / 365, 0.25, 1.0, 5.0, 30.0):
        for vol in (0.001, 0.01, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0):
            s = vol * math.sqrt(t)
            for z in (0.0, 0.01, 0.3, 1.0, 2.0, 4.0, 8.0, 12.0, 20.0, 30.0, 37.0):
                for sign in ((1,) if z == 0 else (1, -1)):
                    if abs(z * s) > 500:   # K beyond 1e+-217 F: not an option anyone quotes
                        continue
                    for is_call in (True, False):
                        rows.append((100.0, 100.0 * math.exp(-sign * z * s), t, vol, is_call))
    return [np.array(c) for c in zip(*rows)]


def _mp_black(f, k, t, vol, is_call, d):
    """Price and Greeks (closed forms) at 80 digits from the float inputs, taken as exact."""
    f, k, t, vol, d = (mp.mpf(float(a)) for a in (f, k, t, vol, d))
    s = vol * mp.sqrt(t)
    d1 = mp.log(f / k) / s + s / 2
    d2 = d1 - s
    n1 = mp.npdf(d1)
    call = f * mp.ncdf(d1) - k * mp.ncdf(d2)
    put = k * mp.ncdf(-d2) - f * mp.ncdf(-d1)
    out = dict(price=d * (call if is_call else put),
               delta=d * (mp.ncdf(d1) if is_call else -mp.ncdf(-d1)),
               gamma=d * n1 / (f * s), vega=d * f * n1 * mp.sqrt(t), theta=-d * f * n1 * vol / (2 * mp.sqrt(t)),
               vanna=-d * n1 * d2 / vol, volga=d * f * n1 * mp.sqrt(t) * d1 * d2 / vol,
               dual_delta=d * (-mp.ncdf(d2) if is_call else mp.ncdf(-d2)),
               digital=d * (mp.ncdf(d2) if is_call else mp.ncdf(-d2)))
    return {key: float(v) for key, v in out.items()}, float(d1), float(d2), float(s)


@pytest.fixture(scope="module")
def grid():
    f, k, t, vol, is_call = _grid()
    disc = 0.97
    with mp.workdps(80):
        refs = [_mp_black(*row, disc) for row in zip(f, k, t, vol, is_call)]
    ref = {key: np.array([r[0][key] for r in refs]) for key in refs[0][0]}
    d1, d2, s = (np.array([r[i] for r in refs]) for i in (1, 2, 3))
    return dict(args=(f, k, t, vol), is_call=is_call, disc=disc, ref=ref, d1=d1, d2=d2, s=s,
                h=d1 - s / 2, kappa=1.0 + (d1 - s / 2) ** 2 + (s / 2) ** 2)


def _ours(g):
    a, c, d = g["args"], g["is_call"], g["disc"]
    return dict(price=black.price(*a, c, d), delta=black.delta(*a, c, d), gamma=black.gamma(*a, d),
                vega=black.vega(*a, d), theta=black.theta(*a, d), vanna=black.vanna(*a, d),
                volga=black.volga(*a, d), dual_delta=black.dual_delta(*a, c, d), digital=black.digital(*a, c, d))


def _analytic(g):
    """The closed forms evaluated in float64 (jax ndtr, exp), for comparison with autodiff."""
    f, k, t, vol = g["args"]
    c, d = g["is_call"], g["disc"]
    s = vol * np.sqrt(t)
    x = np.asarray(black._log_moneyness(jnp.asarray(f), jnp.asarray(k)))
    d1 = x / s + s / 2
    d2 = d1 - s
    N = lambda z: np.asarray(ndtr(jnp.asarray(z)))  # noqa: E731
    n1 = np.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi)
    return dict(price=d * np.where(c, f * N(d1) - k * N(d2), k * N(-d2) - f * N(-d1)),
                delta=d * np.where(c, N(d1), -N(-d1)), gamma=d * n1 / (f * s), vega=d * f * n1 * np.sqrt(t),
                theta=-d * f * n1 * vol / (2 * np.sqrt(t)), vanna=-d * n1 * d2 / vol,
                volga=d * f * n1 * np.sqrt(t) * d1 * d2 / vol, dual_delta=d * np.where(c, -N(d2), N(-d2)),
                digital=d * np.where(c, N(d2), N(-d2)))


def _naive_autodiff(g):
    """Greeks by plain autodiff of the tail-stable value routine (no custom JVP)."""
    c, d = jnp.asarray(g["is_call"]), g["disc"]

    def px(f, k, t, vol):
        s = vol * jnp.sqrt(t)
        x = black._log_moneyness(f, k)
        above = f > k
        tv = jnp.sqrt(f) * jnp.sqrt(k) * black._normalised_otm(jnp.where(above, -x, x), s)
        return d * (jnp.where(c, jnp.where(above, f - k, 0.0), jnp.where(above, 0.0, k - f)) + tv)

    a = [jnp.asarray(v) for v in g["args"]]
    der = black._derivative
    return dict(delta=der(px, a, 0), gamma=der(px, a, 0, 0), vega=der(px, a, 3), theta=-der(px, a, 2),
                vanna=der(px, a, 0, 3), volga=der(px, a, 3, 3), dual_delta=der(px, a, 1))


def _rel(est, g, key):
    """Relative errors where the reference is a normal float and (vanna, volga) not at a zero."""
    ref = g["ref"][key]
    keep = np.abs(ref) > 1e-300
    if key == "vanna":
        keep &= np.abs(g["d2"]) > 1e-3
    if key == "volga":
        keep &= (np.abs(g["d1"]) > 1e-3) & (np.abs(g["d2"]) > 1e-3)
    est = np.asarray(est)
    return np.abs(est[keep] / ref[keep] - 1.0), g["kappa"][keep], np.abs(g["h"][keep])


def test_grid_covers_deep_tails_and_extreme_expiries(grid):
    price = grid["ref"]["price"]
    assert price[price > 0].min() < 1e-290 * 100.0 and (price > 0).sum() > 2000
    assert np.sum(price < 1e-20 * 100.0) > 300
    _, _, t, vol = grid["args"]
    assert t.min() < 1.2e-4 and t.max() == 30.0 and vol.min() == 0.001 and vol.max() == 5.0


def test_price_relative_accuracy_vs_mpmath(grid):
    """Measured (float64, on this grid): max relative error 13 eps near the money (|h| <= 2),
    344 eps for 2 < |h| <= 12, 1.8e3 eps (4e-13) overall (|h| up to 37, prices to 1e-300 F),
    and at most 5.0 eps * kappa with kappa = 1 + h^2 + (s/2)^2,
    the condition number of the price to a relative ulp in F, K or vol (the far tail's
    error is that of rounding the inputs, not of the evaluation)."""
    ours = black.price(*grid["args"], grid["is_call"], grid["disc"])
    assert not np.any(np.isnan(np.asarray(ours)))
    err, kappa, h = _rel(ours, grid, "price")
    assert err[h <= 2].max() < 40 * EPS
    assert (err / kappa).max() < 8 * EPS
    assert err.max() < 1e-12
    # Outputs underflowing with the reference (below 1e-300 F) stay (near) 0, never NaN.
    tiny = grid["ref"]["price"] <= 1e-300
    assert np.all(np.abs(np.asarray(ours)[tiny]) < 1e-290)
    # The textbook F N(d1) - K N(d2) (with 1 - N on the other side) loses everything there.
    naive, _, _ = _rel(_analytic(grid)["price"], grid, "price")
    assert naive.max() > 1.0


@pytest.mark.parametrize("key", GREEKS + ("digital",))
def test_greeks_autodiff_vs_mpmath_and_vs_analytic(grid, key):
    """Every Greek is autodiff of ``price`` (with the custom JVP of exact first partials).

    Measured max of relative error / kappa (eps units), autodiff | float64 closed form;
    then the max relative error of naive autodiff of the value routine (ours is ~1.3e-12 for
    each): delta 4.1 | 4.1, 3e25;  gamma 4.0 | 4.0, 4e26;  vega 4.2 | 4.0, 4e-6;
    theta 4.2 | 4.0, 2e-3;  vanna 7.5 | 13, 3e-3;  volga 10 | 14, 5e-9;  dual_delta 4.5 | 4.5,
    1e26;  digital (closed form) 4.5.
    So autodiff through the custom JVP is as accurate as the closed forms (no Greek needs
    its analytic formula in the library), and the custom JVP is what makes it so: plain
    autodiff of the tail-stable value loses from 3 to every digit (cancellations inside the
    erfcx and asymptotic branches, and in the chain through sqrt(F K) b(-|x|, s)).
    """
    g = grid
    err, kappa, h = _rel(_ours(g)[key], g, key)
    assert err.size > 1500
    assert (err / kappa).max() < (20 if key in ("vanna", "volga") else 8) * EPS
    assert err[h <= 2].max() < 1e-12
    analytic, a_kappa, _ = _rel(_analytic(g)[key], g, key)
    assert (err / kappa).max() <= 1.5 * (analytic / a_kappa).max() + 2 * EPS
    if key != "digital":
        naive = np.asarray(_naive_autodiff(g)[key])
        naive_err, _, _ = _rel(np.where(np.isfinite(naive), naive, np.inf), g, key)
        assert naive_err.max() > 1000 * err.max()    # NaN, hopeless, or >= 1000x worse in the tails


# ---------------------------------------------------------------------------------------
# Degenerate limits and gradients

@pytest.mark.parametrize("fn", [black.delta, black.dual_delta])
def test_degenerate_first_order_greeks(fn):
    f = jnp.array([90.0, 100.0, 110.0])
    for t, v in ((0.0, 0.2), (1.0, 0.0)):
        call, put = fn(f, 100.0, t, v, True, 0.9), fn(f, 100.0, t, v, False, 0.9)
        assert np.all(np.isfinite(call)) and np.all(np.isfinite(put))
    # s -> 0 limit of N(+-d1) at the money is 1/2 (max() splits the slope at the kink).
    np.testing.assert_allclose(black.delta(f, 100.0, 0.0, 0.2, True, 0.9), [0.0, 0.45, 0.9])
    np.testing.assert_allclose(black.delta(f, 100.0, 0.0, 0.2, False, 0.9), [-0.9, -0.45, 0.0])
    np.testing.assert_allclose(black.digital(f, 100.0, 0.0, 0.2, True, 0.9), [0.0, 0.45, 0.9])


def test_limits_are_continuous_and_gradients_finite():
    f = jnp.array([95.0, 100.0, 105.0])
    for fn in (black.gamma, black.vega, black.theta, black.vanna, black.volga):
        for t, v in ((0.0, 0.2), (1.0, 0.0), (-1.0, 0.2)):
            np.testing.assert_array_equal(fn(f, 100.0, t, v, 0.9), 0.0)
    # Tiny s: the price tends to the intrinsic value (exactly, below ~1e-8 of F per unit s).
    for s in (1e-8, 1e-30, 1e-300):
        c = black.price(f, 100.0, 1.0, s, True)
        np.testing.assert_allclose(c, [0.0, 100.0 * s * 0.3989422804014327, 5.0], rtol=1e-12, atol=1e-300)
    # Gradients of price and every Greek in every argument: finite at t = 0, vol = 0,
    # K <= 0, F == K, and at tiny/huge s and strikes.
    cases = [(100.0, 100.0, 0.0, 0.2), (100.0, 100.0, 1.0, 0.0), (100.0, 90.0, 0.0, 0.0), (100.0, 0.0, 1.0, 0.2),
             (100.0, -5.0, 1.0, 0.2), (100.0, 100.0, 1e-300, 1e-300), (100.0, 120.0, 1e-12, 1e-3),
             (100.0, 1e-100, 30.0, 5.0), (100.0, 1e100, 30.0, 5.0), (100.0, 100.0, 30.0, 50.0)]
    cases = [jnp.array(c) for c in zip(*cases)]
    fns = [lambda *a: black.price(*a, True, 0.9), lambda *a: black.price(*a, False, 0.9),
           lambda *a: black.delta(*a, False, 0.9), black.gamma, black.vega, black.theta, black.vanna, black.volga,
           lambda *a: black.dual_delta(*a, True), lambda *a: black.digital(*a, True)]
    for i, fn in enumerate(fns):
        assert np.all(np.isfinite(fn(*cases))), i
        grads = jax.vmap(jax.grad(fn, argnums=(0, 1, 2, 3)))(*cases)
        assert all(np.all(np.isfinite(gr)) for gr in grads), (i, grads)


# ---------------------------------------------------------------------------------------
# No-arbitrage properties (hypothesis; derandomised in conftest)

_F = st.floats(1.0, 1000.0)
_M = st.floats(-3.0, 3.0)            # ln(K/F)
_T = st.floats(1e-4, 30.0)
_V = st.floats(1e-3, 5.0)
_D = st.floats(0.2, 1.0)


@given(_F, _M, _T, _V, _D)
def test_put_call_parity_and_bounds(f, m, t, v, d):
    k = f * math.exp(m)
    c = float(black.price(f, k, t, v, True, d))
    p = float(black.price(f, k, t, v, False, d))
    assert abs((c - p) - d * (f - k)) <= 4 * EPS * d * max(f, k)
    assert d * max(f - k, 0.0) <= c <= d * f
    assert d * max(k - f, 0.0) <= p <= d * k
    dg = float(black.digital(f, k, t, v, True, d)) + float(black.digital(f, k, t, v, False, d))
    assert abs(dg - d) <= 4 * EPS


@given(_F, _M, _T, _V, st.booleans())
def test_monotone_in_strike_and_vol_and_convex_in_strike(f, m, t, v, is_call):
    ks = f * math.exp(m) * (1.0 + jnp.linspace(-0.05, 0.05, 5))       # equally spaced
    px = np.asarray(black.price(f, ks, t, v, is_call))
    tol = 8 * EPS * max(f, float(ks[-1]))          # rounding of prices up to ~max(F, K)
    step = np.diff(px)
    assert np.all(step <= tol) if is_call else np.all(step >= -tol)
    assert np.all(px[:-2] + px[2:] - 2 * px[1:-1] >= -tol)               # convex in K
    vols = v * jnp.array([0.9, 1.0, 1.1])
    assert np.all(np.diff(np.asarray(black.price(f, f * math.exp(m), t, vols, is_call))) >= -tol)
    assert float(black.gamma(f, f * math.exp(m), t, v)) >= 0.0
    assert float(black.vega(f, f * math.exp(m), t, v)) >= 0.0


# ---------------------------------------------------------------------------------------
# Digitals, spreads, straddles, rules of thumb

def test_digital_is_minus_dual_delta_and_tight_spread_converges_at_order_w2():
    f, t, v, d = 100.0, 0.5, 0.3, 0.98
    ks = jnp.array([70.0, 95.0, 100.0, 110.0, 160.0])
    np.testing.assert_allclose(black.digital(f, ks, t, v, True, d), -black.dual_delta(f, ks, t, v, True, d),
                               rtol=1e-14)
    np.testing.assert_allclose(black.digital(f, ks, t, v, False, d), black.dual_delta(f, ks, t, v, False, d),
                               rtol=1e-14)
    # (C(K - w/2) - C(K + w/2))/w = D N(d2) - (w^2/24) C'''(K) + O(w^4); C''' by autodiff.
    c3 = black._derivative(lambda kk: black.price(f, kk, t, v, True, d), [ks], 0, 0, 0)
    digital = black.digital(f, ks, t, v, True, d)
    for w in (2.0, 1.0, 0.5):
        err = black.tight_spread_digital(f, ks, w, t, v, d) - digital
        np.testing.assert_allclose(err / w**2, -c3 / 24, rtol=0.02 * w**2, atol=1e-10)
    assert float(jnp.max(jnp.abs(black.tight_spread_digital(f, ks, 0.01, t, v, d) - digital))) < 1e-8


def test_call_spread_and_straddle():
    f, t, v, d = 100.0, 0.5, 0.3, 0.98
    cs = black.call_spread(f, 95.0, 105.0, t, v, d)
    assert 0.0 < float(cs) < d * 10.0
    np.testing.assert_allclose(cs, black.price(f, 95.0, t, v, True, d) - black.price(f, 105.0, t, v, True, d))
    skewed = black.call_spread(f, 95.0, 105.0, t, v, d, vol_high=0.25)
    np.testing.assert_allclose(skewed, black.price(f, 95.0, t, v, True, d) - black.price(f, 105.0, t, 0.25, True, d))
    ks = jnp.array([60.0, 100.0, 130.0])
    np.testing.assert_allclose(black.straddle(f, ks, t, v, d),
                               black.price(f, ks, t, v, True, d) + black.price(f, ks, t, v, False, d), rtol=1e-14)
    s = v * math.sqrt(t)
    assert abs(float(black.straddle(f, f, t, v, d)) - 2 * d * f * math.erf(s / (2 * math.sqrt(2)))) < 1e-12
    np.testing.assert_array_equal(black.straddle(f, ks, 0.0, v, d), d * jnp.abs(f - ks))


def test_straddle_rule_of_thumb_error_terms():
    """0.8 F s vs the exact ATM straddle 2 F erf(s/(2 sqrt2)) = F s sqrt(2/pi)(1 - s^2/24 + s^4/640 ...):
    relative error 0.8 sqrt(pi/2)(1 + s^2/24) - 1 + O(s^4) = 0.266% + 4.18% s^2; < 1% for s <= 0.4."""
    f, d = 100.0, 0.97
    s = jnp.linspace(0.01, 1.0, 100)
    rel = black.straddle_rule_of_thumb(f, 1.0, s, d) / black.straddle(f, f, 1.0, s, d) - 1.0
    c0 = 0.8 * math.sqrt(math.pi / 2)
    lead = c0 * (1 + s**2 / 24) - 1.0
    assert float(jnp.max(jnp.abs(rel - lead) / s**4)) < 0.8 * 7 / 5760 * 1.1 + 1e-12   # next term c0 7 s^4/5760
    assert abs(float(rel[0]) - (c0 - 1)) < 1e-5 and 0.00265 < c0 - 1 < 0.00266
    assert float(jnp.max(jnp.where(s <= 0.4, rel, 0.0))) < 0.01
    assert float(jnp.max(rel)) > 0.04                                                 # s = 1: 4.4%


def test_atm_gamma_rule_of_thumb_error_terms():
    """0.4/(F s) vs the exact ATM gamma n(s/2)/(F s): relative error exactly
    0.4 sqrt(2 pi) exp(s^2/8) - 1 = 0.266% + 12.5% s^2 + O(s^4): < 1% for s <= 0.24
    (1.4% at s = 0.3). The straddle's gamma is twice (0.8/(F s), ~0.64/straddle)."""
    f, d = 100.0, 0.97
    s = jnp.linspace(0.01, 1.0, 100)
    rel = black.atm_gamma_rule_of_thumb(f, 1.0, s, d) / black.gamma(f, f, 1.0, s, d) - 1.0
    np.testing.assert_allclose(rel, 0.4 * math.sqrt(2 * math.pi) * jnp.exp(s**2 / 8) - 1.0, rtol=1e-12, atol=1e-14)
    assert float(jnp.max(jnp.where(s <= 0.24, rel, 0.0))) < 0.01
    assert 0.013 < float(rel[jnp.argmin(jnp.abs(s - 0.3))]) < 0.015
    straddle_gamma = 2 * black.gamma(f, f, 1.0, 0.2, d)
    assert abs(float(straddle_gamma * black.straddle(f, f, 1.0, 0.2, d)) - 0.64 * d * d) < 0.01


# ---------------------------------------------------------------------------------------
# Black-Scholes on a spot

def _mp_bs(spot, k, t, vol, is_call, r, q):
    spot, k, t, vol, r, q = (mp.mpf(float(a)) for a in (spot, k, t, vol, r, q))
    s = vol * mp.sqrt(t)
    d1 = (mp.log(spot / k) + (r - q) * t) / s + s / 2
    d2 = d1 - s
    eq, er, n1 = mp.exp(-q * t), mp.exp(-r * t), mp.npdf(d1)
    sg = 1 if is_call else -1
    return dict(price=sg * (spot * eq * mp.ncdf(sg * d1) - k * er * mp.ncdf(sg * d2)),
                delta=sg * eq * mp.ncdf(sg * d1), gamma=eq * n1 / (spot * s), vega=spot * eq * n1 * mp.sqrt(t),
                theta=-spot * eq * n1 * vol / (2 * mp.sqrt(t)) + sg * (q * spot * eq * mp.ncdf(sg * d1)
                                                                      - r * k * er * mp.ncdf(sg * d2)),
                rho=sg * k * t * er * mp.ncdf(sg * d2))


def test_bs_price_and_greeks_vs_mpmath():
    rng = np.random.default_rng(7)
    n = 300
    spot = rng.uniform(20, 200, n)
    k = spot * np.exp(rng.normal(0, 0.4, n))
    t, vol = np.exp(rng.uniform(np.log(1 / 365), np.log(10), n)), rng.uniform(0.05, 1.0, n)
    r, q, c = rng.uniform(-0.01, 0.08, n), rng.uniform(0, 0.05, n), rng.uniform(size=n) < 0.5
    with mp.workdps(50):
        ref = [_mp_bs(*row) for row in zip(spot, k, t, vol, c, r, q)]
    ours = dict(price=black.bs_price(spot, k, t, vol, c, r, q), delta=black.bs_delta(spot, k, t, vol, c, r, q),
                gamma=black.bs_gamma(spot, k, t, vol, r, q), vega=black.bs_vega(spot, k, t, vol, r, q),
                theta=black.bs_theta(spot, k, t, vol, c, r, q), rho=black.bs_rho(spot, k, t, vol, c, r, q))
    for key, val in ours.items():
        want = np.array([float(x[key]) for x in ref])
        # theta can cross zero (puts, carry): measure it against the size of its terms.
        scale = np.maximum(np.abs(want), 1e-300) if key != "theta" else np.abs(want) + spot * vol * 1e-3
        assert np.max(np.abs(np.asarray(val) - want) / scale) < 1e-11, key
    assert abs(float(black.bs_price(100.0, 100.0, 1.0, 0.2, True, 0.05)) - 10.450583572185565) < 1e-12  # Hull
    np.testing.assert_allclose(black.bs_price(spot, k, t, vol, c, r, q),
                               black.price(spot * np.exp((r - q) * t), k, t, vol, c, np.exp(-r * t)), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# Independent library: vollib (Jäckel's LetsBeRational for the price)

def test_against_vollib():
    """vollib.black: ``black(flag, F, K, t, r, sigma)`` is the discounted price with D = e^{-rt};
    its analytical Greeks (at fixed F): delta, gamma as ours; vega per 1 vol point (ours / 100);
    theta per calendar day with the discount moving, (ours + r V)/365 (ours is -dV/dt at
    fixed F and D: negative for decay, as vollib's); rho per 1% of r at fixed F (-t V / 100)."""
    from vollib.black import black as vl_black
    from vollib.black.greeks import analytical as vl

    rng = np.random.default_rng(11)
    n = 200
    f = rng.uniform(10, 500, n)
    k = f * np.exp(rng.normal(0, 0.3, n))
    t, vol, r = rng.uniform(0.02, 5, n), rng.uniform(0.05, 1.5, n), rng.uniform(0.0, 0.08, n)
    c = rng.uniform(size=n) < 0.5
    d = np.exp(-r * t)
    flags = ["c" if ci else "p" for ci in c]
    px = np.asarray(black.price(f, k, t, vol, c, d))
    want = {"price": px, "delta": np.asarray(black.delta(f, k, t, vol, c, d)),
            "gamma": np.asarray(black.gamma(f, k, t, vol, d)), "vega": np.asarray(black.vega(f, k, t, vol, d)) / 100,
            "theta": (np.asarray(black.theta(f, k, t, vol, d)) + r * px) / 365, "rho": -t * px / 100}
    got = {"price": [vl_black(*a) for a in zip(flags, f, k, t, r, vol)]}
    for name in ("delta", "gamma", "vega", "theta", "rho"):
        got[name] = [getattr(vl, name)(*a) for a in zip(flags, f, k, t, r, vol)]
    for name, w in want.items():
        np.testing.assert_allclose(np.array(got[name]), w, rtol=1e-10, atol=1e-14 * f.max(), err_msg=name)


# ---------------------------------------------------------------------------------------
# Transformations and dtypes

def test_jit_vmap_and_float32():
    f = jnp.linspace(80.0, 120.0, 5)
    jitted = jax.jit(black.gamma)(f, 100.0, 0.5, 0.2)
    vmapped = jax.vmap(black.gamma, (0, None, None, None))(f, 100.0, 0.5, 0.2)
    np.testing.assert_allclose(jitted, black.gamma(f, 100.0, 0.5, 0.2), rtol=1e-15)
    np.testing.assert_allclose(vmapped, black.gamma(f, 100.0, 0.5, 0.2), rtol=1e-15)
    assert black.theta(f.reshape(5, 1), jnp.array([90.0, 110.0]), 0.5, 0.2).shape == (5, 2)
    f32 = f.astype(jnp.float32)
    for fn in (black.gamma, black.vega, black.theta, black.vanna, black.volga):
        out = fn(f32, jnp.float32(100.0), jnp.float32(0.5), jnp.float32(0.2))
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, fn(f, 100.0, 0.5, 0.2), rtol=2e-5)
    for fn in (black.delta, black.dual_delta, black.digital):
        assert fn(f32, jnp.float32(100.0), jnp.float32(0.5), jnp.float32(0.2), True).dtype == jnp.float32
    tail = black.price(jnp.float32(100.0), jnp.float32(150.0), jnp.float32(0.1), jnp.float32(0.2), True)
    assert tail.dtype == jnp.float32 and abs(float(tail) / float(black.price(100.0, 150.0, 0.1, 0.2, True)) - 1) < 1e-4
    assert black.bs_price(jnp.float32(100.0), jnp.float32(100.0), jnp.float32(1.0), jnp.float32(0.2),
                          True, jnp.float32(0.05)).dtype == jnp.float32
