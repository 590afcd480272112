"""Avellaneda-Stoikov market making: model parameters, reservation price and quotes.

Numerics core (no pandas). Avellaneda & Stoikov, "High-frequency trading in a limit order
book", Quantitative Finance 8(3), 2008. With mid ``s``, inventory ``q``, time left
``tau = T - t``, risk aversion ``gamma``, mid vol ``sigma`` (price units per sqrt time)
and fill intensity ``lambda(delta) = A exp(-k delta)`` at distance ``delta`` from the mid::

    reservation price   r = s - q gamma sigma^2 tau
    total spread        delta_a + delta_b = gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k)
    quotes              bid = r - spread / 2,   ask = r + spread / 2

The **symmetric** benchmark of the published paper (section 3.3: "uses the average
bid/ask spread of the inventory strategy over the time period, but centres it around the
mid-price") quotes the constant ``gamma sigma^2 T / 2 + (2 / gamma) ln(1 + gamma / k)``,
the time average of the spread above, around ``s``. As ``gamma -> 0`` the reservation
price tends to ``s`` and both spreads to ``2 / k``: the strategies agree.

The batched simulator that uses these quotes is ``jaxmm.mm.simulate``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp


class ASParams(NamedTuple):
    """One market-making set-up (scalars, or arrays for a grid: ``simulate_grid`` maps the
    leading axis). Defaults: the paper's section 3.3, no limits, fees or adverse selection."""

    s0: float = 100.0
    T: float = 1.0
    sigma: float = 2.0          # mid vol, price units per sqrt(time)
    gamma: float = 0.1          # risk aversion
    k: float = 1.5              # fill intensity decay per unit of distance from the mid
    A: float = 140.0            # fill intensity at the mid, per unit time
    q_max: float = jnp.inf      # stop quoting the side that would take |q| beyond this
    rebate: float = 0.0         # earned per unit filled (negative: a fee)
    impact: float = 0.0         # informed flow: the mid moves this much against each fill
    jump_rate: float = 0.0      # mid jumps per unit time (simulate(..., jumps=True))
    jump_size: float = 0.0      # standard deviation of a jump, price units


def reservation_price(s, q, tau, gamma, sigma):
    """``r = s - q gamma sigma^2 tau``."""
    return s - q * gamma * sigma * sigma * tau


def optimal_spread(tau, gamma, sigma, k):
    """``gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k)``; the ``gamma -> 0`` limit
    ``2 / k`` is taken without cancellation (``log1p``)."""
    return gamma * sigma * sigma * tau + 2.0 * jnp.log1p(gamma / k) / gamma


def average_spread(T, gamma, sigma, k):
    """Time average over ``[0, T]`` of ``optimal_spread``: ``gamma sigma^2 T / 2 +
    (2 / gamma) ln(1 + gamma / k)`` (the published paper's "average spread" column)."""
    return optimal_spread(0.5 * T, gamma, sigma, k)


def quotes(s, q, tau, p: ASParams, strategy: str = "inventory"):
    """(bid, ask) of the ``"inventory"`` (A-S) or ``"symmetric"`` strategy."""
    if strategy == "inventory":
        half = 0.5 * optimal_spread(tau, p.gamma, p.sigma, p.k)
        centre = reservation_price(s, q, tau, p.gamma, p.sigma)
    elif strategy == "symmetric":
        half, centre = 0.5 * average_spread(p.T, p.gamma, p.sigma, p.k), s
    else:
        raise ValueError(f"strategy: expected 'inventory' or 'symmetric', got {strategy!r}")
    return centre - half, centre + half


def fill_probability(delta, dt, A, k, fill: str = "linear"):
    """Probability that a quote at distance ``delta`` from the mid fills within ``dt``:
    ``jaxmm.mm.fills.quote_fill_probability`` (kept under this name for callers)."""
    from jaxmm.mm.fills import quote_fill_probability

    return quote_fill_probability(delta, dt, A, k, fill)
