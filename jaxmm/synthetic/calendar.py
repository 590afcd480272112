"""Dates for the synthetic data: business days, NYSE holidays, option and futures expiries.

Two calendars, on purpose:

- *business days* are Monday-Friday with no holidays (the futures and daily series, and
  the ``business_days_to_expiry`` convention of ``jaxmm.io.schemas.FUTURES_TENORS``);
- the *NYSE calendar* (Mon-Fri less NYSE holidays) places option expiries as the exchange
  does: an expiry Friday that is a holiday moves to the Thursday before (e.g. SPX June
  2026 expires Thu Jun 18 2026, Juneteenth being Fri Jun 19), and quote dates are NYSE
  trading days.

WTI expiry rule (CME Rulebook ch. 200, simplified to Mon-Fri business days): trading in a
delivery month ends 3 business days before the 25th calendar day of the month before
delivery; if the 25th is not a business day, 3 business days before the last business day
preceding the 25th.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

MONTH_CODES = "FGHJKMNQUVXZ"  # Jan..Dec futures month letters


def to_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def business_days(start: dt.date, end: dt.date) -> np.ndarray:
    """Mon-Fri dates in [start, end] as numpy datetime64[D]."""
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    return days[np.is_busday(days)]


def busday_count(start, end) -> np.ndarray:
    """Mon-Fri business days in [start, end) (negative when end < start); broadcasts."""
    return np.busday_count(np.asarray(start, "datetime64[D]"), np.asarray(end, "datetime64[D]"))


# --------------------------------------------------------------------------- NYSE

def _easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """n-th (1-based; -1 = last) given weekday (Mon=0) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date) -> dt.date:
    """Saturday holiday -> Friday, Sunday -> Monday."""
    return day + dt.timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


@functools.lru_cache(maxsize=64)
def nyse_holidays(year: int) -> frozenset[dt.date]:
    """NYSE full-day holidays of ``year`` (rules in force since 2022)."""
    days = {
        _nth_weekday(year, 1, 0, 3),                  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, 0, 3),                  # Washington's Birthday
        _easter(year) - dt.timedelta(days=2),         # Good Friday
        _nth_weekday(year, 5, 0, -1),                 # Memorial Day
        _observed(dt.date(year, 6, 19)),              # Juneteenth
        _observed(dt.date(year, 7, 4)),               # Independence Day
        _nth_weekday(year, 9, 0, 1),                  # Labor Day
        _nth_weekday(year, 11, 3, 4),                 # Thanksgiving
        _observed(dt.date(year, 12, 25)),             # Christmas
    }
    new_year = dt.date(year, 1, 1)
    if new_year.weekday() != 5:  # NYSE does not observe a Saturday New Year on Dec 31
        days.add(_observed(new_year))
    return frozenset(days)


def is_nyse_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in nyse_holidays(day.year)


def nyse_days_from(start: dt.date, n: int) -> list[dt.date]:
    """The first ``n`` NYSE trading days on or after ``start``."""
    out, day = [], start
    while len(out) < n:
        if is_nyse_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def expiry_on_or_before(day: dt.date) -> dt.date:
    """The NYSE trading day on or before ``day`` (a holiday Friday expiry moves earlier)."""
    while not is_nyse_day(day):
        day -= dt.timedelta(days=1)
    return day


def third_friday(year: int, month: int) -> dt.date:
    return _nth_weekday(year, month, 4, 3)


# --------------------------------------------------------------------------- futures

def wti_expiry(delivery_year: int, delivery_month: int) -> dt.date:
    """Last trading day of the WTI contract for the given delivery month (see module doc)."""
    y, m = (delivery_year, delivery_month - 1) if delivery_month > 1 else (delivery_year - 1, 12)
    d25 = np.datetime64(dt.date(y, m, 25), "D")
    # roll='backward' moves a non-business 25th to the business day before, then -3.
    return np.busday_offset(d25, -3, roll="backward").astype(dt.date)


def contract_code(root: str, delivery_year: int, delivery_month: int) -> str:
    """e.g. ('CL', 2025, 12) -> 'CLZ25'."""
    return f"{root}{MONTH_CODES[delivery_month - 1]}{delivery_year % 100:02d}"
