"""Settlement conventions, exchange calendars and as-of times of option-chain quotes.

The readers give each quote the time its file was taken (the *download time*). This
module turns that into the time the quote is *as of* and gives each expiry its
*settlement time*, by venue and option root, from a real exchange calendar
(``exchange_calendars``: holidays, early closes, special closures such as 2025-01-09):

- **as-of time** (``quote_time``): the download time when it falls inside a session
  (open <= time <= close); otherwise the close of the last session at or before it. The
  ``snapshot`` label says which: ``in_session``, ``after_close`` (same day, after the
  close), ``before_open`` (a session day, before its open), ``closed_day`` (weekend,
  holiday, special closure), ``continuous`` (a 24/7 venue: no calendar, the download
  time itself). ``quote_date`` is the as-of session's date (exchange-local).
  The close is the exchange calendar's (XNYS 16:00 New York, 13:00 on early-close days).
  Cboe index options (SPX, XSP, VIX) trade until 16:15, but the index stops at 16:00 (the
  file's ``Last``) and PM series settle at 16:00, so a download between 16:00 and 16:15 is
  ``after_close`` and timed at 16:00: its quotes are then at most 15 minutes older than
  their time, and a PM expiry of that day is correctly over.
- **settlement time** (``settlement_time``, UTC) of each (root, expiry), by rule:

  =========  ================================================================
  ``AM``     the session's open on the expiry date (09:30 New York: the special
             opening quotation of SPX monthlies, NDX, RUT, DJX, VIX)
  ``PM``     the session's close on the expiry date (16:00 New York; the early
             close, e.g. 13:00 on 2025-11-28)
  ``HH:MM``  that time on the expiry date in the source's settlement time zone
             (label ``fixed``; Deribit: 08:00 UTC)
  =========  ================================================================

  An expiry date that is not a session (``expiry_flag`` ``expiry_not_a_session``: a
  holiday, a weekend, such as the Saturday expiries of listed options before 2015)
  settles AM / PM at the open / close of the last session before it, as exchanges move
  an expiry that falls on a closed day (kept, flagged).

Venues (``VENUES``; a source's ``venue`` defaults from its format: cboe -> cboe,
deribit -> deribit, generic -> cboe):

- ``cboe`` (US listed options; calendar XNYS): AM for the roots in ``CBOE_AM_ROOTS``
  (SPX, the standard third-Friday SPX root; NDX; RUT; DJX; VIX and VIXW (all VIX options
  settle at the Wednesday open); XSPAM, the AM Mini-SPX of 2013), PM for every other root
  (SPXW, NDXP, RUTW, XSP, SPY, QQQ, equities, adjusted roots like AMD1). XSP is PM: Cboe's
  XSP specification lists standard, weekly and end-of-month XSP as PM-settled (the
  AM-settled Mini-SPX traded under its own root, XSPAM).
- ``deribit``: no calendar (24/7), settlement 08:00 UTC.

Per-source overrides (``ingest.chains.sources[]``): ``venue``; ``calendar`` (an
exchange_calendars code, or null for 24/7); ``settlement: {default, timezone, roots:
{ROOT: rule}}`` with rules ``AM``, ``PM`` or ``HH:MM``. AM and PM need a calendar: a source
with ``calendar: null`` needs an HH:MM default, and the venue's AM/PM root rules lapse.

:func:`apply` adds these columns to a reader's table (``schemas.CHAINS_READ`` ->
``schemas.CHAINS``) and quarantines the quotes whose expiry settled at or before their
as-of time (reason ``expired``), keeping rows in = kept + quarantined per file.
:func:`sessions_between` counts exchange sessions (business days) for ``business252``
and the futures roll.

Example::

    >>> res = apply(read_chains(["data/spx_20251001"], "cboe", "spx"),   # doctest: +SKIP
    ...             {"name": "spx", "format": "cboe"})
"""

from __future__ import annotations

import dataclasses
import functools
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from jaxmm.io import labels
from jaxmm.io import schemas
from jaxmm.io.common import ReadResult
from jaxmm.io.errors import Quarantine, Reason

# Calendar window: quotes back to the 1990s, expiries (LEAPS) up to 2045. exchange_calendars'
# default window (about 20 years back, 1 year ahead) would miss both.
CALENDAR_START = "1990-01-01"
CALENDAR_END = "2045-12-31"

CBOE_AM_ROOTS = frozenset({"SPX", "NDX", "RUT", "DJX", "VIX", "VIXW", "XSPAM"})


@dataclasses.dataclass(frozen=True)
class Venue:
    """Built-in conventions of a venue: its calendar, default rule and per-root rules."""

    calendar: str | None
    default: str
    roots: Mapping[str, str]
    timezone: str | None = None   # of HH:MM rules; None: the calendar's


VENUES = {
    "cboe": Venue("XNYS", "PM", {root: "AM" for root in CBOE_AM_ROOTS}),
    "deribit": Venue(None, "08:00", {}, "UTC"),
}
FORMAT_VENUE = {"cboe": "cboe", "deribit": "deribit", "generic": "cboe"}

_RULE = re.compile(r"^(AM|PM|([01][0-9]|2[0-3]):([0-5][0-9]))$")


# --------------------------------------------------------------------------- calendars

@dataclasses.dataclass(frozen=True)
class Sessions:
    """One exchange calendar as arrays: session dates and their open/close (ns since the
    epoch, UTC), and the exchange's time zone."""

    code: str
    tz: str
    dates: np.ndarray    # datetime64[D], sorted
    opens: np.ndarray    # int64 ns UTC
    closes: np.ndarray   # int64 ns UTC


@functools.lru_cache(maxsize=None)
def sessions(code: str) -> Sessions:
    """The calendar ``code`` (e.g. "XNYS") over CALENDAR_START..CALENDAR_END, built once."""
    import exchange_calendars as xcals
    from exchange_calendars.errors import InvalidCalendarName

    with warnings.catch_warnings():   # exchange_calendars 4.13 trips a pandas 3.1 deprecation warning
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        try:
            cal = xcals.get_calendar(code, start=CALENDAR_START, end=CALENDAR_END)
        except InvalidCalendarName:
            raise ValueError(f"calendar: {code!r} is not an exchange_calendars code (e.g. 'XNYS')") from None
        except ValueError:   # a calendar whose data starts later than CALENDAR_START
            cal = xcals.get_calendar(code, end=CALENDAR_END)
    sched = cal.schedule
    return Sessions(code, str(cal.tz), sched.index.to_numpy().astype("datetime64[D]"),
                    pd.DatetimeIndex(sched["open"]).as_unit("ns").asi8,
                    pd.DatetimeIndex(sched["close"]).as_unit("ns").asi8)


def checked_calendar(code: str | None, key: str) -> str | None:
    """``code`` when it names an exchange calendar (or is None: no calendar); else a config
    error naming ``key``."""
    if code is not None:
        try:
            sessions(str(code))
        except ValueError as err:
            raise ValueError(f"config error at {key}: {err}") from None
    return code


def _check_range(cal: Sessions, days: np.ndarray, what: str) -> None:
    if days.size and (days.min() < cal.dates[0] or days.max() > cal.dates[-1]):
        raise ValueError(f"{what} {days.min()}..{days.max()} outside the {cal.code} calendar's range "
                         f"{cal.dates[0]}..{cal.dates[-1]} (jaxmm.io.conventions.CALENDAR_START/END)")


def sessions_between(calendar: str | None, start, end) -> np.ndarray:
    """Exchange sessions in ``(start, end]`` (negative when end < start: minus those in
    ``(end, start]``); Monday-Friday days when ``calendar`` is None (a venue without one).

    Args:
      calendar: exchange_calendars code, or None.
      start, end: dates (anything numpy converts to ``datetime64[D]``), broadcast.

    Returns:
      int64 array of the broadcast shape.
    """
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    if calendar is None:
        one = np.timedelta64(1, "D")
        lo, hi = np.minimum(start, end), np.maximum(start, end)
        count = np.busday_count(lo + one, hi + one)
        return np.where(end < start, -count, count).astype(np.int64)
    cal = sessions(calendar)
    _check_range(cal, np.concatenate([start.ravel(), end.ravel()]), "dates")
    return (np.searchsorted(cal.dates, end, "right") - np.searchsorted(cal.dates, start, "right")).astype(np.int64)


# --------------------------------------------------------------------------- configuration

@dataclasses.dataclass(frozen=True)
class Conventions:
    """A source's resolved conventions (:func:`conventions_for`)."""

    venue: str
    calendar: str | None
    timezone: str          # of HH:MM rules and, without a calendar, of quote_date
    default: str
    roots: Mapping[str, str]

    def rule(self, root: str) -> str:
        return self.roots.get(root, self.default)


def _rule(value, key: str) -> str:
    s = str(value).strip().upper()
    if not _RULE.match(s):
        raise ValueError(f"config error at {key}: {value!r} is not a settlement rule (AM, PM or HH:MM)")
    return s


def conventions_for(source: Mapping, where: str | None = None) -> Conventions:
    """Resolve a chain source's conventions: the venue's built-ins, then its overrides.

    Args:
      source: one ``ingest.chains.sources[]`` entry (``format``; optional ``venue``,
        ``calendar``, ``settlement``).
      where: the config path for messages (default ``ingest.chains.sources[<name>]``).

    Raises:
      ValueError: an unknown venue or calendar, a bad rule, a bad time zone, or AM/PM
        without a calendar; the message names the key.
    """
    where = where or f"ingest.chains.sources[{source.get('name', '?')}]"
    fmt = str(source.get("format", "generic")).strip().lower()
    venue_name = source.get("venue") or FORMAT_VENUE.get(fmt, "cboe")
    if venue_name not in VENUES:
        raise ValueError(f"config error at {where}.venue: {venue_name!r} is not a venue ({', '.join(VENUES)})")
    venue = VENUES[venue_name]
    calendar = checked_calendar(source["calendar"] if "calendar" in source else venue.calendar,   # null: 24/7
                                f"{where}.calendar")
    settlement = source.get("settlement") or {}
    timezone = settlement.get("timezone") or venue.timezone or (sessions(calendar).tz if calendar else "UTC")
    try:
        pd.Timestamp("2000-01-01").tz_localize(timezone)
    except Exception:   # pytz / zoneinfo raise different types for an unknown zone
        raise ValueError(f"config error at {where}.settlement.timezone: {timezone!r} is not an IANA time "
                         "zone") from None
    overrides = settlement.get("roots") or {}
    roots = {**venue.roots, **{str(r).strip().upper(): _rule(v, f"{where}.settlement.roots.{r}")
                               for r, v in overrides.items()}}
    default = (_rule(settlement["default"], f"{where}.settlement.default") if settlement.get("default")
               else venue.default)
    if calendar is None:   # no sessions: every rule must be a clock time
        given = {str(r).strip().upper() for r in overrides}
        for root, rule in [("default", default)] + sorted(roots.items()):
            if rule in ("AM", "PM") and (root == "default" or root in given):
                key = "default" if root == "default" else f"roots.{root}"
                whose = "" if root != "default" or settlement.get("default") else f" (the {venue_name} venue's)"
                raise ValueError(f"config error at {where}.settlement.{key}: {rule}{whose} settlement needs a "
                                 f"calendar (the session's open / close); give HH:MM for a source without one")
        roots = {r: v for r, v in roots.items() if v not in ("AM", "PM")}   # the venue's AM/PM roots lapse
    return Conventions(venue_name, calendar, timezone, default, roots)


# --------------------------------------------------------------------------- times

def as_of_times(conv: Conventions, download_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(as-of ns UTC, snapshot label, as-of date) of download times (ns UTC): module doc."""
    download_ns = np.asarray(download_ns, np.int64)
    if conv.calendar is None:
        local = pd.DatetimeIndex(download_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(conv.timezone)
        return (download_ns, np.full(download_ns.shape, "continuous", dtype=object),
                local.tz_localize(None).to_numpy().astype("datetime64[D]"))
    cal = sessions(conv.calendar)
    local_day = (pd.DatetimeIndex(download_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(cal.tz)
                 .tz_localize(None).to_numpy().astype("datetime64[D]"))
    _check_range(cal, local_day, "download dates")
    i = np.searchsorted(cal.opens, download_ns, "right") - 1   # last session opened at or before
    if download_ns.size and i.min() < 0:
        raise ValueError(f"download time before the {cal.code} calendar's first session {cal.dates[0]}")
    close = cal.closes[i]
    in_session = download_ns <= close
    session_day = np.isin(local_day, cal.dates)
    label = np.select([in_session, local_day == cal.dates[i], session_day],
                      ["in_session", "after_close", "before_open"], "closed_day").astype(object)
    return np.where(in_session, download_ns, close), label, cal.dates[i]


def settlement_times(conv: Conventions, roots: np.ndarray, expiries: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(settlement ns UTC, label 'AM'/'PM'/'fixed', expiry_flag) per (root, expiry)."""
    expiries = np.asarray(expiries, "datetime64[D]")
    rules = pd.Series(roots, dtype=object).map(conv.rule).to_numpy(object)
    out = np.zeros(expiries.shape, np.int64)
    flag = np.full(expiries.shape, "ok", dtype=object)
    calendar_rule = (rules == "AM") | (rules == "PM")
    if conv.calendar is not None:
        cal = sessions(conv.calendar)
        _check_range(cal, expiries, "expiries")
        j = np.searchsorted(cal.dates, expiries, "right") - 1   # the expiry's session, or the last before it
        flag[cal.dates[j] != expiries] = "expiry_not_a_session"
        out = np.where(rules == "AM", cal.opens[j], np.where(rules == "PM", cal.closes[j], out))
    fixed = ~calendar_rule
    if fixed.any():
        hhmm = pd.to_timedelta([r + ":00" for r in rules[fixed]])
        local = pd.DatetimeIndex(expiries[fixed].astype("datetime64[ns]")) + hhmm
        out[fixed] = local.tz_localize(conv.timezone).tz_convert("UTC").as_unit("ns").asi8
    label = np.where(calendar_rule, rules, "fixed").astype(object)
    return out, label, flag


# --------------------------------------------------------------------------- apply

def _ns(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).cast(pa.timestamp("ns", tz="UTC")).to_numpy().astype(np.int64)


def _stamp(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%d %H:%M UTC")


def apply(result: ReadResult, source: Mapping, where: str | None = None) -> ReadResult:
    """A reader's result with as-of times, settlement times and expired expiries quarantined.

    Args:
      result: ``read_chains`` output (a ``CHAINS_READ`` table whose ``quote_time`` is the
        download time).
      source: the ``ingest.chains.sources[]`` entry (see :func:`conventions_for`).
      where: config path for messages.

    Returns:
      A ReadResult with a ``CHAINS`` table (``quote_time`` now the as-of time; the download
      time in ``download_time``), the quarantine extended by the ``expired`` quotes
      (settlement_time <= as-of time; ``raw`` holds the quote's key fields, the line is its
      source line) and each file's summary moved from kept to quarantined accordingly.
    """
    where = where or f"ingest.chains.sources[{source.get('name', '?')}]"
    conv = conventions_for(source, where)
    t = result.table
    download = _ns(t, "quote_time")
    root = np.asarray(t.column("root").to_pylist(), dtype=object)
    expiry = t.column("expiry").to_numpy().astype("datetime64[D]")
    try:
        as_of, snapshot, quote_date = as_of_times(conv, download)
        settle, settlement, flag = settlement_times(conv, root, expiry)
    except ValueError as err:   # dates outside the calendar's range
        raise ValueError(f"{where} ({source.get('name', '?')}): {err}") from None
    expired = settle <= as_of

    utc = labels.UTC_US
    cols = {name: t.column(name) for name in t.column_names}
    cols.update({
        "quote_time": pa.array(as_of.astype("datetime64[ns]"), pa.timestamp("ns", tz="UTC")).cast(utc),
        "download_time": pa.array(download.astype("datetime64[ns]"), pa.timestamp("ns", tz="UTC")).cast(utc),
        "snapshot": pa.array(snapshot, pa.string()),
        "quote_date": pa.array(quote_date, pa.date32()),
        "settlement_time": pa.array(settle.astype("datetime64[ns]"), pa.timestamp("ns", tz="UTC")).cast(utc),
        "settlement": pa.array(settlement, pa.string()),
        "expiry_flag": pa.array(flag, pa.string()),
        "calendar": pa.array([conv.calendar] * t.num_rows, pa.string()),
    })
    table = pa.table([cols[f.name] for f in schemas.CHAINS], schema=schemas.CHAINS)

    quarantine = Quarantine(result.quarantine.dataset, list(result.quarantine.rows))
    summary = [dict(s) for s in result.summary]
    if expired.any():
        gone = table.filter(pa.array(expired))
        rows = gone.select(["source_file", "source_line", "root", "expiry", "strike", "right", "instrument",
                            "bid", "ask"]).to_pylist()
        for r, s_ns, a_ns, label in zip(rows, settle[expired], as_of[expired], snapshot[expired]):
            quarantine.add(r["source_file"], r["source_line"], Reason.EXPIRED,
                           f"{r['root']} expiry {r['expiry']} settled {_stamp(s_ns)}, at or before the as-of "
                           f"time {_stamp(a_ns)} ({label})",
                           f"{r['instrument'] or ''} {r['expiry']} {r['strike']:g} {r['right']} "
                           f"bid={r['bid']:g} ask={r['ask']:g}")
        by_file = pd.Series([r["source_file"] for r in rows]).value_counts()
        for s in summary:
            n = int(by_file.get(s["source_file"], 0))
            s["kept"] -= n
            s["quarantined"] += n
        table = table.filter(pa.array(~expired))
    return ReadResult(table, quarantine, summary)

