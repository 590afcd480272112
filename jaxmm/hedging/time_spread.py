"""Option time spreads across futures tenors: gamma-neutral by raw gamma or by h^2.

Numerics core (no pandas). Seed 001's "raw gamma paradox": a long M12 / short M1 option
spread sized so that its raw gammas cancel is still short gamma, because an M12 future
moves only ``h`` dollars per dollar of M1 (``h = beta F12 / F1``): in M1 terms the back
gamma weighs ``h^2``. Sizing by ``h^2``-weighted gamma makes the spread gamma-neutral in
the risk that matters.

**Curve** (the synthetic futures model, ``jaxmm.synthetic.futures``: Schwartz & Smith
2000, risk neutral, business-day clock)::

    d ln F(t, T) = e^{-kappa tau} sigma_chi dW_chi + sigma_xi dW_xi - v/2 dt,   tau = T - t
    sigma(tau)^2 = sigma_chi^2 e^{-2 kappa tau} + sigma_xi^2 + 2 rho sigma_chi sigma_xi e^{-kappa tau}

simulated exactly step by step: ``Delta ln F(T) = e^{-kappa tau_{t+Delta}} e_chi + e_xi - v/2``
with the exact OU / Brownian increments ``(e_chi, e_xi)`` and ``v`` their variance, so every
futures price is a martingale. ``regime`` multiplies ``sigma_chi`` (the synthetic high
front-vol regime: ``4``).

**Options**: at-the-money Black-76 calls expiring with their futures, priced at the
model's exact implied vol ``sqrt(int_t^T sigma(T - s)^2 ds / (T - t))`` (deterministic:
no vega P&L in this model). The spread is short one M1 call and long ``n`` M12 calls,
each leg delta-hedged with its own future every step; its P&L over ``horizon`` steps is
``sum legs w (V_end - V_0) - sum steps delta_leg dF_leg`` (no discounting).

**Sizing** at ``t = 0`` from the model's instantaneous covariance: ``beta = cov(1, 12) /
sigma_1^2``, ``h = beta F12 / F1``; ``"raw"``: ``n = Gamma_1 / Gamma_12``; ``"h2"``:
``n = Gamma_1 / (Gamma_12 h^2)`` (``jaxmm.stats.tenors.gamma_neutral``); and, ours,
``"min_variance"``: ``n = corr^4 Gamma_1 / (Gamma_12 h^2)``, ``corr`` the instantaneous
correlation of the M1 and M12 log returns (not the factors' ``rho``). A delta-hedged leg earns
about ``Gamma F^2 (r^2 - sigma^2 dt) / 2`` a step; with Gaussian returns of correlation ``corr``
the variance of the spread's sum is smallest at that ``n`` (``Cov(r_1^2, r_12^2) =
2 corr^2 sigma_1^2 sigma_12^2 dt^2``). ``h2`` sizing removes the P&L's dependence on the
front month's realised variance (what the seed is after), but buys ``1/corr^4`` times the
variance-minimising number of back options, whose own, uncorrelated variance it then
carries. Each sizing carries ``n vega_12 - vega_1`` of vega.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmm.pricing import black

DAYS_PER_YEAR = 252.0
SIZINGS = ("raw", "h2", "min_variance")


class CurveParams(NamedTuple):
    """Two-factor curve and the spread (defaults: the synthetic futures' model; M1 one
    month and M12 twelve months to expiry; the normal regime)."""

    f1: float = 70.0            # M1 futures price at t = 0
    f12: float = 68.0           # M12 futures price at t = 0
    t1: float = 21.0 / DAYS_PER_YEAR
    t12: float = 252.0 / DAYS_PER_YEAR
    kappa: float = 3.0
    sigma_chi: float = 0.2
    sigma_xi: float = 0.17
    rho: float = 0.3
    regime: float = 1.0         # sigma_chi multiplier (the synthetic high-vol regime: 4)


class SpreadPaths(NamedTuple):
    """Per-path results of ``simulate_spread``, each (n_paths,)."""

    pnl: jax.Array              # P&L of the delta-hedged spread over the horizon
    front_var: jax.Array        # realised variance of M1: sum of squared log returns


class SpreadRisk(NamedTuple):
    """The spread at t = 0 for one sizing (scalars, or (G,) over a grid)."""

    h: jax.Array
    h2: jax.Array
    contracts: jax.Array        # M12 calls per M1 call
    vol1: jax.Array             # implied vols of the legs
    vol12: jax.Array
    raw_gamma: jax.Array        # n Gamma_12 - Gamma_1 (per $1 of each own future)
    front_gamma: jax.Array      # n Gamma_12 h^2 - Gamma_1 (in M1 terms)
    net_vega: jax.Array         # n vega_12 - vega_1 (per unit vol)


def _chi_vol(p: CurveParams):
    return p.sigma_chi * p.regime


def inst_vol(p: CurveParams, tau):
    """Instantaneous vol of ln F at time to expiry ``tau``."""
    sc, e = _chi_vol(p), jnp.exp(-p.kappa * tau)
    return jnp.sqrt(sc * sc * e * e + p.sigma_xi ** 2 + 2.0 * p.rho * sc * p.sigma_xi * e)


def implied_vol(p: CurveParams, tau):
    """Exact Black-76 vol of an option expiring with its future, ``tau`` years ahead:
    ``sqrt(int_0^tau sigma(u)^2 du / tau)`` in closed form."""
    sc, k = _chi_vol(p), p.kappa
    var = (sc * sc * -jnp.expm1(-2.0 * k * tau) / (2.0 * k) + p.sigma_xi ** 2 * tau
           + 2.0 * p.rho * sc * p.sigma_xi * -jnp.expm1(-k * tau) / k)
    return jnp.sqrt(var / tau)


def hedge_ratio(p: CurveParams):
    """(beta, h, corr) of M12 on M1 from the instantaneous covariance at t = 0."""
    sc, k = _chi_vol(p), p.kappa
    e1, e12 = jnp.exp(-k * p.t1), jnp.exp(-k * p.t12)
    cov = sc * sc * e1 * e12 + p.sigma_xi ** 2 + p.rho * sc * p.sigma_xi * (e1 + e12)
    s1, s12 = inst_vol(p, p.t1), inst_vol(p, p.t12)
    beta = cov / (s1 * s1)
    return beta, beta * p.f12 / p.f1, cov / (s1 * s12)


def spread_risk(p: CurveParams, sizing: str) -> SpreadRisk:
    """Contracts and the Greeks the spread carries under ``sizing`` (``SIZINGS``)."""
    if sizing not in SIZINGS:
        raise ValueError(f"sizing: expected one of {', '.join(SIZINGS)}; got {sizing!r}")
    v1, v12 = implied_vol(p, p.t1), implied_vol(p, p.t12)
    g1, g12 = black.gamma(p.f1, p.f1, p.t1, v1), black.gamma(p.f12, p.f12, p.t12, v12)
    vega1, vega12 = black.vega(p.f1, p.f1, p.t1, v1), black.vega(p.f12, p.f12, p.t12, v12)
    _, h, corr = hedge_ratio(p)
    h2 = h * h
    n = {"raw": g1 / g12, "h2": g1 / (g12 * h2), "min_variance": corr ** 4 * g1 / (g12 * h2)}[sizing]
    return SpreadRisk(h, h2, n, v1, v12, n * g12 - g1, n * g12 * h2 - g1, n * vega12 - vega1)


def _increment_cov(p: CurveParams, dt):
    """Covariance of the exact (e_chi, e_xi) increments over ``dt``."""
    sc, k = _chi_vol(p), p.kappa
    var_chi = sc * sc * -jnp.expm1(-2.0 * k * dt) / (2.0 * k)
    var_xi = p.sigma_xi ** 2 * dt
    cov = p.rho * sc * p.sigma_xi * -jnp.expm1(-k * dt) / k
    return var_chi, var_xi, cov


def simulate_spread(p: CurveParams, key: jax.Array, n_paths: int, horizon: int, sizing: str,
                    dt: float = 1.0 / DAYS_PER_YEAR, dtype=None) -> SpreadPaths:
    """The delta-hedged spread over ``horizon`` steps of ``dt`` (module doc), for one
    parameter set (vmap it over a grid of ``CurveParams``); ``horizon dt`` must be shorter
    than ``t1`` (the M1 option is still alive)."""
    risk = spread_risk(p, sizing)
    var_chi, var_xi, cov = _increment_cov(p, dt)
    a = jnp.sqrt(var_chi)
    b_corr = cov / a
    b_free = jnp.sqrt(jnp.maximum(var_xi - b_corr * b_corr, 0.0))
    k1, k12 = p.f1, p.f12                                   # ATM strikes

    def legs(f1, f12, t):
        tau1, tau12 = p.t1 - t, p.t12 - t
        v1, v12 = implied_vol(p, tau1), implied_vol(p, tau12)
        value = risk.contracts * black.price(f12, k12, tau12, v12, True) - black.price(f1, k1, tau1, v1, True)
        return value, black.delta(f1, k1, tau1, v1, True), black.delta(f12, k12, tau12, v12, True)

    def step(carry, i):
        f1, f12, hedge, var1 = carry
        t = i * dt
        _, d1, d12 = legs(f1, f12, t)
        z = jax.random.normal(jax.random.fold_in(key, i), (2, n_paths), f1.dtype)
        e_chi, e_xi = a * z[0], b_corr * z[0] + b_free * z[1]
        new, ret = [], []
        for f, tau_next in ((f1, p.t1 - t - dt), (f12, p.t12 - t - dt)):
            load = jnp.exp(-p.kappa * tau_next)
            v = load * load * var_chi + var_xi + 2.0 * load * cov
            ret.append(load * e_chi + e_xi - 0.5 * v)
            new.append(f * jnp.exp(ret[-1]))
        # Short one M1 call (hedge: +d1 futures), long n M12 calls (hedge: -n d12 futures).
        hedge = hedge + d1 * (new[0] - f1) - risk.contracts * d12 * (new[1] - f12)
        return (new[0], new[1], hedge, var1 + ret[0] ** 2), None

    zeros = jnp.zeros(n_paths, dtype or jnp.result_type(float))
    start, _, _ = legs(p.f1, p.f12, 0.0)
    (f1, f12, hedge, var1), _ = jax.lax.scan(step, (zeros + p.f1, zeros + p.f12, zeros, zeros),
                                             jnp.arange(horizon, dtype=zeros.dtype))
    end, _, _ = legs(f1, f12, horizon * dt)
    return SpreadPaths(end - start + hedge, var1)
