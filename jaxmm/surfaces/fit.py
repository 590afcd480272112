"""Batched SVI and SSVI calibration: every slice of every snapshot in one jitted call.

Numerics core (no pandas). The caller packs the quotes into ``SliceData``: arrays of shape
``(S, N)`` (``S`` slices padded to ``N`` quotes, ``mask`` marks the real ones) plus
per-slice ``t``. One slice is fitted by one function; ``jax.vmap`` batches it.

**Initial guess** (``quasi_explicit_guess``; Zeliade 2009, "Quasi-explicit calibration of
Gatheral's SVI model"): with ``y = (k - m) / sigma`` raw SVI is linear in
``(a, d, c) = (a, rho b sigma, b sigma)``: ``w = a + d y + c sqrt(y^2 + 1)``. For each
``(m, sigma)`` of a small grid the weighted least-squares ``(a, d, c)`` solves a 3x3
system; it is projected onto the parameter domain and the grid point with the lowest
objective wins (``n_starts`` > 1: the best of each of ``n_starts`` groups of ``m``, the
starts of a multi-start fit). All slices and grid points are solved at once.

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

``s_i`` is the price spread divided by vega: quotes weigh by how tightly they are quoted.
A weak prior (``prior_weight``) on ``atanh(rho / 0.999)`` and ``ln(sigma / half the quoted
k range)`` settles the flat valleys of SVI (quotes that do not reach the wings: ``|rho| ->
1``; few quotes: ``sigma -> 0``) where the data alone leave the parameters drifting.

Penalties: ``butterfly_weight * mean(max(margin - g(k), 0)^2)`` on a k-grid spanning
the slice's quotes (widened by ``grid_widen`` of their range each side), and, with a
calendar, ``calendar_weight * mean(max(1 + calendar_margin - w / w_prev, 0)^2)`` against
the previous expiry's final fit on the k range both slices quote (widened by
``calendar_widen``, default 0: beyond it one of the two is an extrapolation, and forcing
a longer slice above a short expiry's steep extrapolated wing spoils its fit): the
slices are fitted shortest first (``lax.scan`` over the expiry rank, vectorised over
snapshots), so a slice only ever has to clear one fixed curve below it.

**Optimiser**: optimistix's Levenberg-Marquardt on the residual vector (data residuals,
prior and penalties; the fit is a least-squares problem, and on short-dated slices with
steep skews L-BFGS on the summed squares stalled: 30 of 30 synthetic slices ended
NOT_CONVERGED), ``m`` searched in units of the slice's k half-range (a diagonal
preconditioner), one run per start (vmapped), the best objective wins. It runs in chunks
of ``settle_steps`` up to ``max_iter`` steps and stops when converged (``_lm``).

**Checks** (``diagnose``, ``market_status``): on quotes the caller chooses (the stage:
every OTM two-sided quote, not only the fit set): RMSE, fraction of model IVs inside
bid/ask (all, and within 3 ATM sd), worst residual in half-spreads, highest model IV over
the quoted range against the highest mid IV, Lee's wing slope, ``g`` and the calendar.

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
import optimistix as optx

from jaxmm._src.dtypes import require_x64
from jaxmm.surfaces import svi

_RHO_MAX = 0.999


class FitStatus(enum.IntEnum):
    """Per-slice (or per-snapshot) status of a fit."""

    OK = 0               # converged (SVI: Levenberg-Marquardt's step test; SSVI: gradient test)
    NOT_CONVERGED = 1    # step budget spent first; the parameters are the last iterate
    TOO_FEW_QUOTES = 2   # fewer usable quotes than min_quotes: not fitted (params NaN)
    NON_FINITE = 3       # objective or parameters became NaN / inf (params NaN)
    BAD_INPUT = 4        # a quote with a non-positive / NaN IV, bid IV > ask IV, or t <= 0 (params NaN)
    OFF_MARKET = 5       # fitted, but the smile leaves the quotes (``market_status``)

    @property
    def label(self) -> str:
        """Readable label written to the output tables: the name in lower case."""
        return self.name.lower()


def status_labels(codes) -> np.ndarray:
    """``FitStatus`` codes (any integer array) as their labels ('ok', 'not_converged', ...)."""
    names = np.array([s.label for s in FitStatus], dtype=object)
    return names[np.asarray(codes, dtype=np.int64)]


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
    max_iter: int = 200               # SVI: Levenberg-Marquardt steps per slice and stage
    rtol: float = 1e-6                # SVI converged: every parameter and residual moved by less
    atol: float = 1e-8                # than atol + rtol |value| in an accepted step
    gtol: float = 1e-6                # converged (SVI also, SSVI only): max |gradient| of the objective
    memory_size: int = 10             # SSVI: L-BFGS memory
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
    n_starts: int = 2                 # SVI multi-start: quasi-explicit guesses, best objective wins
    prior_weight: float = 1e-4        # weak prior on rho and sigma (``_residuals``); 0: none
    settle_steps: int = 20            # SVI: steps per chunk; after each, converged if the smile has settled
    settle_tol: float = 1e-2          # settled: no model IV moved by more than this (in IV spreads) in a chunk


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
        from jaxmm.pricing import black

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
    if settings.prior_weight > 0.0:
        # A weak Gaussian prior on atanh(rho / 0.999) and on ln(sigma / half the quoted k
        # range): where the quotes do not pin the wings or the vertex, many (rho, b, m,
        # sigma) fit equally well and the data alone drift without end to |rho| -> 1 or
        # sigma -> 0 (a V-shaped smile). The prior picks the plainest of them.
        lo, hi = k_range(d)
        log_sigma_ref = jnp.log(jnp.clip(0.5 * (hi - lo), 1e-4, 10.0))
        parts.append(jnp.sqrt(settings.prior_weight) * jnp.stack([u[2], u[4] - log_sigma_ref]))
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


def _lm(residual_fn, moved_fn, v0, settings: FitSettings):
    """optimistix Levenberg-Marquardt on ``residual_fn(v)`` from ``v0``, in chunks of
    ``settle_steps`` steps up to ``max_iter``; returns (v, steps, converged).

    Converged after a chunk where optimistix's test passed (an accepted step moved every
    parameter and every residual by less than ``atol + rtol |value|``), the objective's
    gradient is at most ``gtol``, or the smile moved by at most ``settle_tol``
    (``moved_fn(v_before, v_after)``): SVI has flat valleys (few quotes, or quotes that do
    not reach the wings) where the parameters drift on while the smile stays put.
    """
    solver = optx.LevenbergMarquardt(rtol=settings.rtol, atol=settings.atol)
    chunk = max(1, min(settings.settle_steps, settings.max_iter))

    def body(carry):
        v, steps, _ = carry
        sol = optx.least_squares(lambda x, _: residual_fn(x), solver, v, max_steps=chunk, throw=False)
        grad = jax.grad(lambda x: 0.5 * jnp.sum(residual_fn(x) ** 2))(sol.value)
        done = ((sol.result == optx.RESULTS.successful) | (jnp.max(jnp.abs(grad)) <= settings.gtol)
                | (moved_fn(v, sol.value) <= settings.settle_tol))
        return sol.value, steps + sol.stats["num_steps"], done

    init = (v0, jnp.zeros((), dtype=int), jnp.asarray(False))
    return jax.lax.while_loop(lambda c: (c[1] < settings.max_iter) & ~c[2], body, init)


def bad_input(d: SliceData) -> jax.Array:
    """True where a slice's quotes cannot be fitted: a non-finite ``k``, a mid IV that is
    not a positive finite number, a bid IV <= 0 or above the ask IV, an ask IV <= 0, or a
    non-positive / non-finite ``t``. Unknown bid or ask IVs (NaN) are allowed."""
    def not_positive(x):
        return jnp.isfinite(x) & (x <= 0.0)

    quote_bad = (~jnp.isfinite(d.k) | ~(jnp.isfinite(d.mid_iv) & (d.mid_iv > 0.0)) | not_positive(d.bid_iv)
                 | not_positive(d.ask_iv) | (d.bid_iv > d.ask_iv))
    return jnp.any(d.mask & quote_bad, axis=-1) | ~(jnp.isfinite(d.t) & (d.t > 0.0))


def _fit_one(u0, d: SliceData, settings: FitSettings, neighbours=None):
    """Fit one slice from the unconstrained start(s) ``u0``, (5,) or (n_starts, 5): one
    Levenberg-Marquardt run per start, the lowest final objective (penalties included)
    wins; its status and step count are reported."""
    # Precondition: m is searched in units of the slice's k half-range (short expiries
    # span a few hundredths of k, where m's residual sensitivity would dwarf the others').
    lo, hi = k_range(d)
    scale = jnp.array([1.0, 1.0, 1.0, 0.0, 1.0], u0.dtype).at[3].set(jnp.clip(0.5 * (hi - lo), 1e-3, 10.0))
    enough = d.mask.sum() >= settings.min_quotes
    bad = bad_input(d)
    # A slice that is not fitted gets zero residuals from a finite start: the solver stops
    # at once instead of iterating on NaNs (under vmap the batch waits for its slowest).
    skip = bad | ~enough

    def residual_fn(v):
        return jnp.where(skip, 0.0, _residuals(v * scale, d, settings, neighbours))

    def moved_fn(v_before, v_after):
        change = _model_iv(to_raw(v_after * scale), d) - _model_iv(to_raw(v_before * scale), d)
        return jnp.max(jnp.where(d.mask, jnp.abs(change) / _spread(d, settings), 0.0))

    starts = jnp.where(skip, 0.0, jnp.atleast_2d(u0) / scale)
    v, steps, done = jax.vmap(lambda v0: _lm(residual_fn, moved_fn, v0, settings))(starts)
    total = jax.vmap(lambda x: jnp.sum(residual_fn(x) ** 2))(v)
    best = jnp.argmin(jnp.where(jnp.isfinite(total), total, jnp.inf))
    v, steps, done = v[best], steps[best], done[best]
    params = to_raw(v * scale)
    r = data_residuals(params, d, settings)
    data_value = jnp.sum(r * r) / _count(d.mask)
    finite = jnp.all(jnp.isfinite(params)) & jnp.isfinite(data_value)
    status = jnp.select([bad, ~enough, ~finite, done],
                        [FitStatus.BAD_INPUT, FitStatus.TOO_FEW_QUOTES, FitStatus.NON_FINITE, FitStatus.OK],
                        FitStatus.NOT_CONVERGED).astype(jnp.int8)
    good = enough & finite & ~bad
    return FitResult(jnp.where(good, params, jnp.nan), status, steps, jnp.where(good, data_value, jnp.nan))


# --------------------------------------------------------------------------- initial guess


def quasi_explicit_guess(d: SliceData, settings: FitSettings, n_m: int = 9, n_sigma: int = 8,
                         n_starts: int = 1) -> jax.Array:
    """Zeliade's quasi-explicit initial guess for one slice (module doc): raw params (5,),
    or (n_starts, 5) for ``n_starts > 1``: the best grid point in each of ``n_starts``
    groups of consecutive ``m`` values (distinct starts for a multi-start fit)."""
    k = d.k
    lo, hi = k_range(d)
    ms = jnp.linspace(lo, hi, n_m)
    sigmas = jnp.geomspace(0.01, 1.0, n_sigma) * jnp.maximum(hi - lo, 0.05)
    m, sigma = (x.ravel() for x in jnp.meshgrid(ms, sigmas, indexing="ij"))
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
    if n_starts <= 1:
        return params[jnp.argmin(value)]
    group = (jnp.arange(n_m * n_sigma) // n_sigma) * n_starts // n_m       # m-group of each grid point
    best = jax.vmap(lambda g: jnp.argmin(jnp.where(group == g, value, jnp.inf)))(jnp.arange(n_starts))
    return params[best]


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


class EmptySliceError(ValueError):
    """A slice handed to a fit or a check has no quote at all (its arrays have length 0)."""


def check_data(data: SliceData, where: str) -> None:
    """Raise a readable error for ``SliceData`` that cannot be fitted or checked: fields
    of unequal shapes, or slices with no quote at all (``EmptySliceError``, naming them).
    A slice with quotes all masked out is fine: its status says TOO_FEW_QUOTES."""
    shape = np.shape(data.k)
    if len(shape) != 2:
        raise ValueError(f"{where}: SliceData.k must be (slices, quotes), got shape {shape}")
    for name in ("mid_iv", "bid_iv", "ask_iv", "strike", "is_call", "mid_price", "vega", "mask"):
        if np.shape(getattr(data, name)) != shape:
            raise ValueError(f"{where}: SliceData.{name} has shape {np.shape(getattr(data, name))}, k has {shape}")
    for name in ("t", "forward", "discount"):
        if np.shape(getattr(data, name)) != shape[:1]:
            raise ValueError(f"{where}: SliceData.{name} has shape {np.shape(getattr(data, name))}, expected "
                             f"({shape[0]},): one value per slice")
    if shape[1] == 0:
        which = "slice 0 has" if shape[0] == 1 else f"slices 0 to {shape[0] - 1} have"
        raise EmptySliceError(f"{where}: {which} no quotes (SliceData arrays of shape {shape}): give each slice "
                              "at least fit.min_quotes quotes, or leave it out")


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
    require_x64("SVI fits")
    check_data(data, "fit_svi")
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
    n = data.k.shape[0]
    guess = _batched(lambda d: quasi_explicit_guess(d, settings, n_starts=settings.n_starts), data,
                     settings.batch_size)
    u0 = from_raw(guess)                                  # (S, 5) or (S, n_starts, 5)
    iterations = jnp.zeros(n, int)
    if settings.loss == "bid_ask":
        # The hinge loss is flat inside the spreads: start it from the mid fit, which is
        # close, so the solver does not stall on a far-away kink.
        mid = _batched(lambda a: _fit_one(*a, settings._replace(loss="iv")), (u0, data), settings.batch_size)
        u0 = jnp.where(jnp.isfinite(mid.params).all(-1)[:, None], from_raw(mid.params), u0.reshape(n, -1, 5)[:, 0])
        iterations = mid.iterations
    if order.shape[0] <= 1:
        result = _batched(lambda a: _fit_one(*a, settings), (u0, data), settings.batch_size)
        return result._replace(iterations=iterations + result.iterations)
    # With a calendar: shortest expiry first, each slice fitted against its predecessor's
    # final fit (w must not fall below it). Sequential in the expiry rank, vectorised over
    # snapshots (a row of `order`); the first expiries see no predecessor.
    lo, hi = _pair_range(data, prev_index)
    fallback = jnp.array([1.0, 0.0, 0.0, 0.0, 1.0], data.k.dtype)      # w = 1: harmless when unused
    nan = jnp.full(n, jnp.nan, data.k.dtype)
    init = FitResult(jnp.full((n, 5), jnp.nan, data.k.dtype), jnp.zeros(n, jnp.int8), iterations, nan)

    def step(res: FitResult, row):
        idx = jnp.maximum(row, 0)
        prev = prev_index[idx]
        prev_params = res.params[jnp.maximum(prev, 0)]
        has_prev = (row >= 0) & (prev >= 0) & jnp.all(jnp.isfinite(prev_params), axis=-1)
        prev_params = jnp.where(has_prev[:, None], prev_params, fallback)
        d = jax.tree.map(lambda x: x[idx], data)
        new = jax.vmap(lambda u, dd, *nb: _fit_one(u, dd, settings, nb))(u0[idx], d, prev_params, has_prev, lo[idx],
                                                                          hi[idx])
        new = new._replace(iterations=res.iterations[idx] + new.iterations)
        target = jnp.where(row >= 0, idx, n)          # out of range: dropped
        return jax.tree.map(lambda old, nw: old.at[target].set(nw, mode="drop"), res, new), None

    result, _ = jax.lax.scan(step, init, order)
    return result


# --------------------------------------------------------------------------- diagnostics


class SliceDiagnostics(NamedTuple):
    """Per-slice checks of a fitted smile against the quotes it is diagnosed on (all (S,);
    NaN / 0 where the params are NaN). Quote statistics use the masked quotes; a missing
    bid or ask IV (NaN) leaves that side of the spread open."""

    rmse_vol: jax.Array        # RMSE of model vs mid IV (vol units)
    frac_inside: jax.Array     # fraction of quotes whose model IV is within [bid_iv, ask_iv]
    frac_inside_core: jax.Array  # the same over quotes with |k| <= core_sd sqrt(w(0)) (NaN: none)
    max_abs_residual: jax.Array  # max |model IV - mid IV| / ((ask_iv - bid_iv) / 2) (half-spreads)
    wing_ratio: jax.Array      # max model IV over the quoted k range / max mid IV
    lee_slope: jax.Array       # b (1 + |rho|): the steeper wing's slope of w (Lee: <= 2)
    min_g: jax.Array           # minimum of g on the slice's grid
    n_g_negative: jax.Array    # grid points with g < 0
    calendar_violations: jax.Array  # grid points where w(next expiry) < w(this one), on
                                    # the k range both slices quote
    calendar_min_gap: jax.Array     # min of w_next - w on the grid (negative: arbitrage)


def diagnose(params: jax.Array, data: SliceData, next_index: jax.Array, settings: FitSettings = FitSettings(),
             core_sd: float = 3.0) -> SliceDiagnostics:
    """Fit quality, wing and arbitrage checks of fitted slices on the quotes of ``data``.

    Pass every quote the smile should match (the stage passes all OTM two-sided quotes
    with a solved mid IV, not only the fit set): a smile that fits a narrow set and leaves
    the market outside it shows here. ``core_sd``: ``frac_inside_core`` counts quotes
    within this many ATM standard deviations ``sqrt(w(0))`` of the fitted smile.
    """
    check_data(data, "diagnose")
    return _diagnose(params, data, next_index, settings, core_sd)


@functools.partial(jax.jit, static_argnames=("settings", "core_sd"))
def _diagnose(params, data: SliceData, next_index, settings: FitSettings, core_sd: float) -> SliceDiagnostics:

    def one(p, d, p_next, has_next, lo, hi):
        vol = _model_iv(p, d)
        n = _count(d.mask)
        rmse = jnp.sqrt(jnp.sum(jnp.where(d.mask, (vol - d.mid_iv) ** 2, 0.0)) / n)
        inside = (vol >= jnp.where(jnp.isfinite(d.bid_iv), d.bid_iv, -jnp.inf)) & \
                 (vol <= jnp.where(jnp.isfinite(d.ask_iv), d.ask_iv, jnp.inf))
        frac = jnp.sum(d.mask & inside, dtype=n.dtype) / n
        core = d.mask & (jnp.abs(d.k) <= core_sd * jnp.sqrt(svi.raw_total_variance(p, 0.0)))
        n_core = jnp.sum(core, dtype=n.dtype)
        frac_core = jnp.where(n_core > 0, jnp.sum(core & inside, dtype=n.dtype) / jnp.maximum(n_core, 1.0), jnp.nan)
        half = 0.5 * (d.ask_iv - d.bid_iv)
        has_half = d.mask & jnp.isfinite(half) & (half > 0.0)
        resid = jnp.where(has_half, jnp.abs(vol - d.mid_iv) / jnp.where(has_half, half, 1.0), 0.0)
        # Between quotes the smile is smooth: its maximum over the quoted range is at a
        # quote or on the grid spanning it.
        k_lo, k_hi = k_range(d)
        grid_vol = svi.implied_vol(p, jnp.linspace(k_lo, k_hi, settings.n_grid), d.t)
        top = jnp.maximum(jnp.max(jnp.where(d.mask, vol, -jnp.inf)), jnp.max(grid_vol))
        wing = top / jnp.max(jnp.where(d.mask, d.mid_iv, -jnp.inf))
        check = svi.butterfly_check(p, k_grid(d, settings))
        n_cal, gap = svi.calendar_violations(p, p_next, k_grid(d, settings, lo, hi, settings.calendar_widen))
        return (rmse, frac, frac_core, jnp.max(resid), wing, p[1] * (1.0 + jnp.abs(p[2])), check.min_g,
                check.n_negative, jnp.where(has_next, n_cal, 0), jnp.where(has_next, gap, jnp.nan))

    has_next = next_index >= 0
    p_next = params[jnp.maximum(next_index, 0)]
    lo, hi = _pair_range(data, next_index)
    out = jax.vmap(one)(params, data, p_next, has_next, lo, hi)
    fitted = jnp.all(jnp.isfinite(params), axis=-1)
    out = [jnp.where(fitted, x, jnp.nan) if jnp.issubdtype(x.dtype, jnp.floating) else x for x in out]
    return SliceDiagnostics(*out)


class MarketCheck(NamedTuple):
    """``market_status``: the new status and which checks a fitted slice failed (all (S,))."""

    status: np.ndarray     # int8 FitStatus: OFF_MARKET where a fitted slice failed a check
    residual: np.ndarray   # bool: max_abs_residual > max_residual_half_spreads
    inside: np.ndarray     # bool: frac_inside_core < min_frac_inside
    wing: np.ndarray       # bool: wing_ratio > max_wing_ratio
    lee: np.ndarray        # bool: lee_slope > 2 (Lee's moment bound broken)


def market_status(status, diagnostics: SliceDiagnostics, max_residual_half_spreads: float = 50.0,
                  min_frac_inside: float = 0.75, max_wing_ratio: float = 2.0) -> MarketCheck:
    """Flag fitted slices (status OK or NOT_CONVERGED) whose smile leaves the market.

    A slice is OFF_MARKET where its worst residual exceeds ``max_residual_half_spreads``,
    its model IVs lie inside the quotes for less than ``min_frac_inside`` of the quotes
    near the money (``frac_inside_core``), its highest model IV over the quoted range
    exceeds ``max_wing_ratio`` times the highest mid IV, or its wing slope breaks Lee's
    bound ``b (1 + |rho|) <= 2``. Other statuses are kept.
    """
    status = np.asarray(status).astype(np.int8)
    fitted = np.isin(status, [FitStatus.OK, FitStatus.NOT_CONVERGED])
    with np.errstate(invalid="ignore"):
        checks = [np.asarray(diagnostics.max_abs_residual) > max_residual_half_spreads,
                  np.asarray(diagnostics.frac_inside_core) < min_frac_inside,
                  np.asarray(diagnostics.wing_ratio) > max_wing_ratio,
                  np.asarray(diagnostics.lee_slope) > 2.0 * (1.0 + 1e-12)]
    checks = [fitted & c for c in checks]
    off = np.logical_or.reduce(checks)
    return MarketCheck(np.where(off, np.int8(FitStatus.OFF_MARKET), status).astype(np.int8), *checks)


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
