"""Exact implied vols for the implied-vol accuracy tests and benchmark (mpmath, 50 digits).

The reference answers "what is the EXACT Black-76 implied vol of these float64 inputs?":
the price ``p``, forward ``F``, strike ``K``, expiry ``t`` and discount ``D`` are taken as
the exact binary values they hold (converted to ``mpf`` without rounding) and the equation

    D * Black(F, K, sigma * sqrt(t), is_call) = p

is solved for ``sigma`` at 50 significant digits. Black is evaluated as intrinsic + the
out-of-the-money counterpart's price (put-call parity in exact arithmetic), so neither a
1e-20 out-of-the-money price nor a 1e-12 time value on top of a large intrinsic loses
digits. The root is found in ``u = ln(sigma sqrt t)`` on ``ln(time value)`` (increasing in
``u``, so the root is unique) by Newton's method: from a guess where one is given (the
generating vol of a grid case, accepted only once a step is below 1e-42), otherwise in a
bracket with bisection wherever a Newton step leaves it; to a relative accuracy of ~1e-42: far below float64's 1.1e-16, so the reference is exact
for the purpose of a 1e-12 test.

Accuracy grid (:func:`accuracy_grid`), built once per process (``functools.lru_cache``):

- ``F`` in {1, 100}; ``t`` in {1 hour = 1/8760, 1 day, 1 week, 0.1, 1, 5, 30} years;
  ``sigma`` in {0.001, 0.01, 0.1, 0.3, 1, 2, 5}; calls and puts.
- log-moneyness ``x = ln(K/F)`` at multiples of the total deviation ``s = sigma sqrt t``:
  ``z * s`` for z in {0, +-0.01, +-0.1, +-0.5, +-1, ..., +-9} (so every (t, sigma) has
  strikes from the money out to where the price falls below 1e-20 F), plus the absolute
  ``x`` in {+-0.001, +-0.1, +-1, +-3}; ``|x| <= 10``. ``K = F exp(x)`` rounded to float64;
  with the call and the put at each strike, every strike gives one out-of-the-money (or
  at-the-money) option and one in-the-money option.
- ``p`` = the mpmath price at the *generating* sigma rounded to the nearest float64.
- A case is kept when its float64 price lies strictly inside the bounds
  ``intrinsic < p < upper`` (upper = F for a call, K for a put; exact comparison) and,
  the requirement's lower limits, the out-of-the-money price is >= 1e-20 F resp. the
  in-the-money time value ``p - intrinsic`` is >= 1e-12 F. Those outside the limits are
  dropped. Those whose float64 price rounds to the upper bound exactly (e.g. 500% x 30y
  at the money: ``p == F``) have no inverse: they are kept apart (``at_max``) and the
  expected answer is status ``AT_MAXIMUM``, vol ``+inf``.
- The expected vol ``sigma*`` is the mpmath inverse of the ROUNDED float64 price, not the
  generating sigma: rounding the price moves its inverse (by up to ``cond * 1.1e-16``
  relative, with ``cond = p / (sigma vega)`` the price elasticity of the vol, which is
  huge near the upper bound), and the requirement is relative to the exact inverse.
- Regimes (a case may belong to several): ``deep_otm`` (out of the money, p < 1e-8 F),
  ``short_expiry`` (t <= 1 day), ``long_expiry`` (t >= 5y), ``near_intrinsic`` (in the
  money, time value < 1e-6 F), ``low_vol`` (sigma <= 1%), ``high_vol`` (sigma >= 200%),
  ``near_max`` (upper - p < 1e-6 upper), and ``all``.
- ``D = 1`` in the grid: the requirement is about prices relative to the forward. A
  discounted copy (``discounted`` regime, D = exp(-0.05 t), p = D * Black rounded) is
  added for the out-of-the-money cases with F = 100 and s <= 2, where dividing by D (one rounding
  in float64) moves the inverse by less than 1e-13 relative; in the money near intrinsic
  or near the upper bound ``p / D`` cannot be formed exactly in float64 and the 1e-12
  requirement is stated for D = 1 only.

:func:`solve_padded` runs ``jaxmm.pricing.iv.implied_vol`` jitted on inputs padded to a multiple
of 8192 rows, so every test (and both test files) reuses one compiled program.

Script: ``python tests/_iv_reference.py`` prints the grid's size per regime and the build time.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import mpmath
import numpy as np
from mpmath.libmp import to_float

DPS = 50
HOUR, DAY, WEEK = 1.0 / 8760.0, 1.0 / 365.0, 7.0 / 365.0
T_GRID = (HOUR, DAY, WEEK, 0.1, 1.0, 5.0, 30.0)
SIGMA_GRID = (0.001, 0.01, 0.1, 0.3, 1.0, 2.0, 5.0)
F_GRID = (1.0, 100.0)
Z_GRID = (0.0, 0.01, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)
X_ABS = (0.001, 0.1, 1.0, 3.0)
X_MAX = 10.0
OTM_MIN, TV_MIN = 1e-20, 1e-12          # the requirement's lower limits (fractions of F)
REGIMES = ("all", "deep_otm", "short_expiry", "long_expiry", "near_intrinsic", "low_vol",
           "high_vol", "near_max", "discounted")

_ctx = mpmath.MPContext()
_ctx.dps = DPS


def mp(x: float):
    """The exact value of a float64 as an mpf (no rounding)."""
    return _ctx.mpf(float(x))


def to_f64(x) -> float:
    """An mpf rounded to the nearest float64."""
    return to_float(_ctx.mpf(x)._mpf_, rnd="n")


def _otm_price(F, K, s, is_call: bool):
    """Undiscounted Black price (mpf) of the call or put, as intrinsic + time value."""
    # time value = price of the out-of-the-money twin (parity: C - P = F - K)
    d1 = (_ctx.log(F / K) + s * s / 2) / s
    d2 = d1 - s
    if F <= K:      # call is OTM (or ATM)
        return F * _ctx.ncdf(d1) - K * _ctx.ncdf(d2)
    return K * _ctx.ncdf(-d2) - F * _ctx.ncdf(-d1)


def intrinsic_mp(F, K, is_call: bool):
    return max(F - K, 0) if is_call else max(K - F, 0)


def black_mp(F, K, s, is_call: bool):
    """Undiscounted Black-76 price with total deviation ``s = sigma sqrt t`` (mpf in, mpf out)."""
    return intrinsic_mp(F, K, is_call) + _otm_price(F, K, s, is_call)


def time_value_and_dlog(F, K, s, is_call: bool):
    """Time value ``tv(s)`` and ``d ln tv / d ln s = s F n(d1) / tv``."""
    tv = _otm_price(F, K, s, is_call)
    d1 = (_ctx.log(F / K) + s * s / 2) / s
    dens = F * _ctx.exp(-d1 * d1 / 2) / _ctx.sqrt(2 * _ctx.pi) * s
    return tv, dens / tv


def implied_vol_mp(price: float, forward: float, strike: float, t: float, is_call: bool,
                   discount: float = 1.0, guess: float | None = None):
    """Exact implied vol (mpf, ~40 correct digits) of float64 inputs, or ``None`` where
    the price is not strictly inside (intrinsic, upper) in exact arithmetic."""
    F, K, T, D = mp(forward), mp(strike), mp(t), mp(discount)
    target = mp(price) / D                                       # exact quotient at 50 digits
    tv_target = target - intrinsic_mp(F, K, is_call)
    upper = F if is_call else K
    if not (tv_target > 0 and target < upper):
        return None
    ln_target = _ctx.log(tv_target)

    def h(u):
        tv, dlog = time_value_and_dlog(F, K, _ctx.exp(u), is_call)
        return _ctx.log(tv) - ln_target, dlog

    tol = _ctx.mpf(10) ** (8 - DPS)
    if guess is not None:
        # Newton from the guess (the generating vol: within cond * 1e-16 of the root, so
        # quadratic convergence from the first step); accepted only when it converges.
        u = _ctx.log(mp(guess) * _ctx.sqrt(T))
        for _ in range(8):
            val, slope = h(u)
            du = val / slope
            u -= du
            if abs(du) < tol:
                return _ctx.exp(u) / _ctx.sqrt(T)
    # Bracket [lo, hi] in u = ln s with h(lo) < 0 < h(hi) (h increases with u), then
    # Newton safeguarded by bisection.
    lo, step = _ctx.mpf(0), _ctx.mpf(1)
    while h(lo)[0] >= 0:
        lo -= step
        step *= 2
    hi, step = _ctx.mpf(0), _ctx.mpf(1)
    while h(hi)[0] <= 0:
        hi += step
        step *= 2
    u = (lo + hi) / 2
    for _ in range(2000):
        val, slope = h(u)
        if val == 0:
            break
        if val < 0:
            lo = u
        else:
            hi = u
        newton = u - val / slope if slope > 0 else None
        if newton is None or not (lo < newton < hi):
            newton = (lo + hi) / 2
        if abs(newton - u) < tol:
            u = newton
            break
        u = newton
    else:   # pragma: no cover - the reference itself failed
        raise RuntimeError(f"reference did not converge: {price, forward, strike, t, is_call, discount}")
    return _ctx.exp(u) / _ctx.sqrt(T)


def price_f64(forward: float, strike: float, t: float, sigma: float, is_call: bool,
              discount: float = 1.0) -> float:
    """The exact Black-76 price of float64 inputs, rounded to the nearest float64."""
    F, K = mp(forward), mp(strike)
    s = mp(sigma) * _ctx.sqrt(mp(t))
    return to_f64(mp(discount) * black_mp(F, K, s, is_call))


def elasticity(price: float, forward: float, strike: float, t: float, is_call: bool,
               sigma, discount: float = 1.0) -> float:
    """``d ln(sigma) / d ln(price)`` at the solution: how much a relative error in the price
    (e.g. one float64 rounding) moves the implied vol."""
    F, K = mp(forward), mp(strike)
    s = _ctx.mpf(sigma) * _ctx.sqrt(mp(t))
    d1 = (_ctx.log(F / K) + s * s / 2) / s
    return float(mp(price) / (mp(discount) * F * _ctx.npdf(d1) * s))


@dataclass(frozen=True)
class Grid:
    """Float64 inputs and exact answers (numpy arrays, one row per case)."""

    price: np.ndarray
    forward: np.ndarray
    strike: np.ndarray
    t: np.ndarray
    is_call: np.ndarray
    discount: np.ndarray
    sigma_gen: np.ndarray    # the generating vol
    sigma_ref: np.ndarray    # exact inverse of the rounded price (float64 of the mpf)
    regimes: dict            # regime name -> boolean mask

    def __len__(self) -> int:
        return self.price.size


@dataclass(frozen=True)
class AccuracyGrid:
    ok: Grid                 # expected status OK, vol sigma_ref
    at_max: Grid             # price rounded to the upper bound: AT_MAXIMUM, +inf (sigma_ref NaN)
    build_seconds: float
    n_dropped: int           # generated cases outside the requirement's limits


def _strikes(F: float, s: float) -> list[float]:
    xs = {z * s * sign for z in Z_GRID for sign in (1.0, -1.0)} | {x * sign for x in X_ABS for sign in (1.0, -1.0)}
    return sorted({float(F * math.exp(x)) for x in xs if abs(x) <= X_MAX})


def _regimes(rows: list[dict]) -> dict:
    n = len(rows)
    col = {k: np.array([r[k] for r in rows]) for k in rows[0]} if rows else {}
    if not n:
        return {name: np.zeros(0, bool) for name in REGIMES}
    F, K, p, t, sig, call, D = (col[k] for k in ("forward", "strike", "price", "t", "sigma_gen", "is_call", "discount"))
    otm = np.where(call, K >= F, K <= F)
    intrinsic = np.where(call, np.maximum(F - K, 0), np.maximum(K - F, 0))
    upper = np.where(call, F, K)
    und = p / D
    return {
        "all": np.ones(n, bool),
        "deep_otm": otm & (und < 1e-8 * F),
        "short_expiry": t <= DAY * (1 + 1e-12),
        "long_expiry": t >= 5.0,
        "near_intrinsic": ~otm & (und - intrinsic < 1e-6 * F),
        "low_vol": sig <= 0.01,
        "high_vol": sig >= 2.0,
        "near_max": upper - und < 1e-6 * upper,
        "discounted": D != 1.0,
    }


def _grid(rows: list[dict]) -> Grid:
    keys = ("price", "forward", "strike", "t", "is_call", "discount", "sigma_gen", "sigma_ref")
    arrs = {k: np.array([r[k] for r in rows], dtype=bool if k == "is_call" else np.float64) for k in keys}
    return Grid(**arrs, regimes=_regimes(rows))


@functools.lru_cache(maxsize=None)
def accuracy_grid() -> AccuracyGrid:
    """The accuracy grid (module docstring), computed once per process."""
    t0 = time.perf_counter()
    ok, at_max, dropped = [], [], 0
    for F in F_GRID:
        Fm = mp(F)
        for t in T_GRID:
            for sigma in SIGMA_GRID:
                s = mp(sigma) * _ctx.sqrt(mp(t))
                for K in _strikes(F, sigma * math.sqrt(t)):
                    Km = mp(K)
                    for is_call in (True, False):
                        discounts = [1.0]
                        otm = (K >= F) if is_call else (K <= F)
                        if otm and F == 100.0 and sigma * math.sqrt(t) <= 2.0:
                            discounts.append(math.exp(-0.05 * t))
                        for D in discounts:
                            Dm = mp(D)
                            und = black_mp(Fm, Km, s, is_call)
                            p = to_f64(Dm * und)
                            target = mp(p) / Dm
                            intrinsic = intrinsic_mp(Fm, Km, is_call)
                            upper = Fm if is_call else Km
                            row = dict(price=p, forward=F, strike=K, t=t, is_call=is_call, discount=D,
                                       sigma_gen=sigma, sigma_ref=math.nan)
                            if target >= upper:
                                if target == upper and D == 1.0:
                                    at_max.append(row)
                                else:
                                    dropped += 1
                                continue
                            tv = target - intrinsic
                            limit = OTM_MIN if otm else TV_MIN
                            if not tv > 0 or tv < limit * Fm:
                                dropped += 1
                                continue
                            row["sigma_ref"] = to_f64(implied_vol_mp(p, F, K, t, is_call, D, guess=sigma))
                            ok.append(row)
    return AccuracyGrid(_grid(ok), _grid(at_max), time.perf_counter() - t0, dropped)


PAD = 8192
_jitted = {}


def solve_padded(price, forward, strike, t, is_call, discount=1.0):
    """``jaxmm.pricing.iv.implied_vol`` (jitted, float64) on 1-D inputs padded to a multiple of
    ``PAD`` rows with an at-the-money quote; returns numpy (vol, status) of the inputs' length."""
    import jax

    from jaxmm.pricing.iv import implied_vol

    cols = np.broadcast_arrays(*(np.asarray(a, np.float64) for a in (price, forward, strike, t, discount)),
                               np.asarray(is_call, bool))
    n = cols[0].size
    m = max(PAD, -(-n // PAD) * PAD)
    fills = (0.0796556745540579, 1.0, 1.0, 1.0, 1.0, True)      # ATM, vol 0.2
    price, forward, strike, t, discount, is_call = (
        np.concatenate([c.ravel(), np.full(m - n, f, c.dtype)]) for c, f in zip(cols, fills))
    if "solve" not in _jitted:
        _jitted["solve"] = jax.jit(implied_vol)
    vol, status = _jitted["solve"](price, forward, strike, t, is_call, discount)
    return np.asarray(vol)[:n], np.asarray(status)[:n]


def relative_error(vol, ref) -> np.ndarray:
    vol, ref = np.asarray(vol, np.float64), np.asarray(ref, np.float64)
    return np.abs(vol - ref) / ref


def accuracy_table(grid: Grid, vol, tol: float = 1e-12) -> list[dict]:
    """Per regime: n, max and median relative error vs the exact inverse, count above tol,
    and the worst case's inputs. ``vol`` holds the solver's vols for ``grid`` (non-finite
    counts as an infinite error)."""
    err = relative_error(vol, grid.sigma_ref)
    err = np.where(np.isfinite(err), err, np.inf)
    rows = []
    for name in REGIMES:
        m = grid.regimes[name]
        if not m.any():
            continue
        e = err[m]
        i = np.flatnonzero(m)[int(np.argmax(e))]
        rows.append({
            "regime": name, "n": int(m.sum()), "max_rel_err": float(e.max()),
            "median_rel_err": float(np.median(e)), "n_above_tol": int((e > tol).sum()),
            "worst": {"price": float(grid.price[i]), "forward": float(grid.forward[i]),
                      "strike": float(grid.strike[i]), "t": float(grid.t[i]),
                      "is_call": bool(grid.is_call[i]), "discount": float(grid.discount[i]),
                      "sigma_gen": float(grid.sigma_gen[i]), "sigma_ref": float(grid.sigma_ref[i]),
                      "vol": float(np.asarray(vol)[i])},
        })
    return rows


def format_table(rows: list[dict], tol: float = 1e-12) -> str:
    """Markdown table of :func:`accuracy_table` rows."""
    lines = [f"| regime | cases | max rel. error | median rel. error | cases > {tol:g} |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['regime']} | {r['n']} | {r['max_rel_err']:.2e} | {r['median_rel_err']:.2e} "
                     f"| {r['n_above_tol']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    g = accuracy_grid()
    print(f"accuracy grid: {len(g.ok)} OK cases, {len(g.at_max)} at the upper bound, "
          f"{g.n_dropped} dropped; built in {g.build_seconds:.1f} s")
    for name in REGIMES:
        print(f"  {name:15s} {int(g.ok.regimes[name].sum()):6d}")
