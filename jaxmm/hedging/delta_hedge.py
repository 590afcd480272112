"""Delta-hedging Monte Carlo: options hedged at discrete times, P&L and its decomposition.

Numerics core (no pandas). One jitted call runs a chunk of paths for every point of a
parameter grid (``vmap`` over the grid, ``lax.scan`` over time, paths vectorised);
``simulate_hedge`` feeds it chunk after chunk (as ``jaxmm.mm.simulate``). Every grid point
sees the same normals (common random numbers), so differences across hedge vol, actual
vol, cost and band are not sampling noise. The number of rebalancing times ``N`` is a
static axis (the scan's length): ``simulate_hedge_over_n`` runs one jitted call per ``N``
and stacks the results.

**Model** (``HedgeParams``; fields broadcast to a grid axis ``G``). ``position`` options
(+1 long, -1 short; ``kind`` call, put or straddle, strike ``K``, expiry ``T``) are bought
at ``t = 0`` for the Black-Scholes premium at ``implied_vol``. The spot follows GBM at
``actual_vol`` with drift ``mu`` (default ``r``), exact in log space over each step
``dt = T / N``::

    S_{i+1} = S_i exp((mu - actual_vol^2 / 2) dt + actual_vol sqrt(dt) Z_i)

At ``t_i = i dt`` (``i = 0 .. N-1``) the target hedge is ``-position * Delta_i`` shares,
``Delta_i`` the Black-Scholes delta at ``hedge_vol`` (no dividends). With ``band = 0`` the
book trades to the target at every step; with ``band > 0`` only when
``|target - held| > band`` (a delta band, in shares per option), and then to the target.
Each trade costs ``cost * |shares traded| * S_i``: ``cost`` is the ONE-WAY proportional
cost (a round trip costs ``2 cost``; Leland's ``k`` is the round-trip cost, ``k = 2 cost``,
``leland_vol``). The initial hedge pays it; the final position is settled at ``S_N``
without cost (physical delivery / settlement against the option). Cash earns ``r``
continuously. All P&L figures are in time-0 money (discounted by ``e^{-rT}``).

**P&L decomposition** (exact, per path). Write ``~x_i = e^{-r t_i} x_i`` for discounted
values, ``V^h(t, S)`` the Black-Scholes value at ``hedge_vol``, ``V^h_N`` the payoff,
``Gamma_i`` the gamma at ``hedge_vol``, ``h_i`` the shares held over ``[t_i, t_{i+1}]``
and ``dS~_i = ~S_{i+1} - ~S_i = e^{-r t_i} (S_{i+1} e^{-r dt} - S_i)``. Then::

    pnl      = position (~V_N - V^imp_0) + sum_i h_i dS~_i + cost_part       (self-financing)
             = vega + gamma + theta + mismatch + cost_part + error           (identity)

    vega     = position (V^h_0 - V^imp_0)            mark to hedge vol at t = 0
    gamma    = sum_i position e^{-r t_i} Gamma_i (S_{i+1} e^{-r dt} - S_i)^2 / 2
    theta    = -sum_i position e^{-r t_i} Gamma_i S_i^2 hedge_vol^2 dt / 2
    mismatch = sum_i (position Delta_i + h_i) dS~_i   (0 when trading every step; the band's)
    cost_part= -sum_i cost |h_i - h_{i-1}| S_i e^{-r t_i}          (h_{-1} = 0)
    error    = position (~V^h_N - V^h_0) - sum_i position Delta_i dS~_i - gamma - theta

``gamma + theta`` is the classic ``sum Gamma S^2 (R^2 - sigma_h^2 dt) / 2`` (discounted
returns ``R``); it carries the expected ``(sigma_a^2 - sigma_h^2)`` P&L of hedging at a
vol other than the actual one. ``theta`` is Black-Scholes' time decay of the discounted
value at fixed discounted spot, ``-Gamma S^2 sigma_h^2 / 2`` (the PDE). ``error`` is what
the second-order expansion of ``V^h`` misses along the path (terms ``dS^3``, ``dt dS``,
``dt^2`` per step): the discretisation remainder, telescoped (it needs ``V^h`` only at
``t = 0`` and ``T``).
``pnl`` is computed separately from the cash account (premium, trades, costs, interest,
settlement), so ``tests/test_hedging_delta.py`` checks the identity to 1e-10.

**Greeks per step** are the closed forms ``Delta = N(d1)`` (call), ``N(d1) - 1`` (put),
``2 N(d1) - 1`` (straddle), ``Gamma = c n(d1) / (S sigma_h sqrt(tau))`` (``c = 1, 1, 2``)
with ``d1 = (ln S - ln K + (r + sigma_h^2/2) tau) / (sigma_h sqrt(tau))``, computed from the
carried ``ln S`` (``normal_cdf``: one ``exp`` and one division per path-step, its
exponential reused for gamma; with the spot's ``exp``, two per path-step); they
are checked against ``jaxmm.pricing.black`` (which also prices ``V^imp_0``, ``V^h_0``). Zero hedge
vol gives the intrinsic slope (``1/2`` exactly at the forward) and zero gamma.

**Random numbers** (``jaxmm._src.random_numbers``): one 64-bit SplitMix64 word per path per pair of
steps gives both steps' normals (Box-Muller, ``normal_pair``: sine and cosine without
libm), computed once per chunk and step for all grid points; chunk ``c``, pair ``j`` draws
its seed from
``fold_in(fold_in(key, c), j)``: deterministic for a key, a chunk size and a dtype.

References:
  E. Derman, M. Kamal, "When you cannot hedge continuously: the corrections of
  Black-Scholes", Risk 12 (1999) 82-85: sd of the hedging error ~ sqrt(pi/(4N)) vega sigma.
  R. Ahmad, P. Wilmott, "Which free lunch would you like today, Sir? Delta hedging,
  volatility arbitrage and optimal portfolios", Wilmott Magazine (Nov 2005) 64-79.
  H. Leland, "Option pricing and replication with transactions costs", J. Finance 40
  (1985) 1283-1301.

Example::

    >>> grid = HedgeParams(s0=100.0, strike=100.0, T=1.0, r=0.0, implied_vol=0.2,
    ...                    hedge_vol=jnp.array([0.2, 0.3]), actual_vol=0.3)
    >>> res = simulate_hedge(grid, jax.random.PRNGKey(0), 100_000, 252)
    >>> res.pnl.mean(axis=1)          # both ~ BS(30%) - BS(20%) = 3.958
    Array([3.96170491, 3.95826555], dtype=float64)
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any, NamedTuple, Sequence

import jax
import jax.numpy as jnp

from jaxmm.pricing import black
from jaxmm._src.chunking import run_chunks
from jaxmm._src import random_numbers as mmrandom

log = logging.getLogger(__name__)

__all__ = ["KINDS", "HedgeParams", "HedgeResult", "simulate_hedge", "simulate_hedge_over_n", "hedge_paths",
           "leland_vol", "normal_cdf", "normal_pair", "greeks", "default_chunk", "payoff", "premium", "derman_kamal_sd"]

KINDS = ("call", "put", "straddle")
CHUNK_ELEMENTS = 1 << 18     # grid points x paths per jitted call (the scan's carry stays near the cache)
_BIG = 1e30                  # 1 / (sigma sqrt(tau)) stand-in at zero hedge vol: d1 = +-inf (0 at the forward)


class HedgeParams(NamedTuple):
    """One hedging set-up; every field broadcasts to the grid axis ``G``.

    Attributes:
      s0: initial spot.
      strike: option strike ``K``.
      T: expiry in years.
      r: continuously compounded rate (cash account and discounting).
      implied_vol: vol of the premium paid (long) or received (short) at ``t = 0``.
      hedge_vol: vol of the Black-Scholes delta used to hedge.
      actual_vol: vol of the simulated spot (GBM).
      cost: ONE-WAY proportional cost per unit of stock value traded (0.001 = 10 bp a side).
      band: delta band in shares per option; 0 = trade at every step.
      position: +1 long, -1 short (any real multiplier: number of options).
      mu: real-world drift of the spot; None = ``r``.
    """

    s0: Any
    strike: Any
    T: Any
    r: Any
    implied_vol: Any
    hedge_vol: Any
    actual_vol: Any
    cost: Any = 0.0
    band: Any = 0.0
    position: Any = 1.0
    mu: Any = None


class HedgeResult(NamedTuple):
    """Per-path results, each (n_paths,) (``hedge_paths``) or (G, n_paths) (``simulate_hedge``).

    ``pnl == vega + gamma + theta + mismatch + cost + error`` (module docstring); the six
    parts are None when run with ``decompose=False``.
    """

    pnl: jax.Array            # total P&L in time-0 money, from the cash account
    n_rebalances: jax.Array   # trading times (the initial hedge included)
    shares_traded: jax.Array  # sum of |shares traded|
    vega: jax.Array | None = None
    gamma: jax.Array | None = None
    theta: jax.Array | None = None
    mismatch: jax.Array | None = None
    cost: jax.Array | None = None
    error: jax.Array | None = None


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}; got {kind!r}")


def _kind_coefficients(kind: str):
    """``(a, b, c)``: delta = a N(d1) + b, gamma = c n(d1) / (S s)."""
    return {"call": (1.0, 0.0, 1.0), "put": (1.0, -1.0, 1.0), "straddle": (2.0, -1.0, 2.0)}[kind]


def payoff(spot, strike, kind: str = "call"):
    """Option payoff at expiry: ``(S-K)^+``, ``(K-S)^+`` or ``|S-K|``."""
    _check_kind(kind)
    if kind == "call":
        return jnp.maximum(spot - strike, 0.0)
    if kind == "put":
        return jnp.maximum(strike - spot, 0.0)
    return jnp.abs(spot - strike)


def premium(spot, strike, t, vol, rate, kind: str = "call"):
    """Black-Scholes value (``jaxmm.pricing.black.bs_price``; a straddle is call + put)."""
    _check_kind(kind)
    if kind == "straddle":
        return black.bs_price(spot, strike, t, vol, True, rate) + black.bs_price(spot, strike, t, vol, False, rate)
    return black.bs_price(spot, strike, t, vol, kind == "call", rate)


def greeks(spot, strike, t, vol, rate, kind: str = "call"):
    """Closed-form Black-Scholes ``(delta, gamma)`` as used per step (``t > 0``; ``vol = 0``:
    intrinsic slope, 1/2 at the forward, zero gamma). Broadcast shape."""
    _check_kind(kind)
    a, b, c = _kind_coefficients(kind)
    s = vol * jnp.sqrt(t)
    inv_s = jnp.where(s > 0, 1.0 / jnp.where(s > 0, s, 1.0), _BIG)
    d1 = (jnp.log(spot) - jnp.log(strike) + (rate + 0.5 * vol * vol) * t) * inv_s
    cdf, density = normal_cdf(d1)
    delta = a * cdf + b
    gam = jnp.where(s > 0, c * density * (inv_s / math.sqrt(2.0 * math.pi)) / spot, 0.0)
    return delta, gam


def leland_vol(sigma, cost, dt, position=-1.0):
    """Leland's transaction-cost adjusted vol for a hedger rebalancing every ``dt``.

    ``sigma_L^2 = sigma^2 (1 - position * sqrt(2/pi) k / (sigma sqrt(dt)))`` with ``k = 2 cost``
    the ROUND-TRIP cost (Leland 1985 states ``k`` round trip; ``cost`` here is one-way, as in
    ``HedgeParams``). A short option (``position = -1``, the option writer's replication)
    raises the vol; a long one lowers it (NaN where the adjustment exceeds ``sigma^2``).
    """
    k = 2.0 * cost
    return sigma * jnp.sqrt(1.0 - position * math.sqrt(2.0 / math.pi) * k / (sigma * jnp.sqrt(dt)))


def derman_kamal_sd(spot, strike, T, vol, n_steps, rate=0.0):
    """Derman-Kamal's sd of the discrete hedging error: ``sqrt(pi / (4 N)) vega sigma``
    (``vega = dV/dsigma`` of one option at ``t = 0``; asymptotic in ``N``, near the money)."""
    return jnp.sqrt(jnp.pi / (4.0 * n_steps)) * black.bs_vega(spot, strike, T, vol, rate) * vol


# ---------------------------------------------------------------------------------------
# The normal CDF, one exponential


_HART_P = (3.52624965998911e-02, 0.700383064443688, 6.37396220353165, 33.912866078383, 112.079291497871,
           221.213596169931, 220.206867912376)
_HART_Q = (8.83883476483184e-02, 1.75566716318264, 16.064177579207, 86.7807322029461, 296.564248779674,
           637.333633378831, 793.826512519948, 440.413735824752)


def normal_cdf(x):
    """``(N(x), exp(-x^2/2))`` with one ``exp`` and one division, no branches.

    ``N(-|x|) = exp(-x^2/2) P(|x|) / Q(|x|)``: Hart's double-precision rational (West 2005,
    figure 2), used here at every ``|x|`` (Hart switches to a continued fraction beyond
    ``5 sqrt 2``, where ``N < 1e-12``; the rational keeps the right ``1/|x|`` asymptote).
    Absolute error <= 2.3e-16 everywhere, relative 3e-9 for ``|x| < 7`` and 4e-6 beyond
    (checked against ``jax.scipy.special.ndtr``): a delta needs the absolute accuracy.
    ``jax.scipy``'s float64 ``ndtr``/``erfc`` split into several fusions per step and ran
    the hedging scan 2x slower; the continued fraction's four divisions cost 30% more.
    The exponential is returned for gamma (``n(x) = e / sqrt(2 pi)``).

    Reference: G. West, "Better approximations to cumulative normal functions", Wilmott
    Magazine (2005); J. F. Hart, "Computer approximations", Wiley (1968), 5666.
    """
    a = jnp.abs(x)
    e = jnp.exp(-0.5 * a * a)
    num = _HART_P[0] * a + _HART_P[1]
    for coef in _HART_P[2:]:
        num = num * a + coef
    den = _HART_Q[0] * a + _HART_Q[1]
    for coef in _HART_Q[2:]:
        den = den * a + coef
    tail = e * num / den
    return jnp.where(x > 0, 1.0 - tail, tail), e


# ---------------------------------------------------------------------------------------
# The scan


def _run(p: HedgeParams, n_steps: int, n_paths: int, kind: str, decompose: bool, dtype, normals):
    """Hedge ``n_paths`` paths of one parameter set; ``normals(j)`` gives the two normals
    (each (n_paths,)) of steps ``2j`` and ``2j + 1``."""
    a, b, c = _kind_coefficients(kind)
    pos = p.position
    dt = p.T / n_steps
    mu = p.r if p.mu is None else p.mu
    drift = (mu - 0.5 * p.actual_vol * p.actual_vol) * dt
    diffusion = p.actual_vol * jnp.sqrt(dt)
    growth = jnp.exp(p.r * dt)                     # cash account over one step
    disc_step = jnp.exp(-p.r * dt)
    log_k = jnp.log(p.strike)
    half_var = p.r + 0.5 * p.hedge_vol * p.hedge_vol
    gamma_scale = c / math.sqrt(2.0 * math.pi)
    zeros = jnp.zeros(n_paths, dtype)

    def step(carry, i, z):
        s, x, h, cash, n_reb, traded, parts = carry
        ti = i.astype(dtype) * dt
        tau = p.T - ti
        sd = p.hedge_vol * jnp.sqrt(tau)
        live = sd > 0
        inv_s = jnp.where(live, 1.0 / jnp.where(live, sd, 1.0), _BIG)
        d1 = (x + (half_var * tau - log_k)) * inv_s
        cdf, density = normal_cdf(d1)
        delta = a * cdf + b
        target = -pos * delta
        trade = jnp.abs(target - h) > p.band
        h_new = jnp.where(trade, target, h)        # exactly on target (no h + (target - h) rounding)
        dh = h_new - h
        abs_dh = jnp.abs(dh)
        fee = p.cost * abs_dh * s
        cash = (cash - dh * s - fee) * growth      # trade, then interest to t_{i+1}
        h = h_new
        x_new = x + drift + diffusion * z
        s_new = jnp.exp(x_new)
        if decompose:
            disc = jnp.exp(-p.r * ti)
            ds_disc = disc * (s_new * disc_step - s)                    # dS~_i
            gam = jnp.where(live, density * (gamma_scale * inv_s), 0.0) / s
            pg = (0.5 * pos) * disc * gam
            dsr = s_new * disc_step - s
            g_sum, th_sum, mm_sum, c_sum, d_sum = parts
            parts = (g_sum + pg * dsr * dsr,
                     th_sum - pg * s * s * (p.hedge_vol * p.hedge_vol * dt),
                     mm_sum + (h - target) * ds_disc,
                     c_sum - fee * disc,
                     d_sum + (pos * delta) * ds_disc)
        return (s_new, x_new, h, cash, n_reb + trade.astype(dtype), traded + abs_dh, parts)

    def pair(carry, j):
        z0, z1 = normals(j)
        carry = step(carry, 2 * j, z0)
        return step(carry, 2 * j + 1, z1), None

    s0 = zeros + p.s0
    parts0 = (zeros,) * 5 if decompose else ()
    v_imp = premium(p.s0, p.strike, p.T, p.implied_vol, p.r, kind)
    carry = (s0, jnp.log(s0), zeros, zeros - pos * v_imp, zeros, zeros, parts0)
    carry, _ = jax.lax.scan(pair, carry, jnp.arange(n_steps // 2))
    if n_steps % 2:
        carry = step(carry, jnp.asarray(n_steps - 1), normals(jnp.asarray(n_steps // 2))[0])
    s, _, h, cash, n_reb, traded, parts = carry
    disc_T = jnp.exp(-p.r * p.T)
    pay = payoff(s, p.strike, kind)
    pnl = disc_T * (cash + h * s + pos * pay)
    if not decompose:
        return HedgeResult(pnl, n_reb, traded)
    g_sum, th_sum, mm_sum, c_sum, d_sum = parts
    v_h = premium(p.s0, p.strike, p.T, p.hedge_vol, p.r, kind)
    error = pos * (disc_T * pay - v_h) - d_sum - g_sum - th_sum
    return HedgeResult(pnl, n_reb, traded, zeros + pos * (v_h - v_imp), g_sum, th_sum, mm_sum, c_sum, error)


_SIN = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(8))    # phi, phi^3, ..., phi^15
_COS = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(9))        # 1, phi^2, ..., phi^16


def _sincos_turns(u):
    """``(cos 2 pi u, sin 2 pi u)`` for ``u`` in [0, 1) without libm (XLA calls scalar
    ``cos``/``sin`` for float64 on CPU: 70% of the scan's time): the nearest quarter turn
    ``k`` and Taylor series on ``|phi| <= pi/4`` (truncation < 1e-16), then a rotation by
    ``k`` quarter turns. ``u`` is dyadic, so the reduction is exact."""
    v = 4.0 * u
    k = jnp.floor(v + 0.5)
    phi = (v - k) * (0.5 * math.pi)
    p2 = phi * phi
    sin = _SIN[-1]
    for coef in _SIN[-2::-1]:
        sin = sin * p2 + coef
    sin = sin * phi
    cos = _COS[-1]
    for coef in _COS[-2::-1]:
        cos = cos * p2 + coef
    q = k - 4.0 * jnp.floor(0.25 * k)          # k mod 4 (k = 4 at u -> 1)
    c = jnp.where(q == 0.0, cos, jnp.where(q == 1.0, -sin, jnp.where(q == 2.0, -cos, sin)))
    s = jnp.where(q == 0.0, sin, jnp.where(q == 1.0, cos, jnp.where(q == 2.0, -sin, -cos)))
    return c, s


def normal_pair(word, dtype):
    """Two independent standard normals from one 64-bit word: ``jaxmm._src.random_numbers.normal_pair``'s
    Box-Muller on the word's two 32-bit halves (the same numbers up to rounding), with the
    sine and cosine from ``_sincos_turns`` so that XLA vectorises them."""
    u1, u2 = mmrandom.uniform(word, 32, 32, dtype), mmrandom.uniform(word, 0, 32, dtype)
    radius = jnp.sqrt(-2.0 * jnp.log1p(-u1))
    c, s = _sincos_turns(u2)
    return radius * c, radius * s


def _rng_normals(key, n_paths: int, dtype):
    def normals(j):
        word = mmrandom.path_words(jax.random.fold_in(key, j), 1, n_paths)[0]
        # The barrier keeps XLA from fusing the generator into every grid point's step
        # (it would redraw the normals G times: common random numbers are computed once).
        return jax.lax.optimization_barrier(normal_pair(word, dtype))
    return normals


def _params(fields) -> HedgeParams:
    return HedgeParams(*fields[:-1], mu=fields[-1])


@functools.partial(jax.jit, static_argnames=("n_paths", "n_steps", "kind", "decompose", "dtype"))
def _grid_chunk(fields, key, n_paths: int, n_steps: int, kind: str, decompose: bool, dtype):
    normals = _rng_normals(key, n_paths, dtype)   # outside the vmap: shared by every grid point
    return jax.vmap(lambda f: _run(_params(f), n_steps, n_paths, kind, decompose, dtype, normals))(fields)


def _grid_fields(grid: HedgeParams, dtype):
    grid = grid._replace(mu=grid.r if grid.mu is None else grid.mu)
    fields = jnp.broadcast_arrays(*(jnp.asarray(x, dtype) for x in grid))
    return tuple(jnp.atleast_1d(f) for f in fields)


def _check(n_paths: int, n_steps: int, kind: str) -> None:
    _check_kind(kind)
    if n_paths < 1 or n_steps < 1:
        raise ValueError(f"n_paths and n_steps must be >= 1; got {n_paths}, {n_steps}")


def simulate_hedge(grid: HedgeParams, key: jax.Array, n_paths: int, n_steps: int, *, kind: str = "call",
                   decompose: bool = True, dtype=jnp.float64, chunk: int | None = None,
                   devices: Sequence[jax.Device] | None = None, label: str = "") -> HedgeResult:
    """Delta-hedge ``n_paths`` paths with ``n_steps`` rebalancing times for every parameter
    set of ``grid`` (fields broadcast to a leading axis ``G``; scalars give ``G = 1``).

    Args:
      grid: HedgeParams (arrays broadcast together).
      key: PRNG key; every grid point sees the same normals.
      n_paths: paths per grid point.
      n_steps: rebalancing times ``N`` (static: one compilation per value).
      kind: ``"call"``, ``"put"`` or ``"straddle"`` (static).
      decompose: also return the P&L decomposition (five more running sums: about 2x slower).
      dtype: float64 or float32 paths (the random words need ``jax_enable_x64``).
      chunk: paths per jitted call (default ``CHUNK_ELEMENTS // G``, at least 1024); path
        ``p`` is path ``p mod size`` of chunk ``p // size``.
      devices: chunks alternate between these (default: JAX's default device).
      label: name in the progress log (INFO, logger ``jaxmm.hedging.delta_hedge``).
    Returns:
      HedgeResult of (G, n_paths) arrays.
    """
    _check(n_paths, n_steps, kind)
    fields = _grid_fields(grid, dtype)
    g = fields[0].shape[0]

    def run(placed, chunk_key, size):
        return _grid_chunk(placed, chunk_key, size, n_steps, kind, decompose, dtype)
    return HedgeResult(*run_chunks(run, fields, key, n_paths, default_chunk(chunk, g), n_steps * g, devices, log,
                                   label or kind, "hedge steps"))


def default_chunk(chunk: int | None, g: int) -> int:
    """Paths per jitted call: ``chunk``, or ``CHUNK_ELEMENTS // g`` and at least 1024."""
    return chunk or max(1024, CHUNK_ELEMENTS // g)


def simulate_hedge_over_n(grid: HedgeParams, key: jax.Array, n_paths: int, n_steps: Sequence[int],
                          **options) -> HedgeResult:
    """``simulate_hedge`` for each ``N`` of ``n_steps`` (one jitted call per value, the same
    key: the paths differ with ``N``), stacked: HedgeResult of (len(n_steps), G, n_paths)."""
    runs = [simulate_hedge(grid, key, n_paths, int(n), **options) for n in n_steps]
    return HedgeResult(*(None if x[0] is None else jnp.stack(x) for x in zip(*runs)))


@functools.partial(jax.jit, static_argnames=("kind", "decompose"))
def hedge_paths(p: HedgeParams, z: jax.Array, kind: str = "call", decompose: bool = True) -> HedgeResult:
    """Hedge the paths driven by the given normals ``z`` (n_steps, n_paths) for one
    parameter set (scalar fields): HedgeResult of (n_paths,). The paths' dtype is ``z``'s.
    Used for tests and for the same Brownian path at several ``N`` (sum blocks of ``z``)."""
    _check_kind(kind)
    n_steps, n_paths = z.shape
    fields = _grid_fields(p, z.dtype)
    p = _params(tuple(f[0] for f in fields))

    def normals(j):
        i0 = 2 * j
        return z[i0], z[jnp.minimum(i0 + 1, n_steps - 1)]
    return _run(p, n_steps, n_paths, kind, decompose, z.dtype, normals)
