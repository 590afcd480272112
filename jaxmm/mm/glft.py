"""Guéant-Lehalle-Fernandez-Tapia optimal quotes: exact (inventory-bounded) and closed form.

Numerics core (no pandas). Guéant, Lehalle & Fernandez-Tapia, "Dealing with the inventory
risk: a solution to the market making problem", Math. Financ. Econ. 7 (2013) 477-507.
Same model as Avellaneda-Stoikov (``jaxmm.mm.avellaneda_stoikov``: mid ``sigma``
Brownian, fills ``A exp(-k delta)``, CARA ``gamma``), with inventory kept in
``[-Q, Q]``. With ``alpha = k gamma sigma^2 / 2`` and ``eta = A (1 + gamma/k)^-(1 + k/gamma)``
the HJB system becomes linear: ``w(tau) = exp(-M tau) 1`` with the tridiagonal
``M[q, q] = alpha q^2``, ``M[q, q +- 1] = -eta`` (``q = -Q .. Q``), and ::

    delta_b(tau, q) = ln(w_q / w_{q+1}) / k + ln(1 + gamma/k) / gamma      (q < Q)
    delta_a(tau, q) = ln(w_q / w_{q-1}) / k + ln(1 + gamma/k) / gamma      (q > -Q)

(no bid at ``q = Q``, no ask at ``q = -Q``). ``exact_quotes`` evaluates ``w`` with the
matrix exponential (scaling and squaring) of ``M`` shifted by its smallest eigenvalue, so
long horizons do not underflow; an eigendecomposition instead lost 5e-5 of the quotes at
``q = -Q``, where ``w`` is 1e-14 of its largest entry (tests/test_mm_glft.py). The paper's closed-form approximation (its far-from-expiry,
Gaussian approximation of the spectral solution) is ::

    delta_b(q) ~ ln(1 + gamma/k) / gamma + (2q + 1)/2 c,   delta_a(q) ~ ln(1 + gamma/k) / gamma - (2q - 1)/2 c,
    c = sqrt(sigma^2 gamma / (2 k A) (1 + gamma/k)^(1 + k/gamma)).
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.linalg import expm


def _base(gamma, k):
    return jnp.log1p(gamma / k) / gamma


def approx_coefficients(gamma, sigma, k, A):
    """``(half, c)`` of the closed form: ``delta_b = half + c q``, ``delta_a = half - c q``
    with ``half = ln(1 + gamma/k) / gamma + c / 2`` (hftbacktest's half spread and skew)."""
    c = jnp.sqrt(sigma * sigma * gamma / (2.0 * k * A) * (1.0 + gamma / k) ** (1.0 + k / gamma))
    return _base(gamma, k) + 0.5 * c, c


def approx_quotes(q, gamma, sigma, k, A):
    """GLFT closed-form ``(delta_b, delta_a)`` at inventory ``q`` (module doc)."""
    q = jnp.asarray(q)
    q = q if jnp.issubdtype(q.dtype, jnp.floating) else q.astype(jnp.result_type(float))
    half, c = approx_coefficients(gamma, sigma, k, A)
    return half + c * q, half - c * q


def exact_quotes(tau, gamma, sigma, k, A, q_max: int):
    """Exact GLFT ``(delta_b, delta_a)`` for ``q = -q_max .. q_max`` at time to go ``tau``.

    Args:
      tau: time to the horizon, scalar or (n,) array.
      gamma, sigma, k, A: model parameters (scalars).
      q_max: the inventory bound Q (static int).

    Returns:
      ``(delta_b, delta_a)``, each ``tau.shape + (2 Q + 1,)``, NaN where the side is not
      quoted (bid at ``Q``, ask at ``-Q``).
    """
    q = jnp.arange(-q_max, q_max + 1, dtype=jnp.result_type(float))
    alpha = 0.5 * k * gamma * sigma * sigma
    eta = A * (1.0 + gamma / k) ** (-(1.0 + k / gamma))
    n = q.shape[0]
    m = jnp.diag(alpha * q * q) - eta * (jnp.eye(n, k=1) + jnp.eye(n, k=-1))
    shifted = m - jnp.linalg.eigvalsh(m)[0] * jnp.eye(n)             # smallest eigenvalue 0: no underflow
    tau = jnp.asarray(tau, q.dtype)
    w = jnp.vectorize(lambda t: expm(-shifted * t) @ jnp.ones(n), signature="()->(n)")(tau)
    log_w = jnp.log(w)
    base = _base(gamma, k)
    nan = jnp.full(log_w.shape[:-1] + (1,), jnp.nan, q.dtype)
    delta_b = jnp.concatenate([(log_w[..., :-1] - log_w[..., 1:]) / k + base, nan], axis=-1)
    delta_a = jnp.concatenate([nan, (log_w[..., 1:] - log_w[..., :-1]) / k + base], axis=-1)
    return delta_b, delta_a
