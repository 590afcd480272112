"""SVI and SSVI implied-variance smiles and their static-arbitrage conditions.

Numerics core (no pandas). ``k = ln(K / F)`` is log-moneyness against the forward and
``w = sigma_imp^2 t`` the total implied variance of one expiry.

**Raw SVI** (Gatheral 2004), parameters ``(a, b, rho, m, sigma)`` in that order::

    w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))
    w'   = b (rho + (k - m) / sqrt((k - m)^2 + sigma^2))
    w''  = b sigma^2 / ((k - m)^2 + sigma^2)^(3/2)

with ``b >= 0``, ``|rho| < 1``, ``sigma > 0`` and a non-negative minimum
``a + b sigma sqrt(1 - rho^2) >= 0``. Any function here taking ``params`` accepts a
``RawSVI`` (or any 5-sequence in that order) or an array whose last axis holds the five.

**Butterfly arbitrage** (Gatheral & Jacquier 2014, "Arbitrage-free SVI volatility
surfaces", Quantitative Finance 14(1), Lemma 2.2): the risk-neutral density of a slice is
``g(k) / sqrt(2 pi w) exp(-d2^2 / 2)``, non-negative where ::

    g(k) = (1 - k w' / (2 w))^2 - w'^2 / 4 (1 / w + 1 / 4) + w'' / 2  >= 0.

The usual parameter bounds do not imply ``g >= 0``: Vogt's slice ``(a, b, m, rho, sigma)
= (-0.0410, 0.1331, 0.3586, 0.3060, 0.4153)`` at ``t = 1`` (the paper's Example 3.1) has
``g < 0`` between about k = 0.64 and 1.26 (tests/test_svi.py).

**Calendar arbitrage**: total variance must not decrease with ``t`` at any ``k``.

**Jump-wings** (Gatheral 2004; GJ 2014 section 3.3): ``(v, psi, p, c, v_tilde)`` at
``t``: ATM variance, ATM skew, put and call wing slopes, minimum variance; each is
"vol-like" and independent of ``t`` for a stationary smile. ``raw_to_jump_wings`` and
``jump_wings_to_raw`` convert; ``repair_butterfly`` is the paper's section 5.2 repair
(keep ``v, psi, p``; set ``c' = p + 2 psi``, ``v_tilde' = v 4 p c' / (p + c')^2``: the
SSVI-shaped slice with the same ATM variance, skew and put wing).

**SSVI** (GJ 2014 section 4)::

    w(k, theta) = theta / 2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2)),  phi = phi(theta)

with ATM total variance ``theta_t``. Two families of ``phi``:

* Heston-like ``phi(theta) = (1 - (1 - exp(-lam theta)) / (lam theta)) / (lam theta)``;
  free of butterfly arbitrage when ``lam >= (1 + |rho|) / 4`` (Corollary 4.1);
* power law ``phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma))``; free of static
  arbitrage when ``eta (1 + |rho|) <= 2`` and ``0 < gamma <= 1/2`` (Remark 4.4).

The general conditions are checked numerically on a theta grid:
``ssvi_butterfly_conditions`` (Theorem 4.2: ``theta phi (1 + |rho|) < 4`` and
``theta phi^2 (1 + |rho|) <= 4``) and ``ssvi_calendar_conditions`` (Theorem 4.1:
``theta`` non-decreasing and ``0 <= d(theta phi)/d theta <= (1 + sqrt(1 - rho^2)) phi / rho^2``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

# --------------------------------------------------------------------------- parameters


class RawSVI(NamedTuple):
    """Raw SVI parameters of one slice (or arrays of them, broadcast together)."""

    a: jax.Array
    b: jax.Array
    rho: jax.Array
    m: jax.Array
    sigma: jax.Array


class JumpWings(NamedTuple):
    """SVI jump-wings parameters at time ``t``: ATM variance ``v``, ATM skew ``psi``, put
    and call wing slopes ``p`` and ``c``, minimum variance ``v_tilde`` (all per year)."""

    v: jax.Array
    psi: jax.Array
    p: jax.Array
    c: jax.Array
    v_tilde: jax.Array


def as_raw(params) -> RawSVI:
    """A ``RawSVI`` from a ``RawSVI``, a 5-sequence or an array of shape (..., 5)."""
    if isinstance(params, (tuple, list)):
        return RawSVI(*(jnp.asarray(p) for p in params))
    arr = jnp.asarray(params)
    if arr.shape[-1:] != (5,):
        raise ValueError(f"SVI params: expected a last axis of 5 (a, b, rho, m, sigma), got shape {arr.shape}")
    return RawSVI(*(arr[..., i] for i in range(5)))


def stack(params) -> jax.Array:
    """Params as an array of shape (..., 5) in the order (a, b, rho, m, sigma)."""
    return jnp.stack(jnp.broadcast_arrays(*as_raw(params)), axis=-1)


# --------------------------------------------------------------------------- raw SVI


def raw_total_variance(params, k):
    """Raw SVI total implied variance ``w(k)`` (module doc).

    Args:
      params: ``(a, b, rho, m, sigma)``; arrays broadcast against ``k``.
      k: log-moneyness ``ln(K / F)``.

    Returns:
      ``w(k)``, shape of the broadcast.

    Example:
      >>> float(raw_total_variance((0.04, 0.1, -0.5, 0.01, 0.2), 0.05))  # doctest: +ELLIPSIS
      0.0583...
    """
    a, b, rho, m, sigma = as_raw(params)
    d = k - m
    return a + b * (rho * d + jnp.sqrt(d * d + sigma * sigma))


def raw_derivatives(params, k):
    """``(w, w', w'')`` of raw SVI in ``k``, in closed form."""
    a, b, rho, m, sigma = as_raw(params)
    d = k - m
    root = jnp.sqrt(d * d + sigma * sigma)
    w = a + b * (rho * d + root)
    return w, b * (rho + d / root), b * sigma * sigma / (root * root * root)


def implied_vol(params, k, t):
    """Black implied vol ``sqrt(w(k) / t)`` (NaN where ``w < 0``)."""
    w = raw_total_variance(params, k)
    return jnp.sqrt(jnp.where(w >= 0.0, w, jnp.nan) / t)


def minimum_variance(params):
    """Minimum of ``w`` over ``k``: ``a + b sigma sqrt(1 - rho^2)``."""
    a, b, rho, _, sigma = as_raw(params)
    return a + b * sigma * jnp.sqrt(1.0 - rho * rho)


def density_factor(w, dw, d2w, k):
    """Gatheral-Jacquier's ``g`` from a smile's ``w, w', w''`` at ``k`` (any smile)."""
    return (1.0 - k * dw / (2.0 * w)) ** 2 - 0.25 * dw * dw * (1.0 / w + 0.25) + 0.5 * d2w


def butterfly_g(params, k):
    """Gatheral-Jacquier's butterfly function ``g(k)`` of a raw SVI slice (module doc).

    The slice's risk-neutral density is non-negative at ``k`` iff ``g(k) >= 0`` (where
    ``w(k) > 0``). Shapes broadcast like ``raw_total_variance``.
    """
    return density_factor(*raw_derivatives(params, k), k)


class ButterflyCheck(NamedTuple):
    """``g`` of a slice on a k-grid: its minimum, where it is reached, and the intervals
    where ``g < 0`` (``starts[i], ends[i]``, grid points; NaN-padded to the grid length)."""

    min_g: jax.Array
    argmin_k: jax.Array
    n_negative: jax.Array
    starts: jax.Array
    ends: jax.Array


def butterfly_check(params, k_grid, tol: float = 0.0) -> ButterflyCheck:
    """Scan ``g`` over ``k_grid`` (1-D, increasing) for one slice; vmap for many.

    ``n_negative`` counts grid points with ``g < -tol`` (also where ``w <= 0``, which no
    density allows). The negative intervals are runs of such points; their ends are grid
    points, so an interval is exact to the grid spacing.
    """
    k_grid = jnp.asarray(k_grid)
    w, dw, d2w = raw_derivatives(params, k_grid)
    g = density_factor(w, dw, d2w, k_grid)
    bad = (g < -tol) | (w <= 0.0)
    g_shown = jnp.where(w > 0.0, g, -jnp.inf)
    prev_bad = jnp.concatenate([jnp.zeros(1, bool), bad[:-1]])
    next_bad = jnp.concatenate([bad[1:], jnp.zeros(1, bool)])
    start_mask, end_mask = bad & ~prev_bad, bad & ~next_bad
    n = k_grid.shape[0]
    # Compact the run starts/ends to the front (stable order), NaN-padded.
    def compact(mask):
        idx = jnp.argsort(~mask, stable=True)
        return jnp.where(jnp.arange(n) < mask.sum(), k_grid[idx], jnp.nan)

    i = jnp.argmin(g_shown)
    return ButterflyCheck(g_shown[i], k_grid[i], bad.sum(), compact(start_mask), compact(end_mask))


def calendar_violations(params_short, params_long, k_grid, tol: float = 0.0):
    """Calendar check of two raw SVI slices (``t_short < t_long``) on ``k_grid``.

    Returns ``(n_violations, min_gap)``: the grid points where ``w_long(k) < w_short(k) -
    tol`` and the minimum of ``w_long - w_short`` (negative: calendar arbitrage).
    """
    gap = raw_total_variance(params_long, k_grid) - raw_total_variance(params_short, k_grid)
    return (gap < -tol).sum(axis=-1), gap.min(axis=-1)


# --------------------------------------------------------------------------- jump-wings


def raw_to_jump_wings(params, t) -> JumpWings:
    """Raw SVI to jump-wings at time ``t`` (GJ 2014, section 3.3)."""
    a, b, rho, m, sigma = as_raw(params)
    root = jnp.sqrt(m * m + sigma * sigma)
    w_atm = a + b * (-rho * m + root)
    sqrt_w = jnp.sqrt(w_atm)
    return JumpWings(v=w_atm / t,
                     psi=b / (2.0 * sqrt_w) * (rho - m / root),
                     p=b * (1.0 - rho) / sqrt_w,
                     c=b * (1.0 + rho) / sqrt_w,
                     v_tilde=(a + b * sigma * jnp.sqrt(1.0 - rho * rho)) / t)


def jump_wings_to_raw(jw: JumpWings, t) -> RawSVI:
    """Jump-wings at time ``t`` to raw SVI (GJ 2014, Lemma 3.2; ``m = 0`` handled)."""
    v, psi, p, c, v_tilde = (jnp.asarray(x) for x in jw)
    w_atm = v * t
    sqrt_w = jnp.sqrt(w_atm)
    b = 0.5 * sqrt_w * (c + p)
    rho = 1.0 - p * sqrt_w / b
    beta = rho - 2.0 * psi * sqrt_w / b
    alpha = jnp.sign(beta) * jnp.sqrt(1.0 / (beta * beta) - 1.0)
    root_rho = jnp.sqrt(1.0 - rho * rho)
    denom = b * (-rho + jnp.sign(alpha) * jnp.sqrt(1.0 + alpha * alpha) - alpha * root_rho)
    m_zero = beta == 0.0     # then alpha = 0: m = 0 and sigma from the ATM / minimum gap
    m = jnp.where(m_zero, 0.0, (v - v_tilde) * t / jnp.where(m_zero, 1.0, denom))
    sigma = jnp.where(m_zero, (w_atm - v_tilde * t) / (b * (1.0 - root_rho)), alpha * m)
    a = v_tilde * t - b * sigma * root_rho
    return RawSVI(a, b, rho, m, sigma)


def repair_butterfly(params, t) -> RawSVI:
    """GJ 2014 section 5.2: keep the ATM variance, skew and put wing and make the slice
    SSVI-shaped (for SSVI ``c - p = 2 psi`` and ``v_tilde = v (1 - rho^2)``):
    ``c' = p + 2 psi``, ``v_tilde' = 4 v p c' / (p + c')^2``. The result is free of
    butterfly arbitrage when the put wing and skew are moderate (the paper's example;
    check it with ``butterfly_check``)."""
    jw = raw_to_jump_wings(params, t)
    c_new = jw.p + 2.0 * jw.psi
    v_tilde_new = 4.0 * jw.v * jw.p * c_new / (jw.p + c_new) ** 2
    return jump_wings_to_raw(JumpWings(jw.v, jw.psi, jw.p, c_new, v_tilde_new), t)


# --------------------------------------------------------------------------- SSVI


_PHI_HESTON_SERIES = tuple((-1.0) ** n / math.factorial(n + 2) for n in range(18))


def phi_heston(theta, lam):
    """Heston-like SSVI curvature ``phi(theta) = (1 - (1 - e^-x) / x) / x``, ``x = lam
    theta`` (GJ 2014, eq. 4.4). Below x = 0.5 the closed form cancels (its numerator is
    ~x/2 from terms ~1), so the series ``sum_n (-x)^n / (n + 2)!`` is used there
    (18 terms: truncation below 1e-22)."""
    x = lam * theta
    small = x < 0.5
    xs = jnp.where(small, 1.0, x)
    exact = (1.0 - (1.0 - jnp.exp(-xs)) / xs) / xs
    series = jnp.zeros_like(x)
    for c in reversed(_PHI_HESTON_SERIES):
        series = series * x + c
    return jnp.where(small, series, exact)


def phi_power_law(theta, eta, gamma):
    """Power-law SSVI curvature ``eta / (theta^gamma (1 + theta)^(1 - gamma))`` (GJ 2014, 4.5)."""
    return eta / (theta ** gamma * (1.0 + theta) ** (1.0 - gamma))


def ssvi_total_variance(k, theta, rho, phi):
    """SSVI total variance ``w(k, theta)`` with curvature value ``phi = phi(theta)``."""
    pk = phi * k
    return 0.5 * theta * (1.0 + rho * pk + jnp.sqrt((pk + rho) ** 2 + 1.0 - rho * rho))


def ssvi_to_raw(theta, rho, phi) -> RawSVI:
    """The raw SVI slice equal to an SSVI slice (GJ 2014, Lemma 3.3 with the natural
    parameterisation's Delta = 0, mu = -rho / phi, omega = theta)."""
    root = jnp.sqrt(1.0 - rho * rho)
    return RawSVI(a=0.5 * theta * (1.0 - rho * rho), b=0.5 * theta * phi, rho=rho, m=-rho / phi,
                  sigma=root / phi)


class SSVIConditions(NamedTuple):
    """Margins of GJ 2014's SSVI conditions on a theta grid (all >= 0: the condition
    holds; the minimum over the grid is returned, so one negative number flags it)."""

    butterfly_first: jax.Array      # 4 - theta phi (1 + |rho|)          (strict: > 0)
    butterfly_second: jax.Array     # 4 - theta phi^2 (1 + |rho|)
    calendar_lower: jax.Array       # d(theta phi)/d theta
    calendar_upper: jax.Array       # (1 + sqrt(1 - rho^2)) phi / rho^2 - d(theta phi)/d theta


def ssvi_conditions(phi_fn, theta_grid, rho) -> SSVIConditions:
    """Check Theorems 4.1 (calendar) and 4.2 (butterfly) for ``phi_fn`` on ``theta_grid``.

    ``phi_fn(theta)`` must be a JAX-traceable scalar function (close over its parameters);
    ``d(theta phi)/d theta`` is taken by autodiff. Monotonicity of the fitted ``theta_t``
    themselves (the other half of Theorem 4.1) is the caller's: see ``theta`` of a fit.
    """
    theta = jnp.asarray(theta_grid)
    phi = jax.vmap(phi_fn)(theta)
    d_theta_phi = jax.vmap(jax.grad(lambda th: th * phi_fn(th)))(theta)
    abs_rho = jnp.abs(rho)
    upper = jnp.where(abs_rho > 0.0, (1.0 + jnp.sqrt(1.0 - rho * rho)) * phi / jnp.where(abs_rho > 0.0, rho * rho, 1.0),
                      jnp.inf)
    return SSVIConditions(butterfly_first=jnp.min(4.0 - theta * phi * (1.0 + abs_rho)),
                          butterfly_second=jnp.min(4.0 - theta * phi * phi * (1.0 + abs_rho)),
                          calendar_lower=jnp.min(d_theta_phi),
                          calendar_upper=jnp.min(upper - d_theta_phi))
