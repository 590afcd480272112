"""Batched SVI and SSVI calibration: every slice of every snapshot in one jitted call.

Numerics core (no pandas). The caller packs the quotes into ``SliceData``: arrays of shape
``(S, N)`` (``S`` slices padded to ``N`` quotes, ``mask`` marks the real ones) plus
per-slice ``t``. One slice is fitted by one function; ``jax.vmap`` batches it.

**Initial guess** (``quasi_explicit_guess``; Zeliade 2009, "Quasi-explicit calibration of
Gatheral's SVI model"): with ``y = (k - m) / sigma`` raw SVI is linear in
``(a, d, c) = (a, rho b sigma, b sigma)``: ``w = a + d y + c sqrt(y^2 + 1)``. For each
``(m, sigma)`` of a small grid the weighted least-squares ``(a, d, c)`` solves a 3x3
system; it is projected onto the parameter domain and the grid point with the lowest
objective wins. All slices and grid points are solved at once.

**Constraints by reparameterisation** (``to_raw`` / ``from_raw``), unconstrained
``u = (u0..u4)``::

    rho = 0.999 tanh(u2),  b = 2 / (1 + |rho|) sigmoid(u1),  m = u3,  sigma = exp(u4),
    a = exp(u0) - b sigma sqrt(1 - rho^2)          (minimum variance exp(u0) > 0)

so ``b >= 0``, ``|rho| < 1``, ``sigma > 0``, ``min w > 0`` and Lee's wing bound
``b (1 + |rho|) <= 2`` (without it ``g`` turns negative far in the wings) hold for any
``u``.

**Objectives** (``FitSettings.loss``), residuals per quote, averaged over the slice:

* ``"iv"``: ``(sigma_model - sigma_mid) / s_i`` with ``s_i`` the bid-ask IV spread
  (floored at ``min_iv_spread``): errors in units of the quote's IV spread;
* ``"price"``: ``(P_model - P_mid) / (vega_i s_i)``: vega-weighted price errors
  (Black-76 at the slice's forward and discount factor), same scale as ``"iv"``;
* ``"bid_ask"``: ``(max(sigma_model - sigma_ask, 0) + max(sigma_bid - sigma_model, 0)) / s_i``
  plus ``mid_weight`` times the ``"iv"`` residual: zero inside the quoted spread.

Penalties: ``butterfly_weight * mean(max(margin - g(k), 0)^2)`` on a k-grid spanning
the slice's quotes (widened by ``grid_widen`` of their range each side), and, in the
calendar pass, ``calendar_weight * mean(max(1 + calendar_margin - w / w_prev, 0)^2)``
against the previous expiry's final fit on the k range both slices quote (widened by
``calendar_widen``, default 0: beyond it one of the two is an extrapolation, and forcing
a longer slice above a short expiry's steep extrapolated wing spoils its fit): the
slices are refitted shortest first (``lax.scan`` over the expiry rank, vectorised over
snapshots), each starting from its independent fit, so a slice only ever has to clear
one fixed curve below it.

**Optimiser**: optax's L-BFGS (zoom line search) for a fixed budget of ``max_iter``
iterations inside ``lax.scan``, ``m`` searched in units of the slice's k half-range (a
diagonal preconditioner); a slice stops moving once converged (``FitStatus``).

**SSVI** (``fit_ssvi``): one global surface per snapshot with the power-law ``phi``,
``theta`` non-decreasing by construction (cumulated positive increments), ``eta (1 + |rho|)
<= 2`` and ``gamma`` in (0, 1/2] by reparameterisation: free of static arbitrage
(Gatheral-Jacquier 2014, Remark 4.4) whatever the fit.
"""

from __future__ import annotations

import enum
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxmm import svi

_RHO_MAX = 0.999


class FitStatus(enum.IntEnum):
    """Per-slice (or per-snapshot) status of a fit."""

    OK = 0               # converged: gradient or objective change below tolerance
    NOT_CONVERGED = 1    # iteration budget spent first; the parameters are the last iterate
    TOO_FEW_QUOTES = 2   # fewer usable quotes than min_quotes: not fitted (params NaN)
    NON_FINITE = 3       # objective or parameters became NaN / inf (params NaN)


class SliceData(NamedTuple):
    """Quotes of ``S`` slices padded to ``N``; every field ``(S, N)`` except ``t``,
    ``forward`` and ``discount`` ``(S,)``. Padded entries: ``mask`` False (values finite)."""

    k: jax.Array           # ln(K / F)
    mid_iv: jax.Array
    bid_iv: jax.Array      # NaN where unknown (the bid/ask loss then ignores that side)
    ask_iv: jax.Array
    strike: jax.Array
    is_call: jax.Array     # bool
    mid_price: jax.Array
    vega: jax.Array        # dP/dsigma at mid_iv (price loss)
    mask: jax.Array        # bool
    t: jax.Array
    forward: jax.Array
    discount: jax.Array


class FitSettings(NamedTuple):
    """Static settings of a fit (hashable: part of the jit cache key)."""

    loss: str = "iv"                  # "iv" | "price" | "bid_ask"
    max_iter: int = 100               # L-BFGS iterations (from the quasi-explicit guess)
    gtol: float = 1e-6                # converged: max |gradient| (unconstrained, preconditioned)
    memory_size: int = 10             # L-BFGS memory
    batch_size: int = 1024            # slices vectorised together (0: all at once)
    min_quotes: int = 5
    min_iv_spread: float = 0.002      # floor of s_i (vol units)
    mid_weight: float = 0.05          # "bid_ask": weight of the mid residual
    butterfly_weight: float = 1e7     # 0: no butterfly penalty (1e4 left Vogt's slice at min g -0.022)
    butterfly_margin: float = 1e-3
    calendar_weight: float = 1e6      # 0: no calendar pass
    calendar_margin: float = 1e-4     # w >= (1 + margin) w_prev is the penalty-free zone
    n_grid: int = 41
    calendar_widen: float = 0.0       # calendar grid: the k range both slices quote, widened by this
    ssvi_max_iter: int = 500          # SSVI: one problem per snapshot, more parameters
    grid_widen: float = 0.25


class FitResult(NamedTuple):
    params: jax.Array       # (S, 5) raw SVI (a, b, rho, m, sigma); NaN where not fitted
    status: jax.Array       # (S,) int8 FitStatus
    iterations: jax.Array   # (S,) iterations until converged (max_iter if not)
    objective: jax.Array    # (S,) final objective (without penalties: the data term)


# --------------------------------------------------------------------------- parameterisation


def to_raw(u: jax.Array) -> jax.Array:
    """Unconstrained ``u`` (..., 5) to raw SVI (..., 5) (module doc)."""
    rho = _RHO_MAX * jnp.tanh(u[..., 2])
    b = 2.0 / (1.0 + jnp.abs(rho)) * jax.nn.sigmoid(u[..., 1])
    sigma = jnp.exp(u[..., 4])
    a = jnp.exp(u[..., 0]) - b * sigma * jnp.sqrt(1.0 - rho * rho)
    return jnp.stack([a, b, rho, u[..., 3], sigma], axis=-1)


def from_raw(params: jax.Array) -> jax.Array:
    """Inverse of ``to_raw``, clipping ``params`` into the open domain first."""
    a, b, rho, m, sigma = svi.as_raw(params)
    rho = jnp.clip(rho, -0.99 * _RHO_MAX, 0.99 * _RHO_MAX)
    sigma = jnp.clip(sigma, 1e-6, 1e3)
    b_frac = jnp.clip(b * (1.0 + jnp.abs(rho)) / 2.0, 1e-9, 1.0 - 1e-9)
    w_min = jnp.maximum(a + b * sigma * jnp.sqrt(1.0 - rho * rho), 1e-10)
    return jnp.stack([jnp.log(w_min), jnp.log(b_frac) - jnp.log1p(-b_frac), jnp.arctanh(rho / _RHO_MAX), m,
                      jnp.log(sigma)], axis=-1)


# --------------------------------------------------------------------------- objective (one slice)


def _count(mask):
    """Number of True entries as a float >= 1 (a divisor)."""
    return jnp.maximum(jnp.sum(mask, dtype=jnp.result_type(float)), 1.0)


def _spread(d: SliceData, settings: FitSettings):
    s = jnp.where(jnp.isfinite(d.ask_iv - d.bid_iv), d.ask_iv - d.bid_iv, 0.0)
    return jnp.maximum(s, settings.min_iv_spread)


def _model_iv(params, d: SliceData):
    w = svi.raw_total_variance(params, d.k)
    return jnp.sqrt(jnp.maximum(w, 1e-300) / d.t)


def data_residuals(params, d: SliceData, settings: FitSettings):
    """Per-quote residuals (N,) of one slice in units of its IV spread; 0 where masked."""
    spread = _spread(d, settings)
    vol = _model_iv(params, d)
    if settings.loss == "iv":
        r = (vol - d.mid_iv) / spread
    elif settings.loss == "price":
        from jaxmm import black

        price = black.price(d.forward, d.strike, d.t, vol, d.is_call, d.discount)
        r = (price - d.mid_price) / (jnp.maximum(d.vega, 1e-12) * spread)
    elif settings.loss == "bid_ask":
        above = jnp.where(jnp.isfinite(d.ask_iv), jnp.maximum(vol - d.ask_iv, 0.0), 0.0)
        below = jnp.where(jnp.isfinite(d.bid_iv), jnp.maximum(d.bid_iv - vol, 0.0), 0.0)
        r = (above + below + settings.mid_weight * (vol - d.mid_iv)) / spread
    else:
        raise ValueError(f"FitSettings.loss: expected 'iv', 'price' or 'bid_ask', got {settings.loss!r}")
    return jnp.where(d.mask, r, 0.0)


def k_range(d: SliceData):
    """(lo, hi) of the slice's quoted k (inf, -inf for an empty slice)."""
    return jnp.min(jnp.where(d.mask, d.k, jnp.inf)), jnp.max(jnp.where(d.mask, d.k, -jnp.inf))


def k_grid(d: SliceData, settings: FitSettings, lo=None, hi=None, widen=None):
    """Penalty / check grid (n_grid,): the slice's quoted k range (or ``lo, hi``), widened
    by ``widen`` (default ``grid_widen``) of its length each side."""
    if lo is None:
        lo, hi = k_range(d)
    pad = (settings.grid_widen if widen is None else widen) * jnp.maximum(hi - lo, 0.05)
    return jnp.linspace(lo - pad, hi + pad, settings.n_grid)


def _residuals(u, d: SliceData, settings: FitSettings, neighbours):
    """The whole objective as one residual vector R (sum of squares = objective): data
    residuals / sqrt(n), then the penalties' sqrt(weight / n_grid) max(., 0) terms."""
    params = to_raw(u)
    parts = [data_residuals(params, d, settings) / jnp.sqrt(_count(d.mask))]
    if settings.butterfly_weight > 0.0:
        g = svi.butterfly_g(params, k_grid(d, settings))
        parts.append(jnp.sqrt(settings.butterfly_weight / settings.n_grid)
                     * jnp.maximum(settings.butterfly_margin - g, 0.0))
    if neighbours is not None:
        # On the k range both slices quote: beyond it one of the two is an extrapolation
        # (short expiries' wings are steep), and forcing a longer slice above it wrecks
        # the longer slice's fit (measured: 7 vol points RMSE).
        prev_params, has_prev, lo, hi = neighbours
        grid = k_grid(d, settings, lo, hi, settings.calendar_widen)
        w = svi.raw_total_variance(params, grid)
        w_prev = svi.raw_total_variance(prev_params, grid)
        below = jnp.maximum((1.0 + settings.calendar_margin) - w / w_prev, 0.0)
        parts.append(jnp.where(has_prev, jnp.sqrt(settings.calendar_weight / settings.n_grid), 0.0) * below)
    return jnp.concatenate(parts)


def _objective(u, d: SliceData, settings: FitSettings, neighbours):
    r = _residuals(u, d, settings, neighbours)
    return jnp.sum(r * r)


# --------------------------------------------------------------------------- optimiser


def _minimise(fun, u0, settings: FitSettings):
    """L-BFGS on ``fun`` from ``u0`` for ``max_iter`` iterations; returns (u, iterations,
    converged, value). Converged: max |gradient| <= ``gtol``; a converged problem stops
    moving (its later updates are dropped). No test on the objective's change: L-BFGS
    here has runs of iterations without progress (failed line searches) before it moves
    on, and stopping on them froze slices at twice the final objective (measured)."""
    opt = optax.lbfgs(memory_size=settings.memory_size)
    value_and_grad = optax.value_and_grad_from_state(fun)

    def step(carry, i):
        u, state, done, iters = carry
        value, grad = value_and_grad(u, state=state)
        updates, new_state = opt.update(grad, state, u, value=value, grad=grad, value_fn=fun)
        new_u = optax.apply_updates(u, updates)
        now_done = done | (jnp.max(jnp.abs(grad)) <= settings.gtol)
        keep = lambda new, old: jax.tree.map(lambda n_, o_: jnp.where(now_done, o_, n_), new, old)  # noqa: E731
        return (keep(new_u, u), keep(new_state, state), now_done, jnp.where(now_done, iters, i + 1)), None

    init = (u0, opt.init(u0), jnp.asarray(False), jnp.asarray(0))
    (u, _, done, iters), _ = jax.lax.scan(step, init, jnp.arange(settings.max_iter))
    return u, iters, done, fun(u)


def _fit_one(u0, d: SliceData, settings: FitSettings, neighbours=None):
    # Precondition: m is searched in units of the slice's k half-range (short expiries
    # span a few hundredths of k, where m's gradient would dwarf the others').
    lo, hi = k_range(d)
    scale = jnp.array([1.0, 1.0, 1.0, 0.0, 1.0], u0.dtype).at[3].set(jnp.clip(0.5 * (hi - lo), 1e-3, 10.0))
    v, iters, done, _ = _minimise(lambda v: _objective(v * scale, d, settings, neighbours), u0 / scale, settings)
    u = v * scale
    params = to_raw(u)
    r = data_residuals(params, d, settings)
    data_value = jnp.sum(r * r) / _count(d.mask)
    enough = d.mask.sum() >= settings.min_quotes
    finite = jnp.all(jnp.isfinite(params)) & jnp.isfinite(data_value)
    status = jnp.where(~enough, FitStatus.TOO_FEW_QUOTES,
                       jnp.where(~finite, FitStatus.NON_FINITE,
                                 jnp.where(done, FitStatus.OK, FitStatus.NOT_CONVERGED))).astype(jnp.int8)
    good = enough & finite
    return FitResult(jnp.where(good, params, jnp.nan), status, iters, jnp.where(good, data_value, jnp.nan))


# --------------------------------------------------------------------------- initial guess


def quasi_explicit_guess(d: SliceData, settings: FitSettings, n_m: int = 9, n_sigma: int = 8) -> jax.Array:
    """Zeliade's quasi-explicit initial guess for one slice (module doc); raw params (5,)."""
    k = d.k
    lo, hi = k_range(d)
    ms = jnp.linspace(lo, hi, n_m)
    sigmas = jnp.geomspace(0.01, 1.0, n_sigma) * jnp.maximum(hi - lo, 0.05)
    m, sigma = (x.ravel() for x in jnp.meshgrid(ms, sigmas))
    w_mid = d.mid_iv * d.mid_iv * d.t
    # d w = 2 sigma t d sigma: weights so that the variance fit approximates the IV objective.
    weight = jnp.where(d.mask, 1.0 / (_spread(d, settings) * 2.0 * jnp.maximum(d.mid_iv, 1e-4) * d.t), 0.0)

    def candidate(m_, s_):
        y = (k - m_) / s_
        basis = jnp.stack([jnp.ones_like(y), y, jnp.sqrt(y * y + 1.0)], axis=-1)
        wb = basis * (weight * weight)[:, None]
        ata = basis.T @ wb + 1e-12 * jnp.eye(3)
        a, dd, c = jnp.linalg.solve(ata, wb.T @ w_mid)
        c = jnp.maximum(c, 1e-8)
        rho = jnp.clip(dd / c, -0.99, 0.99)
        params = jnp.stack([a, c / s_, rho, m_, s_])
        params = to_raw(from_raw(params))      # project onto the domain
        r = data_residuals(params, d, settings._replace(loss="iv"))
        return params, jnp.sum(r * r)

    params, value = jax.vmap(candidate)(m, sigma)
    value = jnp.where(jnp.isfinite(value), value, jnp.inf)
    return params[jnp.argmin(value)]


# --------------------------------------------------------------------------- public fits


def _batched(fn, args, batch_size: int):
    """``vmap(fn)(args)`` over the leading axis, in batches of ``batch_size`` slices run one
    after another (``lax.map``): the fit's working set then stays in cache (10,000
    slices at once ran 1.4x slower per slice than batches of 1,000 on the 2-core CPU)."""
    n = jax.tree.leaves(args)[0].shape[0]
    if batch_size <= 0 or n <= batch_size:
        return jax.vmap(fn)(args)
    return jax.lax.map(fn, args, batch_size=batch_size)


def _pair_range(data: SliceData, other_index):
    """(lo, hi) per slice: the k range quoted by both itself and slice ``other_index``
    (its own range where -1 or where the two do not overlap)."""
    lo, hi = jax.vmap(k_range)(data)
    j = jnp.maximum(other_index, 0)
    both_lo, both_hi = jnp.maximum(lo, lo[j]), jnp.minimum(hi, hi[j])
    use = (other_index >= 0) & (both_lo < both_hi)
    return jnp.where(use, both_lo, lo), jnp.where(use, both_hi, hi)


def calendar_order(prev_index) -> np.ndarray:
    """Slices by expiry rank: (R, P) int, row r the r-th expiry of each chain (-1 padded).

    ``prev_index`` (S,) links each slice to the previous expiry of its snapshot (-1: first).
    """
    prev_index = np.asarray(prev_index)
    rank = np.zeros(len(prev_index), int)
    for i in range(len(prev_index)):          # host-side bookkeeping, O(S)
        j, r = prev_index[i], 0
        while j >= 0:
            j, r = prev_index[j], r + 1
        rank[i] = r
    heads = np.flatnonzero(prev_index < 0)
    chain = np.empty(len(prev_index), int)
    chain[heads] = np.arange(len(heads))
    for r in range(1, rank.max(initial=0) + 1):
        at = np.flatnonzero(rank == r)
        chain[at] = chain[prev_index[at]]
    order = np.full((rank.max(initial=0) + 1, max(len(heads), 1)), -1)
    order[rank, chain] = np.arange(len(prev_index))
    return order


def fit_svi(data: SliceData, prev_index=None, settings: FitSettings = FitSettings()) -> FitResult:
    """Fit raw SVI to every slice of ``data`` (vmapped over slices, one jitted call).

    Args:
      data: ``SliceData`` of ``S`` slices.
      prev_index: (S,) int index of the previous expiry of the same snapshot (-1: none),
        for the calendar pass; None: slices are independent.
      settings: ``FitSettings``.

    Returns:
      ``FitResult`` with params (S, 5), status, iterations (summed over the stages: the
      mid fit before a bid/ask fit, the calendar pass), objective (data term).
    """
    if prev_index is None or settings.calendar_weight <= 0.0:
        prev_index = np.full(data.k.shape[0], -1)
    order = calendar_order(prev_index)
    with _standard_promotion():
        return _fit_svi(data, jnp.asarray(prev_index), jnp.asarray(order), settings)


def _standard_promotion():
    # optax's L-BFGS mixes int32 and int64 counters, which JAX's strict dtype promotion
    # (the tests' setting) rejects: trace the optimiser under standard promotion.
    return jax.numpy_dtype_promotion("standard")


@functools.partial(jax.jit, static_argnames=("settings",))
def _fit_svi(data: SliceData, prev_index, order, settings: FitSettings) -> FitResult:
    guess = _batched(lambda d: quasi_explicit_guess(d, settings), data, settings.batch_size)
    u0 = from_raw(guess)
    iterations = jnp.zeros(data.k.shape[0], int)
    if settings.loss == "bid_ask":
        # The hinge loss is flat inside the spreads: start it from the mid fit, which is
        # close, so the line search does not stall on a far-away kink.
        mid = _batched(lambda a: _fit_one(*a, settings._replace(loss="iv")), (u0, data), settings.batch_size)
        u0 = jnp.where(jnp.isfinite(mid.params).all(-1)[:, None], from_raw(mid.params), u0)
        iterations = mid.iterations
    result = _batched(lambda a: _fit_one(*a, settings), (u0, data), settings.batch_size)
    result = result._replace(iterations=iterations + result.iterations)
    if order.shape[0] <= 1:
        return result
    # Calendar pass, shortest expiry first: refit each later slice against its
    # predecessor's final fit (w must not fall below it). Sequential in the expiry rank,
    # vectorised over snapshots (a row of `order`).
    lo, hi = _pair_range(data, prev_index)
    n = data.k.shape[0]
    fallback = jnp.array([1.0, 0.0, 0.0, 0.0, 1.0], guess.dtype)      # w = 1: harmless when masked

    def step(res: FitResult, row):
        idx = jnp.maximum(row, 0)
        prev = prev_index[idx]
        prev_params = res.params[jnp.maximum(prev, 0)]
        has_prev = (row >= 0) & (prev >= 0) & jnp.all(jnp.isfinite(prev_params), axis=-1)
        prev_params = jnp.where(has_prev[:, None], prev_params, fallback)
        mine = res.params[idx]
        start = jnp.where(jnp.all(jnp.isfinite(mine), axis=-1)[:, None], from_raw(mine), u0[idx])
        d = jax.tree.map(lambda x: x[idx], data)
        new = jax.vmap(lambda u, dd, *nb: _fit_one(u, dd, settings, nb))(start, d, prev_params, has_prev, lo[idx],
                                                                          hi[idx])
        target = jnp.where(has_prev, idx, n)          # out of range: dropped
        new = new._replace(iterations=res.iterations[idx] + new.iterations)
        return jax.tree.map(lambda old, nw: old.at[target].set(nw, mode="drop"), res, new), None

    result, _ = jax.lax.scan(step, result, order[1:])
    return result


# --------------------------------------------------------------------------- diagnostics


class SliceDiagnostics(NamedTuple):
    rmse_vol: jax.Array        # (S,) RMSE of model vs mid IV over the slice's quotes (vol units)
    frac_inside: jax.Array     # (S,) fraction of quotes whose model IV is within [bid_iv, ask_iv]
    min_g: jax.Array           # (S,) minimum of g on the slice's grid
    n_g_negative: jax.Array    # (S,) grid points with g < 0
    calendar_violations: jax.Array  # (S,) grid points where w(next expiry) < w(this one), on
                                    # the k range both slices quote
    calendar_min_gap: jax.Array     # (S,) min of w_next - w on the grid (negative: arbitrage)


@functools.partial(jax.jit, static_argnames=("settings",))
def diagnose(params: jax.Array, data: SliceData, next_index: jax.Array, settings: FitSettings = FitSettings()
             ) -> SliceDiagnostics:
    """Fit quality and arbitrage checks of fitted slices (NaN params give NaN / 0)."""

    def one(p, d, p_next, has_next, lo, hi):
        vol = _model_iv(p, d)
        n = _count(d.mask)
        rmse = jnp.sqrt(jnp.sum(jnp.where(d.mask, (vol - d.mid_iv) ** 2, 0.0)) / n)
        inside = (vol >= jnp.where(jnp.isfinite(d.bid_iv), d.bid_iv, -jnp.inf)) & \
                 (vol <= jnp.where(jnp.isfinite(d.ask_iv), d.ask_iv, jnp.inf))
        frac = jnp.sum(d.mask & inside).astype(n.dtype) / n
        grid = k_grid(d, settings)
        check = svi.butterfly_check(p, grid)
        n_cal, gap = svi.calendar_violations(p, p_next, k_grid(d, settings, lo, hi, settings.calendar_widen))
        return (rmse, frac, check.min_g, check.n_negative, jnp.where(has_next, n_cal, 0),
                jnp.where(has_next, gap, jnp.nan))

    has_next = next_index >= 0
    p_next = params[jnp.maximum(next_index, 0)]
    lo, hi = _pair_range(data, next_index)
    out = jax.vmap(one)(params, data, p_next, has_next, lo, hi)
    return SliceDiagnostics(*out)


# --------------------------------------------------------------------------- SSVI


class SSVIResult(NamedTuple):
    theta: jax.Array       # (P, S) ATM total variance per slice (NaN: padded slice)
    rho: jax.Array         # (P,)
    eta: jax.Array         # (P,)
    gamma: jax.Array       # (P,)
    status: jax.Array      # (P,) int8 FitStatus
    iterations: jax.Array  # (P,)
    objective: jax.Array   # (P,) data term


def _ssvi_unpack(v, n_slices):
    theta = jnp.cumsum(jnp.exp(v[:n_slices]))
    rho = _RHO_MAX * jnp.tanh(v[n_slices])
    eta = 2.0 / (1.0 + jnp.abs(rho)) * jax.nn.sigmoid(v[n_slices + 1])
    gamma = 0.5 * jax.nn.sigmoid(v[n_slices + 2])
    return theta, rho, eta, gamma


def fit_ssvi(data: SliceData, slice_mask: jax.Array, theta0: jax.Array, settings: FitSettings = FitSettings()
             ) -> SSVIResult:
    """Fit one power-law SSVI surface per snapshot, vmapped over snapshots.

    Args:
      data: ``SliceData`` with a leading snapshot axis, fields (P, S, N) and (P, S);
        slices in increasing ``t`` within a snapshot.
      slice_mask: (P, S) bool, real slices (padded ones are ignored).
      theta0: (P, S) initial ATM total variances (e.g. from the SVI fits), finite.
      settings: uses ``loss``, ``ssvi_max_iter``, ``gtol``, ``memory_size``, ``min_iv_spread``, ``min_quotes``.
    """
    with _standard_promotion():
        return _fit_ssvi(data, slice_mask, theta0, settings)


@functools.partial(jax.jit, static_argnames=("settings",))
def _fit_ssvi(data: SliceData, slice_mask: jax.Array, theta0: jax.Array, settings: FitSettings = FitSettings()
             ) -> SSVIResult:
    n_slices = data.k.shape[1]

    def one(d, smask, th0):
        th0 = jnp.where(smask, th0, jnp.nan)
        # Non-decreasing start: running max, padded slices carry the last value.
        th0 = jax.lax.cummax(jnp.where(jnp.isfinite(th0), th0, 0.0))
        th0 = jnp.maximum(th0, 1e-8)
        inc = jnp.maximum(jnp.diff(th0, prepend=0.0), 1e-8 * th0[-1])
        v0 = jnp.concatenate([jnp.log(inc), jnp.array([-0.5, 0.0, 0.0], th0.dtype)])

        def fun(v):
            theta, rho, eta, gamma = _ssvi_unpack(v, n_slices)
            phi = svi.phi_power_law(theta, eta, gamma)
            params = svi.stack(svi.ssvi_to_raw(theta, rho, phi))          # (S, 5)
            r = jax.vmap(lambda p, ds: data_residuals(p, ds, settings))(params, d)   # (S, N)
            r = jnp.where(smask[:, None], r, 0.0)
            return jnp.sum(r * r) / _count(d.mask & smask[:, None])

        v, iters, done, value = _minimise(fun, v0, settings._replace(max_iter=settings.ssvi_max_iter))
        theta, rho, eta, gamma = _ssvi_unpack(v, n_slices)
        enough = jnp.sum(d.mask & smask[:, None]) >= settings.min_quotes
        finite = jnp.isfinite(value) & jnp.all(jnp.isfinite(v))
        status = jnp.where(~enough, FitStatus.TOO_FEW_QUOTES, jnp.where(
            ~finite, FitStatus.NON_FINITE, jnp.where(done, FitStatus.OK, FitStatus.NOT_CONVERGED))).astype(jnp.int8)
        good = enough & finite
        nan = lambda x: jnp.where(good, x, jnp.nan)  # noqa: E731
        return SSVIResult(jnp.where(smask & good, theta, jnp.nan), nan(rho), nan(eta), nan(gamma), status, iters,
                          nan(value))

    return jax.vmap(one)(data, slice_mask, theta0)


def ssvi_params(result: SSVIResult) -> jax.Array:
    """Raw SVI params (P, S, 5) of each SSVI slice."""
    phi = svi.phi_power_law(result.theta, result.eta[:, None], result.gamma[:, None])
    return svi.stack(svi.ssvi_to_raw(result.theta, result.rho[:, None], phi))
