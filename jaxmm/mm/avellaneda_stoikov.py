"""Avellaneda-Stoikov market making: quotes and a batched Monte Carlo simulator.

Numerics core (no pandas). Avellaneda & Stoikov, "High-frequency trading in a limit order
book", Quantitative Finance 8(3), 2008. With mid ``s``, inventory ``q``, time left
``tau = T - t``, risk aversion ``gamma``, mid vol ``sigma`` (price units per sqrt time)
and fill intensity ``lambda(delta) = A exp(-k delta)`` at distance ``delta`` from the mid::

    reservation price   r = s - q gamma sigma^2 tau
    total spread        delta_a + delta_b = gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k)
    quotes              bid = r - spread / 2,   ask = r + spread / 2

The **symmetric** benchmark quotes the same spread centred on the mid. As ``gamma -> 0``
the reservation price tends to ``s`` and the spread to ``2 / k``: both strategies agree.

**Simulation conventions** (the paper's section 3.3 leaves them open; these are ours):
at each step of ``dt`` the quotes are set from ``(s_t, q_t, tau_t)``; each side fills at
most once with probability ``lambda(delta) dt`` (``fill="linear"``, the paper's; clipped
to 1) or ``1 - exp(-lambda(delta) dt)`` (``fill="poisson"``), judged against the mid
``s_t`` at which the quotes were set, both sides may fill in one step; then the mid moves
(``mid="binary"``: ``+-sigma sqrt(dt)`` with probability 1/2 each, the paper's; or
``"brownian"``: ``sigma sqrt(dt) N(0, 1)``). A fill earns the quote's distance from the
mid plus ``rebate`` per unit (negative: a fee). ``q_max`` stops quoting the side that
would take ``|q|`` beyond it. Profit at ``T`` is ``cash + q s_T`` (inventory marked at
the mid).

One ``simulate`` call runs ``n_paths`` paths (vectorised) over ``n_steps`` (``lax.scan``)
for one parameter set; ``simulate_grid`` vmaps it over a grid of parameter sets.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp


class ASParams(NamedTuple):
    """One A-S set-up (scalars, or arrays for a grid: ``simulate_grid`` maps the leading
    axis). Defaults: the paper's section 3.3."""

    s0: float = 100.0
    T: float = 1.0
    sigma: float = 2.0
    gamma: float = 0.1
    k: float = 1.5
    A: float = 140.0
    q_max: float = jnp.inf
    rebate: float = 0.0


class PathStats(NamedTuple):
    """Per-path results of a simulation, each (n_paths,)."""

    profit: jax.Array        # cash + q_T s_T
    final_q: jax.Array       # inventory at T
    n_bid_fills: jax.Array   # units bought
    n_ask_fills: jax.Array   # units sold
    mean_spread: jax.Array   # ask - bid averaged over steps where both sides quoted
    max_drawdown: jax.Array  # largest fall of the marked-to-mid wealth from its running peak


def reservation_price(s, q, tau, gamma, sigma):
    """``r = s - q gamma sigma^2 tau``."""
    return s - q * gamma * sigma * sigma * tau


def optimal_spread(tau, gamma, sigma, k):
    """``gamma sigma^2 tau + (2 / gamma) ln(1 + gamma / k)``; the ``gamma -> 0`` limit
    ``2 / k`` is taken without cancellation (``log1p``)."""
    return gamma * sigma * sigma * tau + 2.0 * jnp.log1p(gamma / k) / gamma


def quotes(s, q, tau, p: ASParams, strategy: str = "inventory"):
    """(bid, ask) of the ``"inventory"`` (A-S) or ``"symmetric"`` strategy."""
    if strategy not in ("inventory", "symmetric"):
        raise ValueError(f"strategy: expected 'inventory' or 'symmetric', got {strategy!r}")
    half = 0.5 * optimal_spread(tau, p.gamma, p.sigma, p.k)
    centre = reservation_price(s, q, tau, p.gamma, p.sigma) if strategy == "inventory" else s
    return centre - half, centre + half


def fill_probability(delta, dt, A, k, fill: str = "linear"):
    """Probability that a quote at distance ``delta`` from the mid fills within ``dt``."""
    rate = A * jnp.exp(-k * delta) * dt
    if fill == "linear":
        return jnp.clip(rate, 0.0, 1.0)
    if fill == "poisson":
        return -jnp.expm1(-rate)
    raise ValueError(f"fill: expected 'linear' or 'poisson', got {fill!r}")


PATH_CHUNK = 65536   # paths simulated together: the scan's carry stays in cache (1M at once ran 2.3x slower)


def simulate(p: ASParams, key: jax.Array, n_paths: int, n_steps: int, strategy: str = "inventory",
             mid: str = "binary", fill: str = "linear", dtype=jnp.float64) -> PathStats:
    """Simulate ``n_paths`` paths of one A-S set-up; dtype-generic (module doc).

    Paths run in chunks of ``PATH_CHUNK`` one after another (``lax.map``), so memory stays
    bounded whatever ``n_paths``. Deterministic for a key: chunk ``c`` draws step ``i``
    from ``fold_in(fold_in(key, c), i)``.
    """
    if mid not in ("binary", "brownian"):
        raise ValueError(f"mid: expected 'binary' or 'brownian', got {mid!r}")
    p = ASParams(*(jnp.asarray(x, dtype) for x in p))
    size = min(n_paths, PATH_CHUNK)
    n_chunks = -(-n_paths // size)
    chunks = jax.lax.map(lambda c: _simulate_chunk(p, jax.random.fold_in(key, c), size, n_steps, strategy, mid,
                                                   fill, dtype), jnp.arange(n_chunks))
    return PathStats(*(x.reshape(-1)[:n_paths] for x in chunks))


def _simulate_chunk(p: ASParams, key, n_paths: int, n_steps: int, strategy: str, mid: str, fill: str,
                    dtype) -> PathStats:
    dt = p.T / n_steps
    sqrt_dt = jnp.sqrt(dt)
    zeros = jnp.zeros(n_paths, dtype)

    def step(carry, i):
        s, q, cash, n_bid, n_ask, spread_sum, n_both, peak, drawdown = carry
        tau = p.T - i.astype(dtype) * dt
        bid, ask = quotes(s, q, tau, p, strategy)
        can_bid = q + 1.0 <= p.q_max
        can_ask = q - 1.0 >= -p.q_max
        u = jax.random.uniform(jax.random.fold_in(key, i), (3, n_paths), dtype)
        bought = can_bid & (u[0] < fill_probability(s - bid, dt, p.A, p.k, fill))
        sold = can_ask & (u[1] < fill_probability(ask - s, dt, p.A, p.k, fill))
        b, a = bought.astype(dtype), sold.astype(dtype)
        cash = cash - b * (bid - p.rebate) + a * (ask + p.rebate)
        q = q + b - a
        both = (can_bid & can_ask).astype(dtype)
        spread_sum = spread_sum + both * (ask - bid)
        if mid == "binary":
            move = jnp.where(u[2] < 0.5, 1.0, -1.0).astype(dtype)
        else:
            move = jnp.sqrt(-2.0 * jnp.log1p(-u[2])) * jnp.cos(2.0 * jnp.pi * jax.random.uniform(
                jax.random.fold_in(key, n_steps + i), (n_paths,), dtype))    # Box-Muller
        s = s + p.sigma * sqrt_dt * move
        wealth = cash + q * s
        peak = jnp.maximum(peak, wealth)
        return (s, q, cash, n_bid + b, n_ask + a, spread_sum, n_both + both, peak,
                jnp.maximum(drawdown, peak - wealth)), None

    init = (zeros + p.s0, zeros, zeros, zeros, zeros, zeros, zeros, zeros, zeros)
    (s, q, cash, n_bid, n_ask, spread_sum, n_both, _, drawdown), _ = jax.lax.scan(
        step, init, jnp.arange(n_steps))
    return PathStats(cash + q * s, q, n_bid, n_ask, spread_sum / jnp.maximum(n_both, 1.0), drawdown)


def simulate_grid(grid: ASParams, key: jax.Array, n_paths: int, n_steps: int, **options) -> PathStats:
    """``simulate`` for every parameter set of ``grid`` (fields broadcast to a common leading
    axis ``G``): results (G, n_paths). Every grid point uses the same random numbers
    (common random numbers), so differences between points are not sampling noise."""
    fields = jnp.broadcast_arrays(*(jnp.asarray(x) for x in grid))
    return jax.vmap(lambda *f: simulate(ASParams(*f), key, n_paths, n_steps, **options))(*fields)
