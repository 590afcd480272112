"""Hedging when implied vol moves with spot: Black delta vs effective (vol-path) delta.

Numerics core (no pandas). A fixed-strike option is marked at its own implied vol
``sigma_K(S)``, which moves with the spot according to a *regime* (``slope`` in the units
of ``jaxmm.stats.vol_path``: relative vol change per relative spot move, e.g. -3 for SPY)::

    sticky_strike:  sigma_K(S) = vol                                 (slope ignored)
    sticky_delta:   sigma_K(S) = vol (1 + slope ln(S / s0))          (a function of K/S only:
                    the smile sigma(K/S) is fixed in moneyness and moves with the spot)
    vol_path:       sigma_K(S) = vol (1 + slope (S / s0 - 1))        (seed 001's vol path:
                    every strike's vol moves by the ATM vol's proportion)

``vol`` is the option's implied vol at ``s0``; each regime vol is floored at
``VOL_FLOOR * vol`` (a local model: linear vols can go negative for large moves against
a steep slope; the floor is not reached in the tests). The two non-trivial regimes agree
to first order at ``s0`` (``dsigma_K/dS = vol slope / s0``) and differ at second order.

Mark ``V(t, S) = BS(S, K, T - t, sigma_K(S))`` (Black-Scholes, ``r = 0``: forward = spot,
no discounting). Two hedges are run on the same paths, rebalanced at ``N`` equal steps::

    Black delta      dV/dS at fixed vol          = Delta(sigma_K(S))
    effective delta  dV/dS along the regime      = Delta + vega dsigma_K/dS

(``dsigma_K/dS`` by forward-mode autodiff of ``regime_vol``). ``position`` options are
bought at ``V(0, s0)`` and hedged with ``-position * delta`` shares. Two measures of the
hedging error, both per path:

- terminal: the P&L to expiry, ``position (payoff(S_N) - V(0, s0)) - sum_i position
  delta_i (S_{i+1} - S_i)`` (its variance across paths);
- mark-to-market: the sum over steps of the squared step P&L of the marked book,
  ``sum_i e_i^2`` with ``e_i = position (V(t_{i+1}, S_{i+1}) - V(t_i, S_i) - delta_i
  (S_{i+1} - S_i))`` (``V(T, .)`` the payoff; ``sum_i e_i`` is the terminal P&L): the
  daily P&L variance a trader marking at the regime vol sees, summed over the life.

With ``slope = 0`` (and in the sticky-strike regime) the two hedges are identical;
otherwise the Black delta leaves ``vega dsigma_K/dS dS`` unhedged in every step's marked
P&L, which the effective delta removes (first order). Whether that also lowers the
terminal variance depends on the realised vol: the payoff is replicated by the delta of
the model that actually drives the spot, not by the derivative of a mark.

**Realised vol** (``realised``): ``"implied"``: the spot's vol over step ``i`` is the
option's current implied vol ``sigma_K(S_i)`` (the market's vol is right: the residual
error is discretisation plus the regime's vanna/volga drift); ``"constant"``: the spot's
vol is ``vol`` throughout (the implied vol then wanders away from the realised one and
gamma P&L adds noise that no delta removes). GBM in log space, exact over a step.

Common random numbers: every grid point (and every regime run with the same key) sees the
same normals (``jaxmm.hedging.delta_hedge``'s generator).
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm._src.chunking import run_chunks
from jaxmm.hedging import delta_hedge as dh

__all__ = ["REGIMES", "REALISED", "VOL_FLOOR", "VolPathParams", "VolPathHedgeResult", "VarianceTable",
           "regime_vol", "regime_price", "regime_deltas", "simulate_vol_path_hedge", "variance_table"]

REGIMES = ("sticky_strike", "sticky_delta", "vol_path")
REALISED = ("implied", "constant")
VOL_FLOOR = 0.05


class VolPathParams(NamedTuple):
    """One set-up (fields broadcast to the grid axis ``G``).

    Attributes:
      s0: initial spot.
      strike: the option's (fixed) strike.
      T: expiry in years.
      vol: the option's implied vol at ``s0``.
      slope: vol-path slope (relative vol change per relative spot move).
      position: +1 long, -1 short.
    """

    s0: Any
    strike: Any
    T: Any
    vol: Any
    slope: Any
    position: Any = 1.0


class VolPathHedgeResult(NamedTuple):
    """Hedging errors per path, each (G, n_paths)."""

    black: jax.Array           # terminal P&L hedged with the Black delta
    effective: jax.Array       # terminal P&L hedged with the effective delta
    black_mtm: jax.Array       # sum_i e_i^2 of the marked book, Black delta
    effective_mtm: jax.Array   # sum_i e_i^2 of the marked book, effective delta


class VarianceTable(NamedTuple):
    """``variance_table``'s output; arrays are (len(regimes), len(slopes), 2), the last
    axis (Black delta, effective delta)."""

    regimes: tuple
    slopes: np.ndarray
    variance: np.ndarray
    variance_se: np.ndarray   # sqrt((m4 - var^2) / n)
    mean: np.ndarray
    mtm: np.ndarray           # mean over paths of sum_i e_i^2 (mark-to-market)
    mtm_se: np.ndarray        # its standard error


def _check(regime: str, realised: str, kind: str) -> None:
    for name, value, allowed in (("regime", regime, REGIMES), ("realised", realised, REALISED),
                                 ("kind", kind, dh.KINDS)):
        if value not in allowed:
            raise ValueError(f"{name}: expected one of {', '.join(allowed)}; got {value!r}")


def regime_vol(spot, p: VolPathParams, regime: str):
    """The option's implied vol ``sigma_K(S)`` under ``regime`` (module docstring), floored
    at ``VOL_FLOOR * vol``. Broadcast shape."""
    _check(regime, "implied", "call")
    if regime == "sticky_strike":
        return p.vol + 0.0 * spot
    move = jnp.log(spot / p.s0) if regime == "sticky_delta" else spot / p.s0 - 1.0
    return jnp.maximum(p.vol * (1.0 + p.slope * move), VOL_FLOOR * p.vol)


def _vol_and_slope(spot, p: VolPathParams, regime: str):
    """``(sigma_K(S), dsigma_K/dS)`` elementwise by forward-mode autodiff."""
    return jax.jvp(lambda s: regime_vol(s, p, regime), (spot,), (jnp.ones_like(spot),))


def regime_price(spot, t, p: VolPathParams, regime: str, kind: str = "call"):
    """``BS(S, K, t, sigma_K(S))`` at ``r = 0`` (``jaxmm.pricing.black``; straddle = call + put)."""
    return dh.premium(spot, p.strike, t, regime_vol(spot, p, regime), 0.0 * spot, kind)


def regime_deltas(spot, t, p: VolPathParams, regime: str, kind: str = "call"):
    """``(Black delta, effective delta)`` at spot ``S`` and time to expiry ``t > 0``:
    ``Delta(sigma_K(S))`` and ``Delta + vega dsigma_K/dS`` (closed forms, ``r = 0``)."""
    _check(regime, "implied", kind)
    a, b, c = dh._kind_coefficients(kind)
    vol, dvol = _vol_and_slope(spot, p, regime)
    sd = vol * jnp.sqrt(t)
    d1 = (jnp.log(spot) - jnp.log(p.strike)) / sd + 0.5 * sd
    cdf, e = dh.normal_cdf(d1)
    delta = a * cdf + b
    vega = c * spot * e * jnp.sqrt(t) / math.sqrt(2.0 * math.pi)
    return delta, delta + vega * dvol


def _mark(spot, tau, p: VolPathParams, regime: str, kind: str):
    """``regime_price`` in closed form (``S N(d1) - K N(d2)`` and parity, ``r = 0``) for the
    scan; ``tau > 0``."""
    vol = regime_vol(spot, p, regime)
    sd = vol * jnp.sqrt(tau)
    d1 = (jnp.log(spot) - jnp.log(p.strike)) / sd + 0.5 * sd
    call = spot * dh.normal_cdf(d1)[0] - p.strike * dh.normal_cdf(d1 - sd)[0]
    forward_value = spot - p.strike
    return {"call": call, "put": call - forward_value, "straddle": 2.0 * call - forward_value}[kind]


def _run(p: VolPathParams, n_steps: int, n_paths: int, regime: str, realised: str, kind: str, dtype, normals):
    dt = p.T / n_steps
    sqrt_dt = jnp.sqrt(dt)
    zeros = jnp.zeros(n_paths, dtype)

    def step(carry, i, z):
        s, x, pnl_b, pnl_e, mark, hedge_b, hedge_e, sq_b, sq_e = carry
        tau = p.T - i.astype(dtype) * dt
        new_mark = p.position * _mark(s, tau, p, regime, kind)
        sq_b, sq_e = sq_b + (new_mark - mark - hedge_b) ** 2, sq_e + (new_mark - mark - hedge_e) ** 2
        delta, eff = regime_deltas(s, tau, p, regime, kind)
        vol = regime_vol(s, p, regime) if realised == "implied" else p.vol
        x_new = x - 0.5 * vol * vol * dt + vol * sqrt_dt * z
        s_new = jnp.exp(x_new)
        ds = p.position * (s_new - s)
        return (s_new, x_new, pnl_b - delta * ds, pnl_e - eff * ds, new_mark, delta * ds, eff * ds, sq_b, sq_e)

    def pair(carry, j):
        z0, z1 = normals(j)
        carry = step(carry, 2 * j, z0)
        return step(carry, 2 * j + 1, z1), None

    s0 = zeros + p.s0
    mark0 = p.position * _mark(s0, p.T, p, regime, kind)      # step 0 adds (mark0 - mark0 - 0)^2 = 0
    carry = (s0, jnp.log(s0), zeros, zeros, mark0, zeros, zeros, zeros, zeros)
    carry, _ = jax.lax.scan(pair, carry, jnp.arange(n_steps // 2))
    if n_steps % 2:
        carry = step(carry, jnp.asarray(n_steps - 1), normals(jnp.asarray(n_steps // 2))[0])
    s, _, pnl_b, pnl_e, mark, hedge_b, hedge_e, sq_b, sq_e = carry
    final = p.position * dh.payoff(s, p.strike, kind)
    option = final - p.position * regime_price(p.s0, p.T, p, regime, kind)
    return VolPathHedgeResult(option + pnl_b, option + pnl_e, sq_b + (final - mark - hedge_b) ** 2,
                              sq_e + (final - mark - hedge_e) ** 2)


@functools.partial(jax.jit, static_argnames=("n_paths", "n_steps", "regime", "realised", "kind", "dtype"))
def _grid_chunk(fields, key, n_paths: int, n_steps: int, regime: str, realised: str, kind: str, dtype):
    normals = dh._rng_normals(key, n_paths, dtype)
    return jax.vmap(lambda f: _run(VolPathParams(*f), n_steps, n_paths, regime, realised, kind, dtype,
                                   normals))(fields)


def simulate_vol_path_hedge(grid: VolPathParams, key: jax.Array, n_paths: int, n_steps: int, *,
                            regime: str = "vol_path", realised: str = "implied", kind: str = "call",
                            dtype=jnp.float64, chunk: int | None = None,
                            devices: Sequence[jax.Device] | None = None) -> VolPathHedgeResult:
    """Hedging errors with the Black and the effective delta for every set-up of ``grid``
    (fields broadcast to ``G``): VolPathHedgeResult of (G, n_paths). ``regime``,
    ``realised``, ``kind`` and ``n_steps`` are static; chunks of paths as in
    ``jaxmm.hedging.delta_hedge.simulate_hedge``."""
    _check(regime, realised, kind)
    if n_paths < 1 or n_steps < 1:
        raise ValueError(f"n_paths and n_steps must be >= 1; got {n_paths}, {n_steps}")
    fields = tuple(jnp.atleast_1d(f) for f in jnp.broadcast_arrays(*(jnp.asarray(x, dtype) for x in grid)))

    def run(placed, chunk_key, size):
        return _grid_chunk(placed, chunk_key, size, n_steps, regime, realised, kind, dtype)
    g = fields[0].shape[0]
    return VolPathHedgeResult(*run_chunks(run, fields, key, n_paths, dh.default_chunk(chunk, g), n_steps * g,
                                          devices, dh.log, f"vol path {regime}", "hedge steps"))


def variance_table(base: VolPathParams, slopes, key: jax.Array, n_paths: int, n_steps: int, *,
                   regimes: Sequence[str] = REGIMES, realised: str = "implied", kind: str = "call",
                   dtype=jnp.float64) -> VarianceTable:
    """Variance of the hedging error per (regime, slope, delta type), every cell on the
    same normals. ``base`` holds scalar fields (its ``slope`` is replaced by ``slopes``)."""
    slopes = np.asarray(slopes, dtype=np.float64)
    grid = base._replace(slope=jnp.asarray(slopes, dtype))
    var, se, mean, mtm, mtm_se = [], [], [], [], []
    for regime in regimes:
        res = simulate_vol_path_hedge(grid, key, n_paths, n_steps, regime=regime, realised=realised, kind=kind,
                                      dtype=dtype)
        x = np.stack([np.asarray(res.black, np.float64), np.asarray(res.effective, np.float64)], axis=-1)
        c = x - x.mean(axis=1, keepdims=True)
        v = (c * c).mean(axis=1)
        m4 = (c ** 4).mean(axis=1)
        var.append(v)
        se.append(np.sqrt(np.maximum(m4 - v * v, 0.0) / x.shape[1]))
        mean.append(x.mean(axis=1))
        q = np.stack([np.asarray(res.black_mtm, np.float64), np.asarray(res.effective_mtm, np.float64)], axis=-1)
        mtm.append(q.mean(axis=1))
        mtm_se.append(q.std(axis=1) / np.sqrt(q.shape[1]))
    return VarianceTable(tuple(regimes), slopes, np.stack(var), np.stack(se), np.stack(mean), np.stack(mtm),
                         np.stack(mtm_se))
