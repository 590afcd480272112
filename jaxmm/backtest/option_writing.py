"""Covered-call and cash-secured-put "factory" (seed ``000_*.txt``), backtested honestly.

The seed's ``run_backtest`` draws the stock return and the vega P&L from random numbers;
here the strategy is run day by day on a real daily close series. **Option prices are
modelled, not traded quotes**: every option is priced by Black-Scholes (``jaxmm.pricing.black``)
at an implied vol taken from a vol index where one exists (VIX / 100) and from trailing
realised vol plus a stated premium elsewhere (``implied_vol_proxy``).

Numerics core: arrays in, NamedTuples out, no pandas. One ``lax.scan`` over days, ``vmap``
over a batch of strategy configurations (``StrategyConfig`` of arrays, built by
``strategy_config`` / ``config_grid``): a "factory" of configurations in one jitted call.

**Conventions** (every one configurable where it says so):

- *Underlying and dividends*: one daily close series (the S&P 500 price index ``Close``:
  Yahoo's ``Adj Close`` equals ``Close`` for ``^GSPC``, so dividends are not in it). By
  default dividends are ignored (``div_yield = 0``) for the strategy and for buy & hold
  alike. With ``div_yield = q > 0``, options are priced with yield ``q``, the strategy's
  stock earns ``q`` as cash (``n S_{t-1} (e^{q dt} - 1)``) and buy & hold reinvests it
  (``S_t/S_0 e^{q (t - t_0)}``).
- *Clock*: calendar days; time to expiry ``(expiry - date) / 365``; the cash balance
  (positive or negative) accrues ``e^{r_t dt/365}`` from the previous date to date ``t``.
- *Rate*: ``r`` constant or one value per day (default 0.02, about the 1999-2018 average
  3-month T-bill), used for pricing, cash and the Sharpe ratio's excess return.
- *Expiries*: standard monthly expiries, the third Friday of each month; an option settles
  at the close of the last trading day on or before that Friday (Good Friday: Thursday).
  Settlement is at the close (PM-settled, as SPY options; SPX monthlies settle at the
  Friday open, not modelled).
- *Entry*: on a day when the strategy holds no option (and the day's IV is known) it
  writes the nearest monthly expiry whose calendar DTE lies in ``[dte_min, dte_max]``
  (default [30, 45]); if none does it waits. Re-entry the day of an exit is allowed (a
  roll). Strike ``S (1 + otm)`` (call) or ``S (1 - otm)`` (put), rounded to the nearest
  multiple of ``strike_step`` (default 5 index points; 0: no rounding).
- *Sizing*: the book starts at 1. The covered call holds ``n = E / S`` units of the index
  (fully invested: at each entry the stock is rebalanced to ``E / S``, paying stock costs
  on the traded amount) and writes ``n`` calls; premium goes to cash. The cash-secured put
  holds cash ``E`` and writes ``n = E / K`` puts (cash ``K`` per put) -- no stock.
- *Close rules* (checked at each close after the entry day): buy back when the option's
  model value ``V <= (1 - profit_take) P0`` (``P0`` the premium received; default
  ``profit_take = 0.5``, ``<= 0`` disables) or when DTE ``<= dte_close`` (default 21;
  ``0`` disables, hold to expiry).
- *Expiry / assignment*: at the settlement close an OTM option expires worthless; an ITM
  one is assigned: the covered call's stock is delivered at ``K`` and bought back at the
  same close, the put's stock is received at ``K`` and sold at the same close (no wheel).
  So assignment costs the intrinsic value ``n |S - K|^+`` plus stock costs on both legs,
  ``bps n (K + S)``, and the covered call keeps holding its stock.
- *Costs*: per option per side ``opt_cost_abs + opt_cost_rel * V`` (a half-spread in
  index points plus a fraction of the option's value; default 0.05 points + 2%), paid on
  writing and on buying back (not at expiry); stock trades ``stock_cost_bps`` (default 1 bp)
  of the traded value. Buying the initial stock is free for both strategy and buy & hold.
- *Vol*: ``iv`` per day (annualised decimal). Optional skew: the strike's vol is
  ``iv (1 - skew ln(K/S))`` (``skew > 0``: puts dearer, calls cheaper), floored at
  ``0.1 iv``; default ``skew = 0``. A NaN ``iv`` blocks new entries and marks open options
  at the last known vol.
- *Marking*: equity = stock + cash - options at model value, each close.

Portfolio Greeks (``book_greeks``) and seed 000's inventory rules (``inventory_breaches``,
definitions in ``RuleLimits``) are computed from the recorded positions; ``performance``,
``monthly_returns``, ``drawdown`` and ``crisis_table`` give the metrics against buy & hold.

Example::

    >>> import numpy as np
    >>> dates = np.arange("2024-01-02", "2024-07-01", dtype="datetime64[D]")
    >>> dates = dates[np.is_busday(dates)]
    >>> close = 100.0 * np.exp(0.0004 * np.arange(len(dates)))    # a steady 10%/year climb
    >>> cfg = config_grid(kind=["covered_call", "cash_secured_put"], otm=[0.05, 0.10])
    >>> iv = implied_vol_proxy(close, vix=np.full(len(dates), 20.0)).iv   # VIX at 20
    >>> bt = backtest(dates, close, iv, cfg, rate=0.02)
    >>> perf = performance(dates, bt.equity, rate=0.02)
    >>> np.round(perf.total_return, 4)    # calls 5% / 10% OTM, then puts 5% / 10% OTM
    array([0.0776, 0.0562, 0.0372, 0.0066])
"""

from __future__ import annotations

import itertools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from jaxmm.pricing import black
from jaxmm.stats.rolling import log_returns, realised_vol

__all__ = [
    "EXIT_CODES",
    "CRISIS_WINDOWS",
    "RULES",
    "StrategyConfig",
    "strategy_config",
    "stack_configs",
    "config_grid",
    "IVProxy",
    "implied_vol_proxy",
    "monthly_expiries",
    "Backtest",
    "backtest",
    "buy_and_hold",
    "BookGreeks",
    "book_greeks",
    "RuleLimits",
    "Breaches",
    "inventory_breaches",
    "breach_counts",
    "Performance",
    "performance",
    "drawdown",
    "monthly_returns",
    "CrisisTable",
    "crisis_table",
]

#: ``Backtest.exit_code`` values: why an option position ended that day.
EXIT_CODES = {0: "none", 1: "profit_take", 2: "dte_close", 3: "expired_otm", 4: "assigned"}

#: Peak-to-trough windows of the S&P 500 price index (close dates), for ``crisis_table``.
CRISIS_WINDOWS = (
    ("dot-com bust", "2000-03-24", "2002-10-09"),
    ("GFC", "2007-10-09", "2009-03-09"),
    ("2011 US downgrade", "2011-07-22", "2011-10-03"),
    ("2015-16 China/oil", "2015-08-17", "2016-02-11"),
    ("Q4 2018 selloff", "2018-09-20", "2018-12-24"),
)

_N_CANDIDATES = 6  # upcoming monthly expiries examined at entry: DTE windows up to ~150 days


# ---------------------------------------------------------------------------------------
# Configurations


class StrategyConfig(NamedTuple):
    """One strategy (scalar fields) or a batch (every field shaped ``(C,)``).

    Fields (float64 unless stated): ``is_call`` (bool: covered call; False: cash-secured
    put), ``otm`` (fraction out of the money), ``dte_min``/``dte_max`` (entry window,
    calendar days), ``profit_take`` (fraction of the premium captured that triggers a
    buy-back; ``<= 0`` off), ``dte_close`` (buy back at DTE ``<=`` this; 0 off),
    ``strike_step`` (index points; 0 no rounding), ``opt_cost_abs`` (index points per option
    per side), ``opt_cost_rel`` (fraction of the option value per side), ``stock_cost_bps``
    (per side), ``skew`` (``vol = iv (1 - skew ln(K/S))``).
    """

    is_call: jax.Array
    otm: jax.Array
    dte_min: jax.Array
    dte_max: jax.Array
    profit_take: jax.Array
    dte_close: jax.Array
    strike_step: jax.Array
    opt_cost_abs: jax.Array
    opt_cost_rel: jax.Array
    stock_cost_bps: jax.Array
    skew: jax.Array


_KINDS = {"covered_call": True, "cash_secured_put": False}


def strategy_config(kind: str = "covered_call", otm: float = 0.05, dte_min: float = 30.0,
                    dte_max: float = 45.0, profit_take: float = 0.5, dte_close: float = 21.0,
                    strike_step: float = 5.0, opt_cost_abs: float = 0.05, opt_cost_rel: float = 0.02,
                    stock_cost_bps: float = 1.0, skew: float = 0.0) -> StrategyConfig:
    """One configuration (numpy scalars; ``kind`` is ``"covered_call"`` or ``"cash_secured_put"``)."""
    if kind not in _KINDS:
        raise ValueError(f"kind: expected one of {sorted(_KINDS)}, got {kind!r}")
    values = dict(otm=otm, dte_min=dte_min, dte_max=dte_max, profit_take=profit_take,
                  dte_close=dte_close, strike_step=strike_step, opt_cost_abs=opt_cost_abs,
                  opt_cost_rel=opt_cost_rel, stock_cost_bps=stock_cost_bps, skew=skew)
    for key, v in values.items():
        if not np.isfinite(v):
            raise ValueError(f"{key}: expected a finite number, got {v!r}")
    if dte_min > dte_max:
        raise ValueError(f"dte_min ({dte_min}) > dte_max ({dte_max})")
    return StrategyConfig(is_call=np.bool_(_KINDS[kind]),
                          **{k: np.float64(v) for k, v in values.items()})


def stack_configs(configs: Sequence[StrategyConfig]) -> StrategyConfig:
    """Stack scalar configurations into a batch (fields ``(C,)``)."""
    return StrategyConfig(*(np.stack([np.asarray(getattr(c, f)) for c in configs])
                            for f in StrategyConfig._fields))


def config_grid(**lists) -> StrategyConfig:
    """Cartesian product of the given value lists (``strategy_config``'s keywords), in
    ``itertools.product`` order of the keywords as given; other fields take their defaults.

    >>> config_grid(kind=["covered_call", "cash_secured_put"], otm=[0.05, 0.1]).otm
    array([0.05, 0.1 , 0.05, 0.1 ])
    """
    keys = list(lists)
    return stack_configs([strategy_config(**dict(zip(keys, combo)))
                          for combo in itertools.product(*(lists[k] for k in keys))])


def _batched(config: StrategyConfig) -> StrategyConfig:
    return StrategyConfig(*(np.atleast_1d(np.asarray(v)) for v in config))


# ---------------------------------------------------------------------------------------
# Implied vol


class IVProxy(NamedTuple):
    """``iv`` (annualised decimal, NaN before the realised vol is defined), ``from_index``
    (bool: the day's vol index was used), ``realised`` (the trailing realised vol)."""

    iv: np.ndarray
    from_index: np.ndarray
    realised: np.ndarray


def implied_vol_proxy(close, vix=None, window: int = 21, premium: float = 0.02,
                      multiplicative: bool = False, annualisation: float = 252.0) -> IVProxy:
    """The implied vol the options are priced at: the vol index where present, else
    trailing realised vol plus a premium.

    ``iv_t = VIX_t / 100`` where ``vix`` (in vol points, aligned on ``close``'s dates, NaN
    where missing) is finite; otherwise ``RV_t + premium`` (``multiplicative=False``, the
    default) or ``RV_t (1 + premium)``, with ``RV_t = std(ln S_{t-window+1..t} / S_{..-1};
    ddof=1) sqrt(annualisation)`` (``jaxmm.stats.rolling.realised_vol``, known at ``t``'s
    close: no look-ahead). Default premium 2 vol points: on the S&P 500 2014-2018, VIX /
    100 minus the 21-day realised vol averaged 3.1 points (median 3.6), and VIX (a 30-day
    variance-swap rate) sits 1-2 points above at-the-money IV, which in turn is above the
    IV of the 5-10% OTM calls written here. NaN for the first ``window`` days.

    Args:
      close: ``(T,)`` closes.
      vix: ``(T,)`` vol index in points or None.
    Returns:
      ``IVProxy`` of ``(T,)`` numpy arrays.
    """
    close = np.asarray(close, dtype=np.float64)
    rv = np.asarray(realised_vol(log_returns(jnp.asarray(close)), window=window,
                                 annualisation=float(annualisation)))
    proxy = rv * (1.0 + premium) if multiplicative else rv + premium
    if vix is None:
        from_index = np.zeros(close.shape, dtype=bool)
    else:
        v = np.asarray(vix, dtype=np.float64)
        from_index = np.isfinite(v) & (v > 0.0)
        proxy = np.where(from_index, v / 100.0, proxy)
    return IVProxy(iv=proxy, from_index=from_index, realised=rv)


# ---------------------------------------------------------------------------------------
# Calendar


def _days(dates) -> np.ndarray:
    """Calendar day numbers (days since 1970-01-01) as float64."""
    return np.asarray(dates).astype("datetime64[D]").astype(np.int64).astype(np.float64)


def monthly_expiries(first, last) -> np.ndarray:
    """Third Fridays of every month from ``first``'s month to 6 months after ``last``
    (``datetime64[D]``)."""
    first = np.datetime64(first, "M")
    last = np.datetime64(last, "M") + np.timedelta64(6, "M")
    months = np.arange(first, last + np.timedelta64(1, "M"), dtype="datetime64[M]")
    day1 = months.astype("datetime64[D]")
    weekday = (day1.astype(np.int64) + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    return day1 + ((4 - weekday) % 7 + 14).astype("timedelta64[D]")


# ---------------------------------------------------------------------------------------
# Backtest


class Backtest(NamedTuple):
    """Daily state of each configuration at the close, after that day's trades.

    Per-configuration fields are ``(C, T)``: ``equity`` (book value, starts at 1),
    ``stock_units``, ``option_units`` (number of options written, > 0 while short, 0 when
    flat), ``cash``, ``strike``, ``expiry`` (day number of the held option's expiry),
    ``option_value`` (model value of one option; 0 when flat), ``option_vol`` (vol it is
    marked at), ``premium`` (``P0`` received per option for the open position),
    ``exit_code`` (int32, ``EXIT_CODES``), ``entered`` (bool: an option was written that
    day), ``costs`` (transaction costs paid that day), ``premium_received`` (``n P0`` that
    day). Shared ``(T,)`` fields: ``dates`` (``datetime64[D]``), ``day`` (day numbers),
    ``spot``, ``rate``; ``div_yield`` scalar; ``config`` the batched ``StrategyConfig``.
    """

    equity: np.ndarray
    stock_units: np.ndarray
    option_units: np.ndarray
    cash: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray
    option_value: np.ndarray
    option_vol: np.ndarray
    premium: np.ndarray
    exit_code: np.ndarray
    entered: np.ndarray
    costs: np.ndarray
    premium_received: np.ndarray
    dates: np.ndarray
    day: np.ndarray
    spot: np.ndarray
    rate: np.ndarray
    div_yield: float
    config: StrategyConfig


class _State(NamedTuple):
    stock: jax.Array
    units: jax.Array
    cash: jax.Array
    strike: jax.Array
    expiry: jax.Array
    premium: jax.Array
    active: jax.Array
    last_iv: jax.Array


def _strike_vol(iv, strike, spot, skew):
    return jnp.maximum(iv * (1.0 - skew * jnp.log(strike / spot)), 0.1 * iv)


def _run_one(cfg: StrategyConfig, xs, div_yield):
    """Scan over days for one configuration (scalar fields)."""
    call = cfg.is_call
    spot0 = xs["spot"][0]
    zero = jnp.zeros((), spot0.dtype)
    init = _State(stock=jnp.where(call, 1.0 / spot0, zero), units=zero,
                  cash=jnp.where(call, zero, 1.0), strike=spot0, expiry=zero, premium=zero,
                  active=jnp.zeros((), bool), last_iv=jnp.asarray(0.2, spot0.dtype))
    bps = 1e-4 * cfg.stock_cost_bps

    def step(st: _State, x):
        day, s, r = x["day"], x["spot"], x["rate"]
        iv_ok = jnp.isfinite(x["iv"])
        iv = jnp.where(iv_ok, x["iv"], st.last_iv)
        dt = (day - x["prev_day"]) / 365.0
        cash = st.cash * jnp.exp(r * dt) + st.stock * x["prev_spot"] * jnp.expm1(div_yield * dt)

        # Price the open option and the one that would be written today.
        dte = st.expiry - day
        vol = _strike_vol(iv, st.strike, s, cfg.skew)
        cand = x["candidates"]
        in_window = (cand - day >= cfg.dte_min) & (cand - day <= cfg.dte_max)
        can_write = jnp.any(in_window)
        new_expiry = jnp.where(can_write, cand[jnp.argmax(in_window)], day + 30.0)
        k_raw = s * jnp.where(call, 1.0 + cfg.otm, 1.0 - cfg.otm)
        step_ok = cfg.strike_step > 0.0
        k_new = jnp.where(step_ok, jnp.round(k_raw / jnp.where(step_ok, cfg.strike_step, 1.0))
                          * cfg.strike_step, k_raw)
        vol_new = _strike_vol(iv, k_new, s, cfg.skew)
        value = black.bs_price(s, st.strike, jnp.maximum(dte, 0.0) / 365.0, vol, call, r, div_yield)
        p_new = black.bs_price(s, k_new, (new_expiry - day) / 365.0, vol_new, call, r, div_yield)
        # 1. The open option: settle at expiry, or buy back by a close rule.
        intrinsic = jnp.where(call, jnp.maximum(s - st.strike, 0.0), jnp.maximum(st.strike - s, 0.0))
        settle = st.active & (x["next_day"] > st.expiry)
        itm = intrinsic > 0.0
        take = (cfg.profit_take > 0.0) & (value <= (1.0 - cfg.profit_take) * st.premium)
        late = (cfg.dte_close > 0.0) & (dte <= cfg.dte_close)
        close = st.active & ~settle & (take | late)
        assign_cost = jnp.where(settle & itm, bps * st.units * (st.strike + s), 0.0)
        buyback_cost = jnp.where(close, st.units * (cfg.opt_cost_abs + cfg.opt_cost_rel * value), 0.0)
        cash = (cash - jnp.where(settle, st.units * intrinsic, 0.0) - assign_cost
                - jnp.where(close, st.units * value, 0.0) - buyback_cost)
        exit_code = jnp.where(settle, jnp.where(itm, 4, 3),
                              jnp.where(close, jnp.where(take, 1, 2), 0)).astype(jnp.int32)
        active = st.active & ~(settle | close)

        # 2. Entry when flat: nearest monthly expiry with DTE in [dte_min, dte_max].
        enter = ~active & can_write & iv_ok
        equity_flat = st.stock * s + cash
        n_new = jnp.where(call, equity_flat / s, equity_flat / k_new)
        stock_new = jnp.where(call, n_new, 0.0)
        rebalance_cost = bps * jnp.abs(stock_new - st.stock) * s
        write_cost = n_new * (cfg.opt_cost_abs + cfg.opt_cost_rel * p_new)
        cash_new = cash - (stock_new - st.stock) * s - rebalance_cost + n_new * p_new - write_cost

        stock = jnp.where(enter, stock_new, st.stock)
        cash = jnp.where(enter, cash_new, cash)
        units = jnp.where(enter, n_new, jnp.where(active, st.units, 0.0))
        strike = jnp.where(enter, k_new, st.strike)
        expiry = jnp.where(enter, new_expiry, st.expiry)
        premium = jnp.where(enter, p_new, st.premium)
        opt_vol = jnp.where(enter, vol_new, vol)
        active = active | enter
        mark = jnp.where(enter, p_new, jnp.where(active, value, 0.0))
        equity = stock * s + cash - units * mark
        costs = assign_cost + buyback_cost + jnp.where(enter, rebalance_cost + write_cost, 0.0)
        out = dict(equity=equity, stock_units=stock, option_units=units, cash=cash,
                   strike=strike, expiry=expiry, option_value=mark, option_vol=opt_vol,
                   premium=premium, exit_code=exit_code, entered=enter, costs=costs,
                   premium_received=jnp.where(enter, n_new * p_new, 0.0))
        new = _State(stock=stock, units=units, cash=cash, strike=strike, expiry=expiry,
                     premium=premium, active=active, last_iv=iv)
        return new, out

    return jax.lax.scan(step, init, xs)[1]


@jax.jit
def _run_batch(cfg, xs, div_yield):
    return jax.vmap(_run_one, in_axes=(0, None, None))(cfg, xs, div_yield)


def backtest(dates, close, iv, config: StrategyConfig, rate=0.02, div_yield: float = 0.0,
             expiries=None) -> Backtest:
    """Run a batch of option-writing configurations on one daily series (conventions: module
    docstring).

    Args:
      dates: ``(T,)`` trading dates, increasing (``datetime64``; anything numpy converts).
      close: ``(T,)`` closes of the underlying (positive, finite).
      iv: ``(T,)`` implied vol per day (annualised decimal; NaN: no entry that day).
      config: ``StrategyConfig``, scalar or batched ``(C,)``.
      rate: risk-free rate, scalar or ``(T,)`` (continuously compounded, per year).
      div_yield: continuous dividend yield ``q`` (default 0: dividends ignored).
      expiries: expiry dates (``datetime64[D]``); default ``monthly_expiries`` (third Fridays).
    Returns:
      ``Backtest`` with ``(C, T)`` numpy arrays (``C = 1`` for a scalar config).
    Cost: one jitted scan; 5,000 days x 50 configurations take well under a second on
    a 2-core CPU after compilation.
    """
    dates = np.asarray(dates).astype("datetime64[D]")
    day = _days(dates)
    spot = np.asarray(close, dtype=np.float64)
    n = day.shape[0]
    if spot.shape != (n,) or np.shape(iv) != (n,):
        raise ValueError(f"close and iv must be shaped like dates ({n},): got {spot.shape}, {np.shape(iv)}")
    if n < 2 or np.any(np.diff(day) <= 0):
        raise ValueError("dates: expected at least two strictly increasing dates")
    if not np.all(np.isfinite(spot) & (spot > 0.0)):
        raise ValueError("close: expected positive finite prices")
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), (n,)).copy()
    exp_days = _days(monthly_expiries(dates[0], dates[-1]) if expiries is None else expiries)
    exp_days = np.sort(exp_days)
    # Pad time (after the last date: flat spot, no IV so no entries; the scan is causal, so
    # the real days' outputs are unchanged) and the batch (copies of the first config) to
    # bucket sizes, so that series of similar lengths share one compiled scan.
    n_pad, cfg = _bucket_t(n), _batched(config)
    c, c_pad = cfg.otm.shape[0], _bucket_c(cfg.otm.shape[0])
    pad_day = np.concatenate([day, day[-1] + np.arange(1.0, n_pad - n + 1.0)])
    first = np.searchsorted(exp_days, pad_day, side="right")
    idx = first[:, None] + np.arange(_N_CANDIDATES)[None, :]
    padded = np.concatenate([exp_days, np.full(_N_CANDIDATES, np.inf)])
    candidates = padded[np.minimum(idx, padded.shape[0] - 1)]
    pad_spot = np.pad(spot, (0, n_pad - n), mode="edge")
    xs = dict(day=pad_day, prev_day=np.concatenate([pad_day[:1], pad_day[:-1]]),
              next_day=np.append(pad_day[1:], pad_day[-1] + 1.0), spot=pad_spot,
              prev_spot=np.concatenate([pad_spot[:1], pad_spot[:-1]]), rate=np.pad(rate, (0, n_pad - n), mode="edge"),
              iv=np.pad(np.asarray(iv, dtype=np.float64), (0, n_pad - n), constant_values=np.nan),
              candidates=candidates)
    cfg_pad = StrategyConfig(*(jnp.asarray(np.pad(v, (0, c_pad - c), mode="edge")) for v in cfg))
    out = _run_batch(cfg_pad, {k: jnp.asarray(v) for k, v in xs.items()}, jnp.float64(div_yield))
    out = {k: np.asarray(v)[:c, :n] for k, v in out.items()}
    return Backtest(**out, dates=dates, day=day, spot=spot, rate=rate, div_yield=float(div_yield), config=cfg)


def _bucket_t(n: int) -> int:
    return -(-n // 512) * 512


def _bucket_c(c: int) -> int:
    return max(4, 1 << (c - 1).bit_length())


def buy_and_hold(dates, close, div_yield: float = 0.0) -> np.ndarray:
    """Buy & hold equity ``S_t / S_0 e^{q (t - t_0)/365}`` (dividends reinvested when ``q > 0``)."""
    day = _days(dates)
    close = np.asarray(close, dtype=np.float64)
    return close / close[0] * np.exp(div_yield * (day - day[0]) / 365.0)


# ---------------------------------------------------------------------------------------
# Greeks and inventory rules


class BookGreeks(NamedTuple):
    """Greeks of the book at each close (stock + short options), ``(C, T)``.

    ``delta`` (index units), ``gamma`` (per index point), ``vega`` (per vol point,
    ``dV/dsigma / 100``), ``theta`` (per calendar day, ``-dV/dt / 365`` with spot, rate and
    yield fixed), and per unit of book value ``E``: ``delta_frac = delta S / E`` (the book's
    equity exposure, 1 for buy & hold), ``gamma_frac = gamma S^2 / (100 E)`` (change of
    ``delta_frac`` per 1% move), ``vega_frac = vega / E`` (book change per vol point),
    ``theta_frac = theta / E``. Per-option quantities for the rules: ``option_gamma_1pct``
    (``Gamma S / 100``: delta change of one option per 1% move), ``dte`` (calendar days,
    NaN when flat), ``position_value_frac = n V / E`` (market value of the short option
    position), ``position_notional_frac = n S / E`` (index notional it covers).
    """

    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    delta_frac: np.ndarray
    gamma_frac: np.ndarray
    vega_frac: np.ndarray
    theta_frac: np.ndarray
    option_gamma_1pct: np.ndarray
    dte: np.ndarray
    position_value_frac: np.ndarray
    position_notional_frac: np.ndarray


@jax.jit
def _option_greeks(spot, strike, t, vol, is_call, rate, q):
    return (black.bs_delta(spot, strike, t, vol, is_call, rate, q), black.bs_gamma(spot, strike, t, vol, rate, q),
            black.bs_vega(spot, strike, t, vol, rate, q), black.bs_theta(spot, strike, t, vol, is_call, rate, q))


def book_greeks(bt: Backtest) -> BookGreeks:
    """Portfolio Greeks through time from a ``Backtest`` (Black-Scholes at each option's own
    strike vol, sticky strike: no skew term in the delta). Zero option Greeks when flat."""
    held = bt.option_units > 0.0
    s = np.broadcast_to(bt.spot, bt.equity.shape)
    dte = np.where(held, bt.expiry - bt.day, np.nan)
    t = np.where(held, np.maximum(dte, 0.0), 30.0) / 365.0
    k = np.where(held, bt.strike, s)
    vol = np.where(held, bt.option_vol, 0.2)
    call = np.broadcast_to(bt.config.is_call[:, None], s.shape)
    rate = np.broadcast_to(bt.rate, s.shape)
    c, n = s.shape
    width = ((0, _bucket_c(c) - c), (0, _bucket_t(n) - n))  # bucket shapes: one compilation
    d, g, v, th = (np.asarray(a)[:c, :n] for a in _option_greeks(
        *(np.pad(a, width, mode="edge") for a in (s, k, t, vol, call, rate)), bt.div_yield))
    n = np.where(held, bt.option_units, 0.0)
    e = bt.equity
    delta = bt.stock_units - n * d
    gamma = -n * g
    vega = -n * v / 100.0
    theta = -n * th / 365.0
    return BookGreeks(delta=delta, gamma=gamma, vega=vega, theta=theta, delta_frac=delta * s / e,
                      gamma_frac=gamma * s * s / (100.0 * e), vega_frac=vega / e, theta_frac=theta / e,
                      option_gamma_1pct=np.where(held, g * s / 100.0, 0.0), dte=dte,
                      position_value_frac=n * bt.option_value / e, position_notional_frac=n * s / e)


class RuleLimits(NamedTuple):
    """Seed 000's inventory rules, made precise ("Position Sizing Rules for Retail Market Makers").

    - ``position_value``: "max 5% of portfolio in any single options position": the market
      value of the short option position, ``n V / E > max_position`` (0.05).
    - ``position_notional``: the same 5% read as the index notional the options cover,
      ``n S / E > max_position``. A one-underlying covered call or CSP covers the whole book
      (~100%), so this fires whenever an option is held: a finding, reported, not hidden.
    - ``net_vega``: "keep net vega under +-10% of portfolio value", vega per vol point
      (the seed's ``vega / 100``) over book value: ``|vega_frac| > max_vega`` (0.10).
    - ``short_gamma_near_expiry``: "avoid selling options with |gamma| > 0.05 within 7 days
      of expiration": a short option with ``0 < DTE <= gamma_days`` (7) and
      ``|Gamma| S / 100 > gamma_limit``. The seed's 0.05 is per $1 on SPY at $450; made
      scale-free (delta change per 1% move) that is ``0.05 x 4.5 = 0.225``.

    Every comparison is strict: a value equal to its limit is not a breach.
    """

    max_position: float = 0.05
    max_vega: float = 0.10
    gamma_limit: float = 0.225
    gamma_days: float = 7.0


#: Rule names, in the order ``inventory_breaches`` reports them.
RULES = ("position_value", "position_notional", "net_vega", "short_gamma_near_expiry")


class Breaches(NamedTuple):
    """One row per (day, configuration, rule) in breach: ``date`` (``datetime64[D]``),
    ``config`` (index into the batch), ``rule`` (name, ``RULES``), ``value``, ``limit``;
    sorted by date, configuration, rule."""

    date: np.ndarray
    config: np.ndarray
    rule: np.ndarray
    value: np.ndarray
    limit: np.ndarray


def inventory_breaches(bt: Backtest, greeks: BookGreeks, limits: RuleLimits = RuleLimits()) -> Breaches:
    """Every breach of seed 000's inventory rules (``RuleLimits``) at each close."""
    held = bt.option_units > 0.0
    near = held & (greeks.dte > 0.0) & (greeks.dte <= limits.gamma_days)
    checks = [
        (greeks.position_value_frac, held & (greeks.position_value_frac > limits.max_position), limits.max_position),
        (greeks.position_notional_frac, held & (greeks.position_notional_frac > limits.max_position),
         limits.max_position),
        (np.abs(greeks.vega_frac), np.abs(greeks.vega_frac) > limits.max_vega, limits.max_vega),
        (np.abs(greeks.option_gamma_1pct), near & (np.abs(greeks.option_gamma_1pct) > limits.gamma_limit),
         limits.gamma_limit),
    ]
    rows = []
    for r, (value, fired, limit) in enumerate(checks):
        c, t = np.nonzero(fired)
        rows.append((t, c, np.full(c.shape, r), value[c, t], np.full(c.shape, float(limit))))
    t, c, r, value, limit = (np.concatenate(parts) for parts in zip(*rows))
    order = np.lexsort((r, c, t))
    return Breaches(date=bt.dates[t[order]], config=c[order], rule=np.asarray(RULES)[r[order]],
                    value=value[order], limit=limit[order])


def breach_counts(breaches: Breaches, n_configs: int) -> dict[str, np.ndarray]:
    """Days in breach per rule and configuration: ``{rule: (C,) int counts}``."""
    return {rule: np.bincount(breaches.config[breaches.rule == rule], minlength=n_configs) for rule in RULES}


# ---------------------------------------------------------------------------------------
# Metrics


class Performance(NamedTuple):
    """Summary of equity curves ``(..., T)``; every field shaped ``(...)``.

    ``total_return``; ``cagr = (E_T/E_0)^(1/years) - 1`` with ``years = calendar days /
    365.25``; ``ann_vol = std(daily simple returns, ddof=1) sqrt(252)``; ``sharpe = mean(x)
    / std(x, ddof=1) sqrt(252)`` with ``x`` the daily return in excess of the cash return
    ``e^{r_t dt/365} - 1``; ``max_drawdown`` (``min E/cummax(E) - 1``, <= 0) with its
    ``peak_date``, ``trough_date`` and ``recovery_date`` (first close back at the peak;
    NaT if never); ``best_month``/``worst_month`` (calendar-month returns, month-end to
    month-end, the first month from the first close) and their months (``datetime64[M]``).
    """

    total_return: np.ndarray
    cagr: np.ndarray
    ann_vol: np.ndarray
    sharpe: np.ndarray
    max_drawdown: np.ndarray
    peak_date: np.ndarray
    trough_date: np.ndarray
    recovery_date: np.ndarray
    best_month: np.ndarray
    best_month_date: np.ndarray
    worst_month: np.ndarray
    worst_month_date: np.ndarray
    years: float


def drawdown(equity) -> np.ndarray:
    """``E_t / max_{u <= t} E_u - 1`` along the last axis (<= 0)."""
    equity = np.asarray(equity, dtype=np.float64)
    return equity / np.maximum.accumulate(equity, axis=-1) - 1.0


def monthly_returns(dates, equity) -> tuple[np.ndarray, np.ndarray]:
    """Calendar-month returns: ``(months (M,) datetime64[M], returns (..., M))``, each the
    last close of the month over the last close of the previous month (the first month
    over the first close)."""
    dates = np.asarray(dates).astype("datetime64[D]")
    equity = np.asarray(equity, dtype=np.float64)
    month = dates.astype("datetime64[M]")
    last = np.flatnonzero(np.append(month[1:] != month[:-1], True))
    ends = equity[..., last]
    prev = np.concatenate([equity[..., :1], ends[..., :-1]], axis=-1)
    return month[last], ends / prev - 1.0


def performance(dates, equity, rate=0.0, periods_per_year: float = 252.0) -> Performance:
    """Performance of equity curves ``(..., T)`` on ``dates`` (``Performance`` for definitions)."""
    dates = np.asarray(dates).astype("datetime64[D]")
    day = _days(dates)
    equity = np.asarray(equity, dtype=np.float64)
    rate = np.broadcast_to(np.asarray(rate, dtype=np.float64), day.shape)
    years = (day[-1] - day[0]) / 365.25
    ret = equity[..., 1:] / equity[..., :-1] - 1.0
    excess = ret - np.expm1(rate[1:] * np.diff(day) / 365.0)
    ann = np.sqrt(periods_per_year)
    dd = drawdown(equity)
    trough = np.argmin(dd, axis=-1)
    peak = np.argmax(np.where(np.arange(day.shape[0]) <= trough[..., None], equity, -np.inf), axis=-1)
    peak_value = np.take_along_axis(equity, peak[..., None], axis=-1)
    back = (np.arange(day.shape[0]) > trough[..., None]) & (equity >= peak_value)
    recovered = back.any(axis=-1)
    recovery = np.where(recovered, dates[np.argmax(back, axis=-1)], np.datetime64("NaT"))
    months, mret = monthly_returns(dates, equity)
    with np.errstate(invalid="ignore", divide="ignore"):  # a riskless curve: Sharpe NaN/inf
        sharpe = excess.mean(axis=-1) / excess.std(axis=-1, ddof=1) * ann
    return Performance(
        total_return=equity[..., -1] / equity[..., 0] - 1.0,
        cagr=(equity[..., -1] / equity[..., 0]) ** (1.0 / years) - 1.0,
        ann_vol=ret.std(axis=-1, ddof=1) * ann,
        sharpe=sharpe,
        max_drawdown=dd.min(axis=-1), peak_date=dates[peak], trough_date=dates[trough],
        recovery_date=recovery, best_month=mret.max(axis=-1), best_month_date=months[mret.argmax(axis=-1)],
        worst_month=mret.min(axis=-1), worst_month_date=months[mret.argmin(axis=-1)], years=float(years))


class CrisisTable(NamedTuple):
    """Returns in given windows. ``name``, ``start``, ``end`` (the windows asked for, ``(W,)``),
    ``start_used``/``end_used`` (first close on/after ``start``, last on/before ``end``;
    NaT if the window is outside the data), ``ret`` (``(..., W)``: ``E_end / E_start - 1``,
    NaN outside the data), ``max_drawdown`` (``(..., W)``, peak-to-trough inside the window)."""

    name: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_used: np.ndarray
    end_used: np.ndarray
    ret: np.ndarray
    max_drawdown: np.ndarray


def crisis_table(dates, equity, windows=CRISIS_WINDOWS) -> CrisisTable:
    """Window returns of equity curves ``(..., T)`` for ``windows`` = ``(name, start, end)`` triples."""
    dates = np.asarray(dates).astype("datetime64[D]")
    equity = np.asarray(equity, dtype=np.float64)
    names = np.asarray([w[0] for w in windows])
    start = np.asarray([w[1] for w in windows], dtype="datetime64[D]")
    end = np.asarray([w[2] for w in windows], dtype="datetime64[D]")
    lead = equity.shape[:-1]
    ret = np.full(lead + (len(windows),), np.nan)
    mdd = np.full(lead + (len(windows),), np.nan)
    s_used = np.full(len(windows), np.datetime64("NaT"), dtype="datetime64[D]")
    e_used = s_used.copy()
    for w in range(len(windows)):  # a handful of windows, each a slice
        i = np.searchsorted(dates, start[w], side="left")
        j = np.searchsorted(dates, end[w], side="right") - 1
        if i >= dates.shape[0] or j < 0 or j <= i:
            continue
        s_used[w], e_used[w] = dates[i], dates[j]
        ret[..., w] = equity[..., j] / equity[..., i] - 1.0
        mdd[..., w] = drawdown(equity[..., i:j + 1]).min(axis=-1)
    return CrisisTable(name=names, start=start, end=end, start_used=s_used, end_used=e_used, ret=ret,
                       max_drawdown=mdd)
