"""Implied forward and discount factor from put-call parity (numerics core: numpy, no pandas).

For European options of one expiry, put-call parity holds at every strike ``K``::

    C(K) - P(K) = D (F - K) = D F - D K

so the call-minus-put mids, regressed on the strike, give a straight line with slope
``-D`` and intercept ``D F``: ``D = -slope``, ``F = -intercept / slope``. The forward is
whatever the market prices for delivery at the expiry (a future's level for VIX options,
spot plus basis for Deribit's coins), never the spot.

Estimation per (quote date, expiry) slice (:func:`fit_slice`):

1. *Pairs*: strikes where the call and the put are both two-sided (bid > 0 and ask > 0).
2. *Near the money*: a first guess ``F0 = K* + (C - P)(K*)`` at the pair with the smallest
   ``|C - P|`` (the strike nearest the sign change of C - P; D ~ 1 there costs
   ``(1 - D)(K* - F)``, a strike gap at most); the ``n_strikes`` pairs nearest ``F0`` in
   ``|ln(K / F0)|`` and within ``max_log_moneyness`` are kept. The intercept (F) is
   pinned near the money, where both legs are liquid; the slope (D) by the strike span,
   so the default window is wide (60 pairs, |ln K/F0| <= 0.5): with only the 20 nearest
   strikes the error of D was ~2e-3 on the synthetic chain, enough to misprice a deep
   in-the-money synthetic by USD 10, against ~1e-4 with the wide window.
3. *Robust line*: Huber IRLS (:func:`huber_line`) with each pair's error scaled by its
   combined bid-ask spread ``s = (C_ask - C_bid) + (P_ask - P_bid)`` (weights ``1/s^2``),
   so a crossed-out or stale pair is down-weighted instead of bending the line.
4. The selection is redone once around the fitted ``F`` and the line refitted.
5. *Standard errors*: each pair's error sd is ``sigma s_i`` with ``sigma^2`` the larger of
   the spread-scaled residual variance ``sum h_i u_i^2 / (m - 2)`` and ``1/12`` (a mid
   anywhere inside the combined spread, uniformly: tick-rounded mids that happen to fit
   the line exactly do not make D exact). Weighted least squares then gives
   ``se(D) = sigma / sqrt(Sxx)``, ``Sxx = sum w_i (K_i - K_w)^2`` with ``w_i = h_i / s_i^2``,
   and by the delta method ``se(r) = se(D) / (D t)`` for the zero rate ``r = -ln(D) / t``:
   few pairs, wide spreads against the strike span and short expiries all make it large.

Checks of the regressed discount factors of one snapshot (:func:`implied_forwards`); the
first that fails names the expiry's ``rate_status`` (:class:`RateStatus`):

* ``rate_unstable``: ``se(r) > max_rate_se`` (D is not identified: days to expiry, or
  spreads too wide for the strike span), or ``t <= 0``;
* ``rate_outside_band``: ``r`` outside ``rate_band`` (implausible for the currency);
* ``discount_not_monotone``: among the expiries still trusted, a later expiry's D above
  an earlier one's by more than ``monotone_z`` standard errors of ``ln D_j - ln D_i``
  plus ``max(0, -band_low) (t_j - t_i)`` (the rise a negative rate allows). While any
  pair violates this, the expiry in most violating pairs is dropped (ties: the larger
  ``se(ln D)``, then the shorter expiry), so one bad expiry does not take good ones with it;
* ``few_pairs`` / ``no_pairs`` / ``fit_failed``: fewer than ``min_pairs`` pairs, none at
  all, or a regression failing its sanity checks (``0 < D <= max_discount``, ``F > 0``).

Expiries passing every check keep their regression (``forward_method`` ``regression``).
The others take their discount factor from a rate curve (:class:`DiscountSource`):

* ``smoothed_curve``: a Huber-robust weighted line ``r(t) = a + b t`` (:func:`huber_line`,
  error scales ``se(r)``, so weights ``1/se(r)^2``) through the regression rates of the
  trusted *and* the ``rate_unstable`` expiries: many imprecise rates pooled can pin what
  none pins alone, and beside a trusted expiry an unstable one weighs next to nothing.
  With fewer than 3 such expiries, or a line whose forward rate ``d(r t)/dt = a + 2 b t``
  falls below ``min(0, band_low)`` inside their range, the robust weighted mean rate. Flat
  beyond the first and last of them, clipped to ``rate_band``. Used when its level (the
  weighted mean of the fitted rates) lies in the band and, where a curve is configured,
  the standard error of that level, ``1 / sqrt(sum h_i / se_i^2)``, is at most
  ``max_rate_se`` (so always when an expiry is trusted);
* ``rate_curve`` otherwise: the configured curve (``implied_vols.rates``: a constant or
  ``{tenor_years: rate}`` points, linear in t and flat beyond, :class:`RateCurve`), or a
  zero rate where none is configured. Chains whose parity pins an implausible rate
  (American options, whose early exercise bends the parity line) land here, and, where a
  curve is configured, those whose parity cannot pin the rate (a near-the-money sliver of
  strikes, days to expiry): configure the currency's curve for them.

With ``D = exp(-r(t) t)`` fixed, the forward is re-estimated from parity
(:class:`ForwardMethod`; ``forward_method`` is ``<method>:<discount source>``):

* ``regression_fixed_discount``: at least ``min_pairs`` pairs: the Huber-weighted location
  of ``K + (C - P) / D`` near the money (the intercept-only fit, scales ``s_i / D``);
* ``few_strikes``: fewer than ``min_pairs`` pairs near the money: ``F = median(K + (C - P) / D)``
  over all pairs;
* ``one_sided``: no pair: ``F = S exp(b(t) t)`` from the underlying price ``S`` and the
  carry ``b = ln(F / S) / t`` of the expiries with a parity forward, interpolated linearly
  in ``t`` (flat beyond; ``b = 0``, i.e. ``F = S``, when there are none);
* ``failed``: the result is still not sane (or ``S`` is missing): ``F = D = NaN``.

Reference: J. Hull, *Options, Futures and Other Derivatives*, put-call parity (ch. 11);
P. Huber, "Robust estimation of a location parameter", Ann. Math. Stat. 35 (1964).

Example::

    >>> import numpy as np
    >>> K = np.array([90.0, 95.0, 100.0, 105.0, 110.0])
    >>> pairs = Pairs(K, 0.98 * (101.0 - K) + 5.0, np.full(5, 5.0), np.full(5, 0.1), np.full(5, 0.1))
    >>> fit = fit_slice(pairs, ParitySettings(min_pairs=3))
    >>> round(fit.forward, 9), round(fit.discount, 9)
    (101.0, 0.98)
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

_MAD_TO_SD = 1.4826          # sd of a normal = 1.4826 * median absolute deviation
# Floor of the robust residual scale, in units of the combined bid-ask spread: a pair
# whose mids sit within ~7% (huber_k * 0.05) of the spread off the line is never
# down-weighted. Without it, tick-rounded mids (residuals on a grid) can make the MAD
# collapse to ~0 and the weights flip between iterations.
_MIN_ROBUST_SCALE = 0.05
# Floor of the error variance of a pair's C - P mid, in squared units of its combined
# spread: the variance of a point uniform across the spread (module doc, step 5).
_MIN_ERROR_VARIANCE = 1.0 / 12.0


class ForwardMethod(str, enum.Enum):
    """How a slice's forward was obtained (see the module doc)."""

    REGRESSION = "regression"
    FIXED_DISCOUNT = "regression_fixed_discount"
    FEW_STRIKES = "few_strikes"
    ONE_SIDED = "one_sided"
    FAILED = "failed"


class DiscountSource(str, enum.Enum):
    """Where a slice's discount factor came from (see the module doc)."""

    REGRESSION = "regression"
    SMOOTHED_CURVE = "smoothed_curve"
    RATE_CURVE = "rate_curve"


class RateStatus(str, enum.Enum):
    """Why a slice's regression discount factor was, or was not, used (module doc)."""

    OK = "ok"
    NO_PAIRS = "no_pairs"
    FEW_PAIRS = "few_pairs"
    FIT_FAILED = "fit_failed"
    RATE_UNSTABLE = "rate_unstable"
    RATE_OUTSIDE_BAND = "rate_outside_band"
    DISCOUNT_NOT_MONOTONE = "discount_not_monotone"


@dataclasses.dataclass(frozen=True)
class ParitySettings:
    """Settings of the parity regression and its checks (config.yaml: ``implied_vols.parity``).

    Attributes:
      n_strikes: most pairs used per slice, the nearest to the money in |ln K/F0|.
      max_log_moneyness: pairs with |ln(K / F0)| above this are not used.
      min_pairs: fewer pairs than this: no regression (``few_pairs``).
      huber_k: Huber threshold in robust standard deviations (1.345: 95% efficiency
        under normal errors).
      max_iter: IRLS iterations at most.
      max_discount: a fitted D above this (or <= 0) fails the sanity check.
      rate_band: (low, high) plausible zero rates ``-ln(D)/t`` per year. The default
        (-2%, 10%) holds the USD, EUR, GBP, JPY and CHF money-market rates of the last 25
        years (CHF -0.75% the lowest) and crypto options quoted as Deribit's, whose
        carry is in the forward (D ~ 1, r ~ 0).
      max_rate_se: a regression rate with a larger standard error is ``rate_unstable``.
        1% (100 bp) a year: SPX's ~60 pairs with USD 0.5-2 spreads over a USD 2000 strike
        span give se(D) ~ 1e-4, i.e. se(r) > 1% below ~3 days to expiry.
      monotone_z: standard errors of ``ln D_j - ln D_i`` a later D may exceed an earlier one.
    """

    n_strikes: int = 60
    max_log_moneyness: float = 0.5
    min_pairs: int = 5
    huber_k: float = 1.345
    max_iter: int = 50
    max_discount: float = 1.2
    rate_band: tuple[float, float] = (-0.02, 0.10)
    max_rate_se: float = 0.01
    monotone_z: float = 2.0

    def __post_init__(self):
        low, high = self.rate_band
        if not low < high:
            raise ValueError(f"rate_band: low {low} must be below high {high}")
        object.__setattr__(self, "rate_band", (float(low), float(high)))


class RateCurve(NamedTuple):
    """Zero rates (continuously compounded, per year) at tenors (years), linear in t between
    them and flat beyond.

    Example::

        >>> curve = RateCurve.from_config({0.25: 0.04, 1: 0.035})
        >>> [round(float(curve(t)), 6) for t in (0.1, 0.625, 2.0)]
        [0.04, 0.0375, 0.035]
    """

    tenor: np.ndarray      # (n,) increasing
    rate: np.ndarray       # (n,)

    @classmethod
    def from_config(cls, value) -> "RateCurve":
        """A number (constant rate) or a mapping ``{tenor_years: rate}`` (keys may be strings)."""
        if isinstance(value, Mapping):
            if not value:
                raise ValueError("rates: the mapping of {tenor_years: rate} is empty")
            points = sorted((float(k), float(v)) for k, v in value.items())
            return cls(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
        return cls(np.zeros(1), np.array([float(value)]))

    def __call__(self, t) -> np.ndarray:
        return np.interp(np.asarray(t, float), self.tenor, self.rate)


class Pairs(NamedTuple):
    """Strikes of one slice with a two-sided call and a two-sided put, shape (n,) each."""

    strike: np.ndarray
    call_mid: np.ndarray
    put_mid: np.ndarray
    call_spread: np.ndarray    # ask - bid of the call
    put_spread: np.ndarray     # ask - bid of the put

    @classmethod
    def empty(cls) -> "Pairs":
        return cls(*(np.zeros(0) for _ in range(5)))


class LineFit(NamedTuple):
    """Result of :func:`huber_line`: ``y ~ intercept + slope * x``."""

    intercept: float
    slope: float
    weights: np.ndarray        # final Huber weights in [0, 1] (1: not down-weighted)
    residuals: np.ndarray      # y - fitted line
    converged: bool


class SliceForward(NamedTuple):
    """Forward and discount factor of one slice, how they were found and the regression's own."""

    forward: float
    discount: float
    n_pairs: int               # pairs the estimate used
    n_downweighted: int        # of those, pairs with a Huber weight < 1
    residual_std: float        # sd of C - P about the fitted line (USD; NaN unless regression)
    method: ForwardMethod
    discount_source: DiscountSource = DiscountSource.REGRESSION
    rate_status: RateStatus = RateStatus.OK
    regression_rate: float = np.nan      # -ln(D)/t of the regression (NaN: none, or t <= 0)
    regression_rate_se: float = np.nan   # its standard error (module doc, step 5)
    forward_se: float = np.nan           # standard error of the forward from its parity fit
    discount_se: float = np.nan          # standard error of the regression's D (NaN: no regression)

    @property
    def label(self) -> str:
        """``forward_method`` as written to forwards.parquet: ``regression``, ``failed`` or
        ``<method>:<discount source>``."""
        if self.method in (ForwardMethod.REGRESSION, ForwardMethod.FAILED):
            return self.method.value
        return f"{self.method.value}:{self.discount_source.value}"


def _huber_weights(u: np.ndarray, k: float) -> np.ndarray:
    """Huber weights ``min(1, k sigma / |u|)`` with the robust scale of ``u`` (floored)."""
    sigma = max(_MAD_TO_SD * np.median(np.abs(u - np.median(u))), _MIN_ROBUST_SCALE)
    return np.minimum(1.0, k * sigma / np.maximum(np.abs(u), 1e-300))


def huber_line(x, y, scale, k: float = 1.345, max_iter: int = 50, tol: float = 1e-10) -> LineFit:
    """Robust straight line by iteratively reweighted least squares with Huber weights.

    Minimises ``sum_i rho_k(u_i / sigma)`` with standardised residuals
    ``u_i = (y_i - a - b x_i) / scale_i``, the robust scale
    ``sigma = max(1.4826 * MAD(u), 0.05)`` re-estimated each iteration, and Huber's
    ``rho_k``: quadratic for ``|u| <= k sigma``, linear beyond. Each iteration solves a
    weighted least squares with weights ``h_i / scale_i^2``, ``h_i = min(1, k sigma / |u_i|)``.

    Args:
      x, y: arrays of shape (n,), n >= 2 with at least two distinct x.
      scale: (n,) positive error scale of each y (here: the combined bid-ask spread).
      k: Huber threshold in robust standard deviations.
      max_iter: iterations at most; tol: stop when no weight moves by more than this.
    Returns:
      LineFit; slope NaN when the x do not span a line.
    """
    x, y, scale = (np.asarray(a, float) for a in (x, y, scale))
    base = 1.0 / scale**2
    h = np.ones_like(x)
    a = b = np.nan
    converged = False
    for _ in range(max_iter):
        w = base * h
        sw = w.sum()
        xm, ym = (w * x).sum() / sw, (w * y).sum() / sw
        sxx = (w * (x - xm) ** 2).sum()
        if not sxx > 0:
            return LineFit(np.nan, np.nan, h, np.full_like(y, np.nan), False)
        b = (w * (x - xm) * (y - ym)).sum() / sxx
        a = ym - b * xm
        h_new = _huber_weights((y - a - b * x) / scale, k)
        if np.max(np.abs(h_new - h)) < tol:
            converged = True
            break
        h = h_new
    return LineFit(float(a), float(b), h, y - a - b * x, converged)


def huber_location(y, scale, k: float = 1.345, max_iter: int = 50, tol: float = 1e-10) -> tuple[float, np.ndarray]:
    """Robust weighted mean of ``y`` (the intercept-only :func:`huber_line`); returns
    ``(location, final Huber weights)``."""
    y, scale = np.asarray(y, float), np.asarray(scale, float)
    base = 1.0 / scale**2
    h = np.ones_like(y)
    for _ in range(max_iter):
        w = base * h
        m = float((w * y).sum() / w.sum())
        h_new = _huber_weights((y - m) / scale, k)
        if np.max(np.abs(h_new - h)) < tol:
            break
        h = h_new
    return m, h


def _error_variance(u: np.ndarray, h: np.ndarray, n_params: int) -> float:
    """Variance of a pair's error in units of its scale (module doc, step 5)."""
    dof = len(u) - n_params
    fitted = float(np.sum(h * u**2) / dof) if dof > 0 else 0.0
    return max(fitted, _MIN_ERROR_VARIANCE)


def _near_money(strike: np.ndarray, center: float, settings: ParitySettings) -> np.ndarray:
    """Indices of the ``n_strikes`` pairs nearest ``center`` within ``max_log_moneyness``."""
    distance = np.abs(np.log(strike / center))
    order = np.argsort(distance, kind="stable")
    order = order[distance[order] <= settings.max_log_moneyness]
    return np.sort(order[:settings.n_strikes])


def _diff_and_spread(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """C - P mids and combined spreads (a zero spread takes the smallest positive one, or 1)."""
    spread = pairs.call_spread + pairs.put_spread
    spread = np.where(spread > 0, spread, np.min(spread[spread > 0], initial=1.0))
    return pairs.call_mid - pairs.put_mid, spread


def fit_slice(pairs: Pairs, settings: ParitySettings = ParitySettings(), t: float = np.nan) -> SliceForward:
    """Forward and discount factor of one slice by robust regression of C - P on K.

    Args:
      pairs: the slice's two-sided call/put pairs.
      settings: see :class:`ParitySettings`.
      t: years to expiry, for the regression rate and its standard error (NaN: not given).
    Returns:
      Method ``regression`` with the standard errors of D, F and r for a sane fit on
      >= ``min_pairs`` pairs; else a ``failed`` placeholder (F = D = NaN) whose
      ``rate_status`` says why (``no_pairs``, ``few_pairs``, ``fit_failed``) and that
      :func:`implied_forwards` replaces by a fallback. The plausibility checks of the
      rate are :func:`implied_forwards`' (they need the other expiries).
    """
    n = len(pairs.strike)
    status = RateStatus.NO_PAIRS if n == 0 else RateStatus.FEW_PAIRS if n < settings.min_pairs else RateStatus.FIT_FAILED
    failed = SliceForward(np.nan, np.nan, n, 0, np.nan, ForwardMethod.FAILED, rate_status=status)
    if n < settings.min_pairs:
        return failed
    diff, spread = _diff_and_spread(pairs)
    nearest = int(np.argmin(np.abs(diff)))
    center = pairs.strike[nearest] + diff[nearest]       # F0, assuming D ~ 1 near the money
    if not center > 0:
        return failed
    chosen, fit = None, None
    for _ in range(2):   # select around F0, fit, select again around the fitted F, refit
        idx = _near_money(pairs.strike, center, settings)
        if len(idx) < settings.min_pairs:
            return failed._replace(rate_status=RateStatus.FEW_PAIRS)
        if chosen is not None and np.array_equal(idx, chosen):
            break
        chosen = idx
        fit = huber_line(pairs.strike[idx], diff[idx], spread[idx], settings.huber_k, settings.max_iter)
        discount = -fit.slope
        forward = fit.intercept / discount if discount else np.nan
        if not (0.0 < discount <= settings.max_discount and forward > 0):
            return failed
        center = forward
    x, s = pairs.strike[chosen], spread[chosen]
    w = fit.weights / s**2
    xm = float(np.sum(w * x) / np.sum(w))
    sxx = float(np.sum(w * (x - xm) ** 2))
    variance = _error_variance(fit.residuals / s, fit.weights, 2)
    discount_se = float(np.sqrt(variance / sxx))
    # F is the strike where the line crosses 0: se = se(line at F) / D.
    forward_se = float(np.sqrt(variance * (1.0 / np.sum(w) + (forward - xm) ** 2 / sxx)) / discount)
    rate, rate_se = np.nan, np.nan
    if t > 0:
        rate, rate_se = float(-np.log(discount) / t), discount_se / (discount * t)
    m = len(chosen)
    residual_std = float(np.sqrt(np.sum(fit.residuals**2) / max(m - 2, 1)))
    return SliceForward(float(forward), float(discount), m, int(np.sum(fit.weights < 1.0)), residual_std,
                        ForwardMethod.REGRESSION, DiscountSource.REGRESSION, RateStatus.OK, rate, rate_se,
                        forward_se, discount_se)


class FixedDiscountFit(NamedTuple):
    """Result of :func:`fit_forward_fixed_discount`."""

    forward: float             # NaN without pairs
    forward_se: float          # NaN for the median
    n_pairs: int               # pairs used
    n_downweighted: int        # of those, pairs with a Huber weight < 1
    method: ForwardMethod      # FIXED_DISCOUNT (Huber location), FEW_STRIKES (median) or ONE_SIDED (no pair)


def fit_forward_fixed_discount(pairs: Pairs, discount: float,
                               settings: ParitySettings = ParitySettings()) -> FixedDiscountFit:
    """Forward from parity with the discount factor fixed: ``F = K + (C - P) / D`` pooled.

    With at least ``min_pairs`` pairs near the money: the Huber-weighted location of
    ``K + (C - P) / D`` over the ``n_strikes`` pairs nearest the money (scales ``s_i / D``),
    selected around ``F0`` and once more around the result; its standard error as in the
    module doc (step 5) for an intercept-only fit. Fewer: the median over all pairs.
    """
    n = len(pairs.strike)
    if n == 0:
        return FixedDiscountFit(np.nan, np.nan, 0, 0, ForwardMethod.ONE_SIDED)
    diff, spread = _diff_and_spread(pairs)
    implied = pairs.strike + diff / discount
    center = implied[int(np.argmin(np.abs(diff)))]
    idx = _near_money(pairs.strike, center, settings) if center > 0 else np.zeros(0, int)
    if len(idx) < settings.min_pairs:
        return FixedDiscountFit(float(np.median(implied)), np.nan, n, 0, ForwardMethod.FEW_STRIKES)
    forward, h = huber_location(implied[idx], spread[idx] / discount, settings.huber_k, settings.max_iter)
    again = _near_money(pairs.strike, forward, settings) if forward > 0 else idx
    if len(again) >= settings.min_pairs and not np.array_equal(again, idx):   # reselect around F once
        idx = again
        forward, h = huber_location(implied[idx], spread[idx] / discount, settings.huber_k, settings.max_iter)
    scale = spread[idx] / discount
    variance = _error_variance((implied[idx] - forward) / scale, h, 1)
    return FixedDiscountFit(forward, float(np.sqrt(variance / np.sum(h / scale**2))), len(idx),
                            int(np.sum(h < 1.0)), ForwardMethod.FIXED_DISCOUNT)


def _monotone_violations(t: np.ndarray, log_d: np.ndarray, se: np.ndarray, settings: ParitySettings) -> np.ndarray:
    """(n, n) bool: ``[i, j]`` where ``t_i < t_j`` and ``ln D_j`` exceeds ``ln D_i`` by more than
    allowed (module doc)."""
    dt = t[None, :] - t[:, None]
    allowed = max(0.0, -settings.rate_band[0]) * dt + settings.monotone_z * np.hypot(se[:, None], se[None, :])
    return (dt > 0) & (log_d[None, :] - log_d[:, None] > allowed)


def _drop_non_monotone(t: np.ndarray, log_d: np.ndarray, se: np.ndarray, settings: ParitySettings) -> np.ndarray:
    """Bool mask of the expiries dropped until no pair violates monotonicity (module doc)."""
    dropped = np.zeros(len(t), bool)
    while True:
        keep = np.flatnonzero(~dropped)
        v = _monotone_violations(t[keep], log_d[keep], se[keep], settings)
        counts = v.sum(axis=0) + v.sum(axis=1)
        if not counts.any():
            return dropped
        # Most violations first, then the larger se(ln D), then the shorter expiry.
        worst = max(range(len(keep)), key=lambda i: (counts[i], se[keep[i]], -t[keep[i]]))
        dropped[keep[worst]] = True


class SmoothedCurve(NamedTuple):
    """Result of :func:`smoothed_rate_curve`."""

    curve: RateCurve        # 1 or 2 points (linear between them, flat beyond), clipped to the band
    level: float            # weighted mean of the fitted rates at the expiries (not clipped)
    level_se: float         # its standard error, 1 / sqrt(sum h_i / se_i^2), h the final Huber weights


def smoothed_rate_curve(t, rate, rate_se, settings: ParitySettings = ParitySettings()) -> SmoothedCurve:
    """Robust weighted zero-rate curve through regression rates (module doc).

    Args:
      t, rate, rate_se: (n,) years, rates and their standard errors, n >= 1, t > 0.
      settings: ``huber_k`` and ``max_iter`` of the robust fits; ``rate_band`` clips the
        curve and bounds its forward rates.
    Returns:
      :class:`SmoothedCurve`.
    """
    t, rate, rate_se = (np.asarray(a, float) for a in (t, rate, rate_se))
    scale = np.maximum(rate_se, 1e-12)
    low, high = settings.rate_band
    line = None
    if len(t) >= 3 and np.ptp(t) > 0:
        line = huber_line(t, rate, scale, settings.huber_k, settings.max_iter)
        ends = np.array([t.min(), t.max()])
        # A line along which D would rise faster than the band allows is not a curve: use the mean.
        if not np.isfinite(line.slope) or np.min(line.intercept + 2.0 * line.slope * ends) < min(0.0, low):
            line = None
    if line is None:
        level, h = huber_location(rate, scale, settings.huber_k, settings.max_iter)
        curve = RateCurve(np.zeros(1), np.array([np.clip(level, low, high)]))
    else:
        h, fitted = line.weights, line.intercept + line.slope * t
        level = float(np.sum(h * fitted / scale**2) / np.sum(h / scale**2))
        curve = RateCurve(ends, np.clip(line.intercept + line.slope * ends, low, high))
    return SmoothedCurve(curve, level, float(1.0 / np.sqrt(np.sum(h / scale**2))))


def _interp_flat(t: np.ndarray, t_known: np.ndarray, values: np.ndarray, default: float) -> np.ndarray:
    """Linear interpolation in t, flat beyond the known points; ``default`` if none known."""
    if len(t_known) == 0:
        return np.full_like(t, default)
    order = np.argsort(t_known)
    return np.interp(t, t_known[order], values[order])


def implied_forwards(t, spot, pairs: list[Pairs], settings: ParitySettings = ParitySettings(),
                     rate_curve: RateCurve | None = None) -> list[SliceForward]:
    """Forwards and discount factors of the slices (expiries) of one snapshot, checked, with fallbacks.

    Args:
      t: (n_slices,) years to expiry.
      spot: (n_slices,) underlying price of each slice (NaN: unknown; used by ``one_sided``).
      pairs: one :class:`Pairs` per slice (possibly empty).
      settings: see :class:`ParitySettings`.
      rate_curve: the configured curve, used when the smoothed curve is not (module doc);
        None: none configured (the smoothed curve however imprecise, else a zero rate).
    Returns:
      One :class:`SliceForward` per slice, in order: ``method`` and ``discount_source`` say
      which rule of the module doc produced it, ``rate_status`` why; the regression's own
      rate and standard error are kept whatever was used.
    """
    t, spot = np.asarray(t, float), np.asarray(spot, float)
    fits = [fit_slice(p, settings, tt) for p, tt in zip(pairs, t)]
    status = [f.rate_status for f in fits]
    low, high = settings.rate_band
    for i, f in enumerate(fits):
        if f.method is not ForwardMethod.REGRESSION:
            continue
        if not (t[i] > 0 and f.regression_rate_se <= settings.max_rate_se):
            status[i] = RateStatus.RATE_UNSTABLE
        elif not low <= f.regression_rate <= high:
            status[i] = RateStatus.RATE_OUTSIDE_BAND
    trusted = np.array([s is RateStatus.OK for s in status], bool)
    idx = np.flatnonzero(trusted)
    discount = np.array([f.discount for f in fits])
    log_d_se = np.array([f.discount_se for f in fits]) / discount
    for i in idx[_drop_non_monotone(t[idx], np.log(discount[idx]), log_d_se[idx], settings)]:
        status[i], trusted[i] = RateStatus.DISCOUNT_NOT_MONOTONE, False

    # The smoothed curve pools the trusted and the merely imprecise (unstable) expiries.
    pooled = [i for i, st in enumerate(status) if st in (RateStatus.OK, RateStatus.RATE_UNSTABLE)
              and np.isfinite(fits[i].regression_rate_se)]
    source, curve = DiscountSource.RATE_CURVE, RateCurve.from_config(0.0) if rate_curve is None else rate_curve
    if pooled:
        smooth = smoothed_rate_curve(t[pooled], [fits[i].regression_rate for i in pooled],
                                     [fits[i].regression_rate_se for i in pooled], settings)
        precise = rate_curve is None or smooth.level_se <= settings.max_rate_se
        if precise and low <= smooth.level <= high:
            source, curve = DiscountSource.SMOOTHED_CURVE, smooth.curve

    out: list[SliceForward | None] = [None] * len(fits)
    for i in np.flatnonzero(trusted):
        out[i] = fits[i]
    for i in np.flatnonzero(~trusted):
        d = float(np.exp(-curve(t[i]) * max(t[i], 0.0)))
        fixed = fit_forward_fixed_discount(pairs[i], d, settings)
        out[i] = fits[i]._replace(forward=fixed.forward, discount=d, n_pairs=fixed.n_pairs,
                                  n_downweighted=fixed.n_downweighted, residual_std=np.nan, method=fixed.method,
                                  discount_source=source, rate_status=status[i], forward_se=fixed.forward_se)

    # One-sided expiries: the underlying carried at the carry of the expiries priced by parity.
    from_pairs = np.array([o.method is not ForwardMethod.ONE_SIDED and o.forward > 0 for o in out]) & (t > 0)
    with_spot = from_pairs & (spot > 0)
    forward = np.array([o.forward for o in out])
    carry = _interp_flat(t, t[with_spot], np.log(forward[with_spot] / spot[with_spot]) / t[with_spot], 0.0)
    for i, o in enumerate(out):
        f, d = o.forward, o.discount
        if o.method is ForwardMethod.ONE_SIDED:
            f = float(spot[i] * np.exp(carry[i] * max(t[i], 0.0)))
        if not (0.0 < d <= settings.max_discount and f > 0 and np.isfinite(f)):
            out[i] = o._replace(forward=np.nan, discount=np.nan, method=ForwardMethod.FAILED)
        elif f != o.forward:
            out[i] = o._replace(forward=f)
    return out


def conversion_reversal_edges(strike, forward, discount, call_bid, call_ask, put_bid, put_ask):
    """PV edges of conversions and reversals against the implied forward (USD per unit).

    Conversion: sell the call at its bid, buy the put at its ask, long the forward at F.
    At expiry ``-(S-K)^+ + (K-S)^+ + (S - F) = K - F`` whatever S, so::

        edge_conversion = (C_bid - P_ask) - D (F - K)

    Reversal: buy the call at its ask, sell the put at its bid, short the forward at F;
    at expiry it pays ``F - K``::

        edge_reversal = D (F - K) - (C_ask - P_bid)

    A positive edge is a profit after crossing both option spreads, valued with the
    slice's D, if the forward leg trades at F. The implied F is fitted to the mids of
    the same chain, so a positive edge flags a strike whose synthetic is out of line with
    the others (a box spread against a near-the-money strike), not a certain arbitrage.

    Args: arrays broadcastable to a common shape. Returns (edge_conversion, edge_reversal).
    """
    carry_value = np.asarray(discount) * (np.asarray(forward) - np.asarray(strike))
    return (np.asarray(call_bid) - np.asarray(put_ask)) - carry_value, \
        carry_value - (np.asarray(call_ask) - np.asarray(put_bid))
