"""Batched market-making Monte Carlo: A-S, symmetric and GLFT quoting on one model.

Numerics core (no pandas). One jitted call runs a chunk of paths for every point of a
parameter grid (``vmap`` over the grid, ``lax.scan`` over time, paths vectorised);
``simulate_grid`` feeds it chunk after chunk (memory stays bounded whatever the number of
paths, progress is logged, chunks alternate between ``devices``). Every grid point sees
the same random numbers (common random numbers), so differences between grid points and
between policies run with one key are not sampling noise.

**Model** (``ASParams``; Avellaneda & Stoikov 2008, section 3.3, and its extensions).
At each step of ``dt = T / n_steps`` the policy sets ``(bid, ask)`` from
``(s_t, q_t, tau_t = T - t)``; each side fills at most once, with probability
``lambda(delta) dt`` (``fill="linear"``, the paper's; clipped to 1) or
``1 - exp(-lambda(delta) dt)`` (``"poisson"``), ``lambda(delta) = A exp(-k delta)``,
``delta`` the quote's distance from ``s_t`` (the mid at which the quotes were set); both
sides may fill in one step. A fill earns the quote plus ``rebate``. Then the mid moves:

- ``impact`` (adverse selection, informed flow): ``s -= impact`` per unit bought,
  ``s += impact`` per unit sold, permanently;
- ``mid="binary"``: ``+- sigma sqrt(dt)`` with probability 1/2 (the paper's);
  ``"brownian"``: ``sigma sqrt(dt) Z``; ``"geometric"``: ``s exp(v sqrt(dt) Z - v^2 dt/2)``
  with ``v = sigma / s0``, so the mid starts with the same price vol;
- ``jumps=True``: with probability ``1 - exp(-jump_rate dt)`` a jump ``N(0, jump_size^2)``.

``q_max`` stops quoting the side that would take ``|q|`` beyond it. Profit at ``T`` is
``cash + q_T s_T`` (inventory marked at the mid).

**Policies** (``strategy``): objects of ``jaxmm.mm.policies`` (one module each: the
interface is ``jaxmm.mm.policies.base``), named in the config by ``POLICIES``:
``"inventory"`` (A-S reservation price and spread), ``"symmetric"`` (the A-S average spread
centred on the mid), ``"glft"`` (Guéant-Lehalle-Fernandez-Tapia exact quotes for inventory
bound ``glft_bound``, time-dependent, tabulated before the loop; no bid at ``+bound``, no
ask at ``-bound``) and ``"glft_approx"`` (their closed form, stationary); a policy object
(e.g. ``FixedSpread(1.29)``) may be passed instead of a name. Fill models: ``jaxmm.mm.fills``.

**Random numbers** (``jaxmm._src.random_numbers``): one 64-bit word per path-step drives the
binary model (31 bits per fill draw, bit 0 for the mid's sign); Brownian and geometric
mids and jumps take one or two more. Chunk ``c``, step ``i`` draws its seeds from
``fold_in(fold_in(key, c), i)``: deterministic for a key, a chunk size and a dtype.
"""

from __future__ import annotations

import functools
import logging
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm._src.chunking import run_chunks
from jaxmm._src import random_numbers as mmrandom
from jaxmm.mm.avellaneda_stoikov import ASParams
from jaxmm.mm.fills import FILL_MODELS, fill_model
from jaxmm.mm.policies import POLICIES, make_policy

log = logging.getLogger(__name__)

STRATEGIES = tuple(POLICIES)     # the config's names; any policy object of jaxmm.mm.policies runs too
MIDS = ("binary", "brownian", "geometric")
FILLS = tuple(FILL_MODELS)
PATH_CHUNK = 65536   # paths per jitted call: the scan's carry stays in cache (1M at once ran 2.3x slower)


class PathStats(NamedTuple):
    """Per-path results, each (n_paths,) (``simulate``) or (G, n_paths) (``simulate_grid``)."""

    profit: jax.Array        # cash + q_T s_T
    final_q: jax.Array       # inventory at T
    n_bid_fills: jax.Array   # units bought
    n_ask_fills: jax.Array   # units sold
    mean_spread: jax.Array   # ask - bid averaged over the steps where both sides quoted
    max_drawdown: jax.Array  # largest fall of the marked-to-mid wealth from its running peak
    max_abs_q: jax.Array     # largest |inventory| along the path


class SamplePath(NamedTuple):
    """Step-by-step record of a few paths (``sample_paths``), each (n_steps, n_paths):
    the state when the quotes were set, and the wealth after the step."""

    mid: jax.Array
    bid: jax.Array           # NaN where the side was not quoted
    ask: jax.Array
    inventory: jax.Array
    wealth: jax.Array        # cash + q s after the step's fills and mid move


def _resolve(strategy, mid: str, fill: str, glft_bound: int):
    """The policy object and fill model of the options (ValueError naming a bad one)."""
    if mid not in MIDS:
        raise ValueError(f"mid: expected one of {', '.join(MIDS)}; got {mid!r}")
    return make_policy(strategy, glft_bound), fill_model(fill)


def _quote(p: ASParams, policy, fill, table, q, i, tau, dt):
    """Distances of the quotes from the mid ``(delta_b, delta_a)``, their fill
    probabilities and ``(can_bid, can_ask)`` at step ``i``.

    Affine policies (``jaxmm.mm.policies.base``) quote ``delta_b = h + x``, ``delta_a =
    h - x`` with ``h`` the same for every path and the skew ``x = q c``; the fill model
    then needs one exponential per path (none without skew) instead of two
    (``jaxmm.mm.fills``; the fill step's cost is mostly these exponentials). Tabulated
    policies look their quotes and probabilities up.
    """
    can_bid, can_ask = q + 1.0 <= p.q_max, q - 1.0 >= -p.q_max
    if policy.tabulated:
        db, da, pb, pa, ok_bid, ok_ask = policy.lookup(table, q, i)
        return db, da, pb, pa, can_bid & ok_bid, can_ask & ok_ask
    h, c = policy.half_skew(p, tau)
    x = None if c is None else q * c
    db, da = (h, h) if x is None else (h + x, h - x)
    pb, pa = fill.affine_probabilities(h, x, dt, p.A, p.k)
    return db, da, pb, pa, can_bid, can_ask


def _paths(p: ASParams, policy, table, key, n_paths: int, n_steps: int, mid: str, fill, jumps: bool, dtype,
           record: bool):
    """Scan one chunk of paths of one parameter set: PathStats, or SamplePath if ``record``."""
    dt = p.T / n_steps
    sqrt_dt = jnp.sqrt(dt)
    n_words = 1 + int(mid != "binary" or jumps) + int(jumps)
    jump_prob = -jnp.expm1(-p.jump_rate * dt)
    log_vol = p.sigma / p.s0
    zeros = jnp.zeros(n_paths, dtype)

    def step(carry, i):
        s, q, cash, n_bid, n_ask, spread_sum, n_both, peak, drawdown, max_q = carry
        tau = p.T - i.astype(dtype) * dt
        db, da, pb, pa, can_bid, can_ask = _quote(p, policy, fill, table, q, i, tau, dt)
        bid, ask = s - db, s + da
        words = mmrandom.path_words(jax.random.fold_in(key, i), n_words, n_paths)
        bought = can_bid & (mmrandom.uniform(words[0], 33, 31, dtype) < pb)
        sold = can_ask & (mmrandom.uniform(words[0], 2, 31, dtype) < pa)
        b, a = bought.astype(dtype), sold.astype(dtype)
        cash = cash - b * (bid - p.rebate) + a * (ask + p.rebate)
        q_new = q + b - a
        both = (can_bid & can_ask).astype(dtype)
        spread_sum = spread_sum + both * (ask - bid)
        s_new = s + p.impact * (a - b)
        if n_words > 1:
            z, z_jump = mmrandom.normal_pair(words[1], dtype)
        if mid == "binary":
            s_new = s_new + p.sigma * sqrt_dt * mmrandom.sign(words[0], dtype)
        elif mid == "brownian":
            s_new = s_new + p.sigma * sqrt_dt * z
        else:
            s_new = s_new * jnp.exp(log_vol * sqrt_dt * z - 0.5 * log_vol * log_vol * dt)
        if jumps:
            jumped = mmrandom.uniform(words[2], 0, 32, dtype) < jump_prob
            s_new = s_new + jnp.where(jumped, p.jump_size * z_jump, 0.0)
        wealth = cash + q_new * s_new
        peak = jnp.maximum(peak, wealth)
        carry = (s_new, q_new, cash, n_bid + b, n_ask + a, spread_sum, n_both + both, peak,
                 jnp.maximum(drawdown, peak - wealth), jnp.maximum(max_q, jnp.abs(q_new)))
        out = None
        if record:
            out = SamplePath(s, jnp.where(can_bid, bid, jnp.nan), jnp.where(can_ask, ask, jnp.nan), q, wealth)
        return carry, out

    init = (zeros + p.s0,) + (zeros,) * 9
    (s, q, cash, n_bid, n_ask, spread_sum, n_both, _, drawdown, max_q), rec = jax.lax.scan(
        step, init, jnp.arange(n_steps))
    if record:
        return rec
    return PathStats(cash + q * s, q, n_bid, n_ask, spread_sum / jnp.maximum(n_both, 1.0), drawdown, max_q)


@functools.partial(jax.jit, static_argnames=("n_steps", "fill", "dtype"))
def _tables(fields, policy, n_steps: int, fill, dtype):
    if not policy.tabulated:
        return (jnp.zeros((fields[0].shape[0], 1, 1), dtype),) * 4
    return jax.vmap(lambda *f: policy.tabulate(ASParams(*f), n_steps, fill, dtype))(*fields)


@functools.partial(jax.jit, static_argnames=("n_paths", "n_steps", "mid", "fill", "jumps", "dtype", "record"))
def _grid_chunk(fields, tables, policy, key, n_paths: int, n_steps: int, mid: str, fill, jumps: bool, dtype,
                record: bool = False):
    """One chunk for every grid point; ``policy`` is a pytree argument (its numeric fields
    are traced, its static ones are part of the cache key), ``fill`` a static fill model."""
    return jax.vmap(lambda f, t: _paths(ASParams(*f), policy, t, key, n_paths, n_steps, mid, fill, jumps, dtype,
                                        record))(fields, tables)


def _grid_fields(grid: ASParams, dtype):
    fields = jnp.broadcast_arrays(*(jnp.asarray(x, dtype) for x in grid))
    return tuple(jnp.atleast_1d(f) for f in fields)


def simulate_grid(grid: ASParams, key: jax.Array, n_paths: int, n_steps: int, *, strategy="inventory",
                  mid: str = "binary", fill: str = "linear", jumps: bool = False, glft_bound: int = 30,
                  dtype=jnp.float64, chunk: int = PATH_CHUNK, devices: Sequence[jax.Device] | None = None,
                  label: str = "") -> PathStats:
    """Simulate ``n_paths`` paths for every parameter set of ``grid`` (fields broadcast to
    a common leading axis ``G``; scalars give ``G = 1``): PathStats of (G, n_paths).

    ``strategy`` is a config name of ``jaxmm.mm.policies.POLICIES`` (``glft_bound`` the
    exact GLFT policy's bound) or a policy object; ``fill`` a name of
    ``jaxmm.mm.fills.FILL_MODELS``.

    Paths run in equal chunks of at most ``chunk`` (one jitted call each, all grid points
    together; path ``p`` is path ``p mod size`` of chunk ``p // size``);
    chunk ``c`` runs on ``devices[c % len(devices)]`` (default: JAX's default device),
    and with more than one chunk each finished chunk is logged (INFO, logger
    ``jaxmm.mm.simulate``) with the rate so far.
    """
    policy, fill_m = _resolve(strategy, mid, fill, glft_bound)
    if n_paths < 1 or n_steps < 1:
        raise ValueError(f"n_paths and n_steps must be >= 1; got {n_paths}, {n_steps}")
    fields = _grid_fields(grid, dtype)
    tables = _tables(fields, policy, n_steps, fill_m, dtype)

    def run(inputs, chunk_key, size):
        return _grid_chunk(*inputs, chunk_key, size, n_steps, mid, fill_m, jumps, dtype)

    return PathStats(*run_chunks(run, (fields, tables, policy), key, n_paths, chunk, n_steps * fields[0].shape[0],
                                 devices, log, label or policy.name, "path-steps"))


def simulate(p: ASParams, key: jax.Array, n_paths: int, n_steps: int, **options) -> PathStats:
    """``simulate_grid`` for one parameter set (scalar fields): PathStats of (n_paths,)."""
    if any(np.ndim(x) for x in p):
        raise ValueError("simulate takes scalar parameters; use simulate_grid for a grid")
    return PathStats(*(x[0] for x in simulate_grid(p, key, n_paths, n_steps, **options)))


def sample_paths(p: ASParams, key: jax.Array, n_paths: int, n_steps: int, *, strategy="inventory",
                 mid: str = "binary", fill: str = "linear", jumps: bool = False, glft_bound: int = 30,
                 dtype=jnp.float64) -> SamplePath:
    """Step-by-step states of the first ``n_paths`` paths of ``simulate(p, key, ...)`` with
    the same options (they are the first paths of chunk 0, and a path's random numbers do
    not depend on how many paths its chunk holds): SamplePath of (n_steps, n_paths)."""
    policy, fill_m = _resolve(strategy, mid, fill, glft_bound)
    fields = _grid_fields(p, dtype)
    tables = _tables(fields, policy, n_steps, fill_m, dtype)
    rec = _grid_chunk(fields, tables, policy, jax.random.fold_in(key, 0), n_paths, n_steps, mid, fill_m, jumps,
                      dtype, record=True)
    return SamplePath(*(x[0] for x in rec))

