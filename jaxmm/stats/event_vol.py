"""Event-vol decomposition: term variance = expected event variance + daily variance.

Numerics core (no pandas). An expiry ``DTE`` business days away whose ATM implied vol is
``sigma_T`` holds ``DTE`` days of variance. If an event (an earnings day, a strike)
happens with probability ``p`` on one of those days, its day has variance ``sigma_E^2``
and every other day ``sigma_D^2``; in expectation::

    sigma_T^2 DTE = p sigma_E^2 + (DTE - p) sigma_D^2

All vols are annualised (decimals) on the same ``N``-day year, so each day's variance
``sigma^2 / N`` carries the same ``1/N`` and ``N`` cancels: ``DTE`` (business days) and
``p`` are the only day counts. ``p`` is the expected number of event days (a probability
for one event; with ``p = 1`` this is the usual "remove the earnings move" calculator).
Any one unknown solves in closed form:

    event_vol  = sqrt((sigma_T^2 DTE - (DTE - p) sigma_D^2) / p)
    daily_vol  = sqrt((sigma_T^2 DTE - p sigma_E^2) / (DTE - p))
    term_vol   = sqrt((p sigma_E^2 + (DTE - p) sigma_D^2) / DTE)
    event_days p   = DTE (sigma_T^2 - sigma_D^2) / (sigma_E^2 - sigma_D^2)
    dte            = p (sigma_E^2 - sigma_D^2) / (sigma_T^2 - sigma_D^2)

A move and a vol are linked by the mean absolute deviation of a normal day,
``E|r| = sigma sqrt(2/pi) sqrt(1/N)`` (the straddle is ~0.8 sigma; the seed writes
``vol = move x 1.25 x sqrt(251)``, rounding ``sqrt(pi/2) = 1.2533`` to 1.25).

Every function broadcasts its arguments and returns float64 (with x64). Where the
solution would be imaginary (a negative variance: the event or the daily days alone
already exceed the term variance) or is undefined (``p = 0`` for the event vol,
``DTE <= p`` for the daily vol, equal vols in the denominator), the result is NaN;
a solved ``p`` or ``DTE`` outside its feasible range (``p`` in ``[0, DTE]``, ``DTE >= p``)
is NaN too.

Reference:
  Moontower, "links between options and event prediction markets", seeds/001 of this
  project: DTE 26, p = 0.62, term vol 53%: daily vol 40.7% for event vol 224%, event vol
  285% (14.4% move) for daily vol 30% (tests/test_stats_event_vol.py reproduces them and
  states the seed's rounding).

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> from jaxmm.stats import event_vol as ev
    >>> round(float(ev.solve_event_vol(0.53, 26, 0.62, 0.30)), 4)
    2.8453
    >>> round(float(ev.move_from_vol(2.8453)), 4)
    0.143
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from jaxmm._src.dtypes import float_inputs


def _sqrt_nonneg(x, ok=True):
    """``sqrt(x)`` where ``x >= 0`` and ``ok``; NaN elsewhere (no complex roots)."""
    good = (x >= 0) & ok
    return jnp.where(good, jnp.sqrt(jnp.where(good, x, 0.0)), jnp.nan)


def solve_event_vol(term_vol, dte, p, daily_vol):
    """Annualised event-day vol: ``sqrt((sigma_T^2 DTE - (DTE - p) sigma_D^2) / p)``.

    Args:
      term_vol: ATM implied vol of the expiry (annualised decimal).
      dte: business days to expiry.
      p: expected number of event days (probability of the event).
      daily_vol: annualised vol of an ordinary day.

    Returns:
      Broadcast array; NaN where ``p <= 0`` or the daily days alone exceed the term
      variance (``(DTE - p) sigma_D^2 > sigma_T^2 DTE``).

    Example::

        >>> round(float(solve_event_vol(0.53, 26, 1.0, 0.30)), 4)   # p = 1: 11.3% move
        2.248
    """
    term_vol, dte, p, daily_vol = float_inputs(term_vol, dte, p, daily_vol)
    num = term_vol**2 * dte - (dte - p) * daily_vol**2
    pp = jnp.where(p > 0, p, 1.0)
    return _sqrt_nonneg(num / pp, p > 0)


def solve_daily_vol(term_vol, dte, p, event_vol):
    """Annualised ordinary-day vol: ``sqrt((sigma_T^2 DTE - p sigma_E^2) / (DTE - p))``.

    Args:
      term_vol, dte, p: as in ``solve_event_vol``.
      event_vol: annualised vol of the event day.

    Returns:
      Broadcast array; NaN where ``DTE <= p`` or the expected event variance exceeds the
      term variance (``p sigma_E^2 > sigma_T^2 DTE``).

    Example::

        >>> round(float(solve_daily_vol(0.53, 26, 0.62, 2.24)), 4)
        0.4064
    """
    term_vol, dte, p, event_vol = float_inputs(term_vol, dte, p, event_vol)
    days = dte - p
    num = term_vol**2 * dte - p * event_vol**2
    return _sqrt_nonneg(num / jnp.where(days > 0, days, 1.0), days > 0)


def solve_term_vol(dte, p, event_vol, daily_vol):
    """Annualised term vol: ``sqrt((p sigma_E^2 + (DTE - p) sigma_D^2) / DTE)``.

    Returns:
      Broadcast array; NaN where ``DTE <= 0`` or the total variance is negative
      (``p > DTE`` with a daily vol above the event vol).

    Example::

        >>> round(float(solve_term_vol(26, 0.62, 2.8453, 0.30)), 4)
        0.53
    """
    dte, p, event_vol, daily_vol = float_inputs(dte, p, event_vol, daily_vol)
    num = p * event_vol**2 + (dte - p) * daily_vol**2
    return _sqrt_nonneg(num / jnp.where(dte > 0, dte, 1.0), dte > 0)


def solve_event_days(term_vol, dte, event_vol, daily_vol):
    """Expected event days (the event's probability): ``DTE (s_T^2 - s_D^2) / (s_E^2 - s_D^2)``.

    The market-implied ``p`` of an event of known size (e.g. to compare with a
    prediction market's price).

    Returns:
      Broadcast array; NaN where ``sigma_E == sigma_D`` or the solution lies outside
      ``[0, DTE]`` (the term vol is not between the daily and the event vol).

    Example::

        >>> round(float(solve_event_days(0.53, 26, 2.8453, 0.30)), 3)
        0.62
    """
    term_vol, dte, event_vol, daily_vol = float_inputs(term_vol, dte, event_vol, daily_vol)
    den = event_vol**2 - daily_vol**2
    p = dte * (term_vol**2 - daily_vol**2) / jnp.where(den != 0, den, 1.0)
    return jnp.where((den != 0) & (p >= 0) & (p <= dte), p, jnp.nan)


def solve_dte(term_vol, p, event_vol, daily_vol):
    """Business days to expiry: ``DTE = p (s_E^2 - s_D^2) / (s_T^2 - s_D^2)``.

    The horizon over which ``p`` event days at ``event_vol`` plus ordinary days at
    ``daily_vol`` average to ``term_vol``.

    Returns:
      Broadcast array; NaN where ``sigma_T == sigma_D`` or the solution is below ``p``.

    Example::

        >>> round(float(solve_dte(0.53, 0.62, 2.8453, 0.30)), 2)
        26.0
    """
    term_vol, p, event_vol, daily_vol = float_inputs(term_vol, p, event_vol, daily_vol)
    den = term_vol**2 - daily_vol**2
    dte = p * (event_vol**2 - daily_vol**2) / jnp.where(den != 0, den, 1.0)
    return jnp.where((den != 0) & (dte >= p), dte, jnp.nan)


_MAD = math.sqrt(2.0 / math.pi)   # E|Z| for a standard normal Z (0.7979; 1/1.2533)


def move_from_vol(vol, n=252):
    """Expected absolute one-day move: ``E|r| = sigma sqrt(2/pi) / sqrt(N)``.

    Args:
      vol: annualised vol (decimal), any shape.
      n: days per year ``N`` (252 trading days; broadcasts).

    Returns:
      The one-day mean absolute move as a fraction of the price.

    Example::

        >>> round(float(move_from_vol(0.16)), 5)   # 16 vol: ~0.8% a day
        0.00804
    """
    vol, n = float_inputs(vol, n)
    return vol * _MAD / jnp.sqrt(n)


def vol_from_move(move, n=252):
    """Annualised vol of a one-day mean absolute move: ``sigma = E|r| sqrt(pi/2) sqrt(N)``.

    The inverse of ``move_from_vol``.

    Example::

        >>> round(float(vol_from_move(0.113)), 4)   # the seed's 11.3% strike-day move
        2.2482
    """
    move, n = float_inputs(move, n)
    return move / _MAD * jnp.sqrt(n)
