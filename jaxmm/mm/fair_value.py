"""Market making around a fair value: a prediction-market contract against its call spread.

Numerics core (no pandas). Seed 001: a contract paying $1 if the futures settles above
``K`` at ``T`` has a tradeable fair value, the tight call spread priced by Black-76 on the
futures (undiscounted: collateralised), with strikes ``K -+ h``::

    fair(F, t) = (C(F, K - h, t, sigma) - C(F, K + h, t, sigma)) / (2 h)   ->  N(d2) as h -> 0
    delta(F, t) = (N(d1(K - h)) - N(d1(K + h))) / (2 h)                    (per $1 of futures)

and, at ``t <= 0``, the contract's own payoff ``1{F > K}`` (the spread's ramp payoff would
misstate it on ``|F - K| < h``), delta 0. The traded price follows fair value but
overreacts to its moves (``jaxmm.synthetic.series``' prediction market)::

    o_i  = a o_{i-1} + (s - 1) (fair_i - fair_{i-1})       overreaction, slope s > 1, decay a
    pm_i = clip(fair_i + o_i + noise eps_i, 0.01, 0.99)     eps_i iid N(0, 1)

so ``d pm = s d fair + (a - 1) o_{i-1} + noise (eps_i - eps_{i-1})``: fair value is a
martingale (driftless futures, no discounting), its increments are uncorrelated with the
past ``o_{i-1}`` and with the noise, and the OLS slope of ``d pm`` on ``d fair`` converges
to ``s`` whatever ``a``; the slope of ``d pm`` on ``d F`` (the market's implied delta)
converges to ``s`` times that of ``d fair`` on ``d F`` (the call spread's).
``regression_deltas`` estimates these from daily observed series.

**Simulation** (``simulate_fair_value``; conventions ours). ``n = round(T 252 spd)``
steps of ``dt = T / n`` years (``spd`` = ``steps_per_day``, business-day clock). The
futures is a driftless GBM, ``F_{i+1} = F_i exp(-sigma^2 dt / 2 + sigma sqrt(dt) z_i)``;
the overreaction's daily decay ``a`` is applied per step as ``a^(1/spd)`` and the price
noise is drawn afresh every step. At step ``i``, with time left ``T - i dt``:

1. the market trades at ``pm_i``; the market maker (MM) quotes ``bid = fair_i - hs - skew q``,
   ``ask = fair_i + hs - skew q`` (``hs`` = ``half_spread``, ``q`` = contracts held);
2. takers hit each side at most once (both may fill), with probability
   ``1 - exp(-lambda dt_days)``, ``lambda = A exp(-k x)`` per business day, where ``x`` is how
   far the quote is on the wrong side of the market: ``x = pm - bid`` for the bid (takers sell
   to an MM bidding above the market), ``x = ask - pm`` for the ask; a fill trades ``size``
   contracts at the MM's quote, none on the side that would take ``|q|`` above ``q_max``;
3. the MM hedges: with ``H`` futures held, the net delta is ``q delta_i + H``; where
   ``|q delta_i + H| > threshold`` it trades ``-(q delta_i + H)`` futures (back to zero delta)
   and pays ``hedge_cost`` per futures unit traded (half bid-ask plus fee). Threshold 0 hedges
   every step, ``inf`` never;
4. the futures moves; the hedge earns ``H (F_{i+1} - F_i)`` (variation margin).

At ``T`` the contracts settle at ``1{F_T > K}``. P&L = cash from contract trades + contracts x
payoff + futures P&L - hedge costs; ``edge`` is its part earned at the fills against fair value,
``size (fair - bid)`` per buy and ``size (ask - fair)`` per sell (``hs size`` each when
``skew = 0``). The market, the fills and so the contract inventory do not depend on the
hedge, so every hedge threshold of one call sees the same paths (common random numbers) and
differs only in its futures trades: the grid shows the trade-off between P&L risk and hedging
cost. Units: contracts pay $1; futures P&L and ``hedge_cost`` are in $ per futures unit;
thresholds and deltas in futures units.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmm.mm.fills import crossing_fill_probability
from jaxmm.mm.policies.fair_value_quoting import FairValueQuoting
from jaxmm.pricing import black
from jaxmm._src.dtypes import float_inputs

DAYS_PER_YEAR = 252.0
PM_FLOOR, PM_CAP = 0.01, 0.99          # the traded price's clip (one tick from 0 and 1)
PATH_CHUNK = 32768                     # paths simulated together (lax.map over chunks): bounded memory
_POLICY = FairValueQuoting()           # jaxmm.mm.policies.fair_value_quoting


# ---------------------------------------------------------------------------------------
# Fair value and its delta


@jax.jit
def fair_value(futures, strike, half_width, t, vol):
    """Fair value of "pays 1 if ``F_T > K``": the ``K -+ h`` call spread per unit width.

    ``(C(K - h) - C(K + h)) / (2 h)`` by Black-76, undiscounted (``black.tight_spread_digital``
    with width ``2 h``); ``1{F > K}`` where ``t <= 0``. In ``[0, 1]``; tends to the digital
    ``N(d2)`` as ``h -> 0`` (error ``O(h^2)``). Arguments broadcast; dtype follows the inputs.

    Example::

      >>> float(fair_value(85.0, 90.0, 0.5, 54 / 252, 0.6))    # the synthetic contract's start
      0.36518...
    """
    futures, strike, half_width, t, vol = float_inputs(futures, strike, half_width, t, vol)
    spread = black.tight_spread_digital(futures, strike, 2.0 * half_width, t, vol)
    return jnp.where(t > 0, spread, (futures > strike).astype(spread.dtype))


@jax.jit
def fair_delta(futures, strike, half_width, t, vol):
    """``d fair / dF = (N(d1(K - h)) - N(d1(K + h))) / (2 h)`` per $1 of futures; 0 at ``t <= 0``.

    The difference of the two calls' Black-76 deltas (``black.delta``). Broadcast shape.
    """
    futures, strike, half_width, t, vol = float_inputs(futures, strike, half_width, t, vol)
    spread = (black.delta(futures, strike - half_width, t, vol, True)
              - black.delta(futures, strike + half_width, t, vol, True)) / (2.0 * half_width)
    return jnp.where(t > 0, spread, jnp.zeros_like(spread))


def _fair_and_delta(futures, strike, half_width, t, vol):
    """(fair, delta) in one pass: the JVP of ``fair_value`` in the futures (black's exact partials)."""
    return jax.jvp(lambda f: fair_value(f, strike, half_width, t, vol), (futures,), (jnp.ones_like(futures),))


# ---------------------------------------------------------------------------------------
# Regression deltas


class OLSFit(NamedTuple):
    """Ordinary least squares ``y = intercept + slope x + e`` on the finite pairs."""

    slope: jax.Array
    intercept: jax.Array
    slope_se: jax.Array   # classical (homoskedastic) standard error, sqrt(s^2 / Sxx), s^2 = RSS / (n - 2)
    r2: jax.Array
    n: jax.Array          # pairs used; slope, se and r2 are NaN where n < 3 or x is constant


class RegressionDeltas(NamedTuple):
    """Seed 001's regressions on a daily series (each an ``OLSFit``)."""

    implied_delta: OLSFit   # d pm on d F: the market's implied delta (probability per $1)
    spread_delta: OLSFit    # d fair on d F: the call spread's regression delta
    overreaction: OLSFit    # d pm on d fair: > 1 means the market overreacts
    level_pm: OLSFit        # pm on F (levels: the seed's scatter)
    level_fair: OLSFit      # fair on F (levels)


@jax.jit
def ols(x, y, mask=None) -> OLSFit:
    """OLS of ``y`` on ``x`` (1-D) with an intercept, over pairs where both are finite (and ``mask``).

    Centred two-pass sums: ``slope = Sxy / Sxx``, ``intercept = ybar - slope xbar``,
    ``se = sqrt(RSS / (n - 2) / Sxx)``, ``R^2 = 1 - RSS / Syy``. jit- and vmap-able (the
    dropped pairs get weight 0, so shapes do not depend on the data).
    """
    x, y = float_inputs(x, y)
    ok = jnp.isfinite(x) & jnp.isfinite(y)
    if mask is not None:
        ok = ok & mask
    w = ok.astype(x.dtype)
    x, y = jnp.where(ok, x, 0.0), jnp.where(ok, y, 0.0)
    n = w.sum()
    safe_n = jnp.maximum(n, 1.0)
    xbar, ybar = (w * x).sum() / safe_n, (w * y).sum() / safe_n
    dx, dy = w * (x - xbar), w * (y - ybar)
    sxx, syy, sxy = (dx * dx).sum(), (dy * dy).sum(), (dx * dy).sum()
    usable = (n >= 3.0) & (sxx > 0)
    slope = jnp.where(usable, sxy / jnp.where(usable, sxx, 1.0), jnp.nan)
    resid = dy - slope * dx
    rss = (resid * resid).sum()
    se = jnp.sqrt(rss / jnp.maximum(n - 2.0, 1.0) / jnp.where(usable, sxx, 1.0))
    r2 = 1.0 - rss / jnp.where(syy > 0, syy, jnp.nan)
    nan = jnp.asarray(jnp.nan, x.dtype)
    return OLSFit(slope, ybar - slope * xbar, jnp.where(usable, se, nan), jnp.where(usable, r2, nan),
                  ok.sum())


@jax.jit
def regression_deltas(futures, pm_price, fair) -> RegressionDeltas:
    """Implied delta, call-spread delta and overreaction slope from daily series (1-D, same length).

    Differences are day-on-day; a day is dropped from all three difference regressions where
    any of ``d F``, ``d pm``, ``d fair`` is NaN (so they share one sample), and from the two
    level regressions where any level is NaN. ``implied_delta.slope / spread_delta.slope`` and
    ``overreaction.slope`` both estimate the overreaction ``s`` (module doc).
    """
    futures, pm_price, fair = float_inputs(futures, pm_price, fair)
    d_f, d_pm, d_fair = jnp.diff(futures), jnp.diff(pm_price), jnp.diff(fair)
    days = jnp.isfinite(d_f) & jnp.isfinite(d_pm) & jnp.isfinite(d_fair)
    levels = jnp.isfinite(futures) & jnp.isfinite(pm_price) & jnp.isfinite(fair)
    return RegressionDeltas(ols(d_f, d_pm, days), ols(d_f, d_fair, days), ols(d_fair, d_pm, days),
                            ols(futures, pm_price, levels), ols(futures, fair, levels))


# ---------------------------------------------------------------------------------------
# Monte Carlo of a market maker quoting around fair value


class FairValueParams(NamedTuple):
    """One set-up (module doc). Defaults: the synthetic prediction market (``config.py``) over
    its 54 business days, an MM quoting 1c around fair value."""

    futures0: float = 85.0
    vol: float = 0.6                  # futures GBM vol = Black-76 vol of the spread
    strike: float = 90.0
    half_width: float = 0.5
    T: float = 54.0 / DAYS_PER_YEAR   # years (business-day clock)
    steps_per_day: float = 8.0        # n_steps = round(T 252 steps_per_day)
    overreaction: float = 1.5         # s
    persistence: float = 0.7          # a, per day
    noise: float = 0.01               # sd of the traded price's iid noise
    half_spread: float = 0.01         # MM quotes fair -+ half_spread
    skew: float = 0.0                 # quotes shift by -skew q (q in contracts)
    A: float = 10.0                   # taker arrivals per business day per side at x = 0
    k: float = 100.0                  # per unit of price: e^-1 fewer fills 1c further from the market
    size: float = 10.0                # contracts per fill
    q_max: float = 200.0              # |contracts held| <= q_max
    hedge_cost: float = 0.01          # $ per futures unit traded (half bid-ask + fee)


class FairValueStats(NamedTuple):
    """Per-path results, each (n_thresholds, n_paths); ``edge``, ``final_q``, ``n_buys`` and
    ``n_sells`` do not depend on the threshold (broadcast)."""

    pnl: jax.Array             # total P&L at settlement ($)
    edge: jax.Array            # quoting edge vs fair value at the fills ($)
    hedge_pnl: jax.Array       # futures P&L before costs ($)
    hedge_cost: jax.Array      # paid for futures trades ($)
    n_hedges: jax.Array        # futures trades
    futures_traded: jax.Array  # sum of |futures traded| (futures units)
    final_q: jax.Array         # contracts held at T, before settlement
    n_buys: jax.Array          # fills on the MM's bid
    n_sells: jax.Array         # fills on the MM's ask
    max_drawdown: jax.Array    # largest fall of the marked-to-fair wealth from its running peak ($)

    @property
    def n_fills(self):
        return self.n_buys + self.n_sells


class SamplePath(NamedTuple):
    """One path's series, each (n_steps + 1,): at step ``i`` after its fills and hedge
    (``pm``, quotes and marks at the step's prices), and at ``T`` the settlement (``fair`` =
    ``pm`` = payoff, quotes NaN)."""

    t: jax.Array          # years from the start
    futures: jax.Array
    fair: jax.Array
    pm: jax.Array
    bid: jax.Array
    ask: jax.Array
    inventory: jax.Array  # contracts
    hedge: jax.Array      # futures held
    wealth: jax.Array     # cash + contracts x fair + futures P&L - hedge costs ($)


fill_probability = crossing_fill_probability   # the old name; not the A-S quote_fill_probability


def n_steps_of(p: FairValueParams) -> int:
    """``round(T 252 steps_per_day)``, at least 1 (needs concrete ``T`` and ``steps_per_day``)."""
    return max(1, int(round(float(p.T) * DAYS_PER_YEAR * float(p.steps_per_day))))


def _run(p: FairValueParams, thresholds, key, n_paths: int, n_steps: int, record: bool):
    """Scan ``n_steps`` steps of ``n_paths`` paths for thresholds (G,): (final carry, per-step records)."""
    dtype = p.T.dtype
    dt = p.T / n_steps
    dt_days = dt * DAYS_PER_YEAR
    sd = p.vol * jnp.sqrt(dt)
    decay = p.persistence ** (1.0 / p.steps_per_day)
    zeros = jnp.zeros(n_paths, dtype)
    zeros_g = jnp.zeros((thresholds.shape[0], n_paths), dtype)

    def tau(i):   # time left at step i; exactly 0 at i = n_steps
        return (n_steps - i).astype(dtype) * dt

    def step(carry, i):
        (f, fair, delta, o, q, cash, edge, n_buy, n_sell, h, h_pnl, cost, n_hedge, traded, peak, dd) = carry
        k_i = jax.random.fold_in(key, i)
        z = jax.random.normal(jax.random.fold_in(k_i, 0), (2, n_paths), dtype)
        u = jax.random.uniform(jax.random.fold_in(k_i, 1), (2, n_paths), dtype)
        pm = jnp.clip(fair + o + p.noise * z[1], PM_FLOOR, PM_CAP)
        bid, ask = _POLICY.quotes(fair, q, p)
        bought = (q + p.size <= p.q_max) & (u[0] < crossing_fill_probability(pm - bid, dt_days, p.A, p.k))
        sold = (q - p.size >= -p.q_max) & (u[1] < crossing_fill_probability(ask - pm, dt_days, p.A, p.k))
        b, s = bought.astype(dtype), sold.astype(dtype)
        cash = cash + p.size * (s * ask - b * bid)
        edge = edge + p.size * (b * (fair - bid) + s * (ask - fair))
        q = q + p.size * (b - s)
        # Hedge back to zero net delta where it is beyond the threshold (every threshold at once).
        net = q * delta + h
        trade = jnp.abs(net) > thresholds[:, None]
        dh = jnp.where(trade, -net, 0.0)
        h = h + dh
        cost = cost + p.hedge_cost * jnp.abs(dh)
        wealth_now = cash + q * fair + h_pnl - cost
        # The futures moves; fair value and delta at the new price and time left.
        f_new = f * jnp.exp(-0.5 * sd * sd + sd * z[0])
        fair_new, delta_new = _fair_and_delta(f_new, p.strike, p.half_width, tau(i + 1), p.vol)
        o = decay * o + (p.overreaction - 1.0) * (fair_new - fair)
        h_pnl = h_pnl + h * (f_new - f)
        wealth = cash + q * fair_new + h_pnl - cost
        peak = jnp.maximum(peak, wealth)
        carry = (f_new, fair_new, delta_new, o, q, cash, edge, n_buy + b, n_sell + s, h, h_pnl, cost,
                 n_hedge + trade.astype(dtype), traded + jnp.abs(dh), peak, jnp.maximum(dd, peak - wealth))
        return carry, ((f, fair, pm, bid, ask, q, h, wealth_now) if record else None)

    f0 = zeros + p.futures0
    fair0, delta0 = _fair_and_delta(f0, p.strike, p.half_width, tau(jnp.asarray(0)), p.vol)
    init = (f0, fair0, delta0, zeros, zeros, zeros, zeros, zeros, zeros,
            zeros_g, zeros_g, zeros_g, zeros_g, zeros_g, zeros_g, zeros_g)
    return jax.lax.scan(step, init, jnp.arange(n_steps))


def _stats(carry) -> FairValueStats:
    (_, fair, _, _, q, cash, edge, n_buy, n_sell, _, h_pnl, cost, n_hedge, traded, _, dd) = carry
    # At T (tau = 0) fair is the payoff 1{F_T > K}: wealth marked to it is the settled P&L.
    pnl = cash + q * fair + h_pnl - cost
    g = pnl.shape
    return FairValueStats(pnl, jnp.broadcast_to(edge, g), h_pnl, cost, n_hedge, traded, jnp.broadcast_to(q, g),
                          jnp.broadcast_to(n_buy, g), jnp.broadcast_to(n_sell, g), dd)


def _as_params(p: FairValueParams, dtype) -> FairValueParams:
    return FairValueParams(*(jnp.asarray(x, dtype) for x in p))


def _thresholds(hedge_thresholds, dtype):
    return jnp.atleast_1d(jnp.asarray(hedge_thresholds, dtype))


def _simulate(p, thresholds, key, n_paths: int, n_steps: int) -> FairValueStats:
    size = min(n_paths, PATH_CHUNK)
    n_chunks = -(-n_paths // size)
    chunks = jax.lax.map(lambda c: _stats(_run(p, thresholds, jax.random.fold_in(key, c), size, n_steps, False)[0]),
                         jnp.arange(n_chunks))
    # (chunks, G, size) -> (G, n_paths)
    return FairValueStats(*(jnp.moveaxis(x, 0, 1).reshape(x.shape[1], -1)[:, :n_paths] for x in chunks))


_simulate_jit = jax.jit(_simulate, static_argnames=("n_paths", "n_steps"))
_run_jit = jax.jit(_run, static_argnums=(3, 4, 5))


def simulate_fair_value(params: FairValueParams, key: jax.Array, n_paths: int, hedge_thresholds,
                        dtype=jnp.float64) -> FairValueStats:
    """Simulate ``n_paths`` paths of the MM for every hedge threshold (module doc).

    Args:
      params: a ``FairValueParams`` of scalars (``T`` and ``steps_per_day`` concrete: they fix
        the number of steps).
      key: PRNG key. Deterministic for a key: chunk ``c`` of ``PATH_CHUNK`` paths draws step
        ``i`` from ``fold_in(fold_in(fold_in(key, c), i), j)`` (``j = 0`` normals, 1 uniforms).
      n_paths: paths, run in chunks of ``PATH_CHUNK`` one after another (``lax.map``).
      hedge_thresholds: (G,) thresholds on ``|net delta|`` in futures units (0: every step;
        ``inf``: never); every threshold sees the same paths (common random numbers).
      dtype: float64, or float32 (the GPU setting).
    Returns:
      ``FairValueStats``, each (G, n_paths).

    Example::

      >>> r = simulate_fair_value(FairValueParams(), jax.random.PRNGKey(0), 10000, [0.0, 1.0, jnp.inf])
      >>> r.pnl.std(axis=1), r.hedge_cost.mean(axis=1)     # risk falls as hedging cost rises
      (Array([12.41772713, 17.44929642, 72.12559024], dtype=float64), Array([0.71010845, 0.37712012, 0.        ], dtype=float64))
    """
    p = _as_params(params, dtype)
    return _simulate_jit(p, _thresholds(hedge_thresholds, dtype), key, n_paths, n_steps_of(params))


def sample_path(params: FairValueParams, key: jax.Array, hedge_threshold=0.0, dtype=jnp.float64) -> SamplePath:
    """One path's time series (``SamplePath``, each (n_steps + 1,)) for a figure.

    The same path as ``simulate_fair_value(params, key, 1, [hedge_threshold])``: its last
    ``wealth`` is that call's ``pnl``.
    """
    p = _as_params(params, dtype)
    n_steps = n_steps_of(params)
    carry, (f, fair, pm, bid, ask, q, h, wealth) = _run_jit(
        p, _thresholds(hedge_threshold, dtype)[:1], jax.random.fold_in(key, 0), 1, n_steps, True)
    stats = _stats(carry)
    nan = jnp.full((1,), jnp.nan, dtype)

    def last(series, end):
        return jnp.concatenate([series.reshape(n_steps), jnp.reshape(end, (1,)).astype(dtype)])

    t = jnp.arange(n_steps + 1).astype(dtype) * (p.T / n_steps)
    return SamplePath(t, last(f, carry[0]), last(fair, carry[1]), last(pm, carry[1]),
                      jnp.concatenate([bid.reshape(n_steps), nan]), jnp.concatenate([ask.reshape(n_steps), nan]),
                      last(q, carry[4]), last(h[:, 0], carry[9][0]), last(wealth[:, 0], stats.pnl[0]))


__all__ = ["FairValueParams", "FairValueStats", "OLSFit", "RegressionDeltas", "SamplePath", "fair_delta",
           "fair_value", "fill_probability", "n_steps_of", "ols", "regression_deltas", "sample_path",
           "simulate_fair_value", "DAYS_PER_YEAR", "PATH_CHUNK"]
