"""Settlement conventions, exchange calendars and as-of times (jaxmm.io.conventions).

Expected times are written out by hand from the exchanges' rules (Cboe: AM = 09:30 New York
on the expiry date, PM = the close, 13:00 on early-close days; Deribit 08:00 UTC; the NYSE
calendar of exchange_calendars: holidays and the 2025-01-09 closure), never computed by the
code under test.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from jaxmm.io import conventions, schemas
from jaxmm.io.common import ReadResult
from jaxmm.io.errors import Quarantine

UTC = dt.timezone.utc
CBOE = {"name": "src", "format": "cboe"}


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def ns(t: dt.datetime) -> int:
    return pd.Timestamp(t).as_unit("ns").value


def read_result(rows: list[dict]) -> ReadResult:
    """A reader's result (CHAINS_READ) from rows giving root, download time, expiry and file."""
    defaults = {"source": "src", "underlying": "SPX", "strike": 100.0, "right": "C", "bid": 1.0, "ask": 1.1,
                "last": None, "volume": None, "open_interest": None, "bid_size": None, "ask_size": None,
                "underlying_price": 100.0, "underlying_bid": None, "underlying_ask": None, "vendor_iv": None,
                "vendor_delta": None, "vendor_gamma": None, "inverse": False, "native_currency": "USD",
                "bid_native": 1.0, "ask_native": 1.1, "instrument": None, "source_file": "a.csv"}
    full = []
    for i, r in enumerate(rows):
        row = {**defaults, "source_line": i + 5, **r}
        row.setdefault("quote_date", row["quote_time"].date())
        full.append(row)
    table = pa.Table.from_pylist(full, schema=schemas.CHAINS_READ)
    files = pd.Series([r["source_file"] for r in full]).value_counts()
    summary = [{"dataset": "chains", "source": "src", "source_file": f, "rows_in": int(n), "kept": int(n),
                "quarantined": 0} for f, n in files.items()]
    return ReadResult(table, Quarantine("chains"), summary)


def settle(source: dict, root: str, expiry: str):
    conv = conventions.conventions_for(source)
    t, label, flag = conventions.settlement_times(conv, np.array([root], object),
                                                  np.array([expiry], "datetime64[D]"))
    return pd.Timestamp(int(t[0]), tz="UTC").to_pydatetime(), label[0], flag[0]


def as_of(source: dict, download: dt.datetime):
    conv = conventions.conventions_for(source)
    t, label, day = conventions.as_of_times(conv, np.array([ns(download)]))
    return pd.Timestamp(int(t[0]), tz="UTC").to_pydatetime(), label[0], day[0].astype(dt.date)


# --------------------------------------------------------------------------- settlement

@pytest.mark.parametrize("root, expiry, want, label", [
    ("SPX", "2026-03-20", utc(2026, 3, 20, 13, 30), "AM"),    # monthly: 09:30 EDT opening quotation
    ("SPXW", "2026-03-20", utc(2026, 3, 20, 20, 0), "PM"),    # weekly root, same date: 16:00 EDT
    ("NDX", "2022-02-18", utc(2022, 2, 18, 14, 30), "AM"),    # 09:30 EST
    ("NDXP", "2022-02-18", utc(2022, 2, 18, 21, 0), "PM"),    # 16:00 EST
    ("SPY", "2025-05-16", utc(2025, 5, 16, 20, 0), "PM"),
    ("VIX", "2026-03-18", utc(2026, 3, 18, 13, 30), "AM"),    # Wednesday SOQ
    ("VIXW", "2026-03-25", utc(2026, 3, 25, 13, 30), "AM"),
    ("XSP", "2026-03-20", utc(2026, 3, 20, 20, 0), "PM"),     # Mini-SPX: PM-settled
    ("AMD1", "2026-03-20", utc(2026, 3, 20, 20, 0), "PM"),    # adjusted equity root
    ("SPXW", "2025-11-28", utc(2025, 11, 28, 18, 0), "PM"),   # day after Thanksgiving: 13:00 EST close
])
def test_cboe_settlement_by_root(root, expiry, want, label):
    assert settle(CBOE, root, expiry) == (want, label, "ok")


def test_deribit_settles_at_0800_utc():
    for expiry in ("2026-03-20", "2026-03-21", "2025-12-25"):   # Friday, Saturday, a US holiday: no calendar
        y, m, d = map(int, expiry.split("-"))
        assert settle({"name": "d", "format": "deribit"}, "BTC", expiry) == (utc(y, m, d, 8, 0), "fixed", "ok")


def test_expiry_on_a_closed_day_is_flagged_and_settles_the_session_before():
    # Good Friday 2026-04-03: NYSE closed; AM/PM move to Thursday's open/close.
    assert settle(CBOE, "SPX", "2026-04-03") == (utc(2026, 4, 2, 13, 30), "AM", "expiry_not_a_session")
    assert settle(CBOE, "SPXW", "2026-04-03") == (utc(2026, 4, 2, 20, 0), "PM", "expiry_not_a_session")
    # A Saturday expiry (listed options before 2015): Friday's close.
    assert settle(CBOE, "SPY", "2014-01-18") == (utc(2014, 1, 17, 21, 0), "PM", "expiry_not_a_session")


def test_per_source_and_per_root_overrides():
    src = {"name": "x", "format": "cboe", "settlement": {"roots": {"XSP": "AM", "spx": "PM"}}}
    assert settle(src, "XSP", "2026-03-20")[:2] == (utc(2026, 3, 20, 13, 30), "AM")
    assert settle(src, "SPX", "2026-03-20")[:2] == (utc(2026, 3, 20, 20, 0), "PM")   # root names upper-cased
    assert settle(src, "NDX", "2026-03-20")[:2] == (utc(2026, 3, 20, 13, 30), "AM")  # built-ins still apply
    src = {"name": "x", "format": "cboe", "settlement": {"default": "AM"}}
    assert settle(src, "QQQ", "2026-03-20")[1] == "AM"
    src = {"name": "x", "format": "cboe", "settlement": {"default": "17:15", "timezone": "Europe/London"}}
    assert settle(src, "QQQ", "2026-01-16") == (utc(2026, 1, 16, 17, 15), "fixed", "ok")   # GMT in January
    assert settle(src, "SPX", "2026-01-16")[1] == "AM"   # the venue's per-root rules stay
    # Generic CSV defaults to the cboe venue; a generic Deribit export can say so.
    assert settle({"name": "g", "format": "generic"}, "SPX", "2026-03-20")[1] == "AM"
    assert settle({"name": "g", "format": "generic", "venue": "deribit"}, "BTC", "2026-03-20")[:2] == \
        (utc(2026, 3, 20, 8, 0), "fixed")


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match=r"sources\[x\]\.calendar: .*'NOPE'"):
        conventions.conventions_for({"name": "x", "format": "cboe", "calendar": "NOPE"})
    with pytest.raises(ValueError, match=r"sources\[x\]\.venue"):
        conventions.conventions_for({"name": "x", "format": "cboe", "venue": "nasdaq"})
    with pytest.raises(ValueError, match=r"settlement\.roots\.SPX: '9am'"):
        conventions.conventions_for({"name": "x", "format": "cboe", "settlement": {"roots": {"SPX": "9am"}}})
    with pytest.raises(ValueError, match=r"settlement\.default: AM settlement needs a calendar"):
        conventions.conventions_for({"name": "x", "format": "cboe", "calendar": None,
                                     "settlement": {"default": "AM"}})
    with pytest.raises(ValueError, match=r"settlement\.timezone"):
        conventions.conventions_for({"name": "x", "format": "deribit", "settlement": {"timezone": "Mars/Base"}})


# --------------------------------------------------------------------------- as-of times

@pytest.mark.parametrize("download, want, label, day", [
    # SPY file: Fri 2025-05-16 19:23 EDT, after the close -> 16:00 EDT that day
    (utc(2025, 5, 16, 23, 23), utc(2025, 5, 16, 20, 0), "after_close", dt.date(2025, 5, 16)),
    # tom-sims SPX file: Sat 2026-03-14 07:34 GMT-4 -> Fri 2026-03-13 16:00 EDT
    (utc(2026, 3, 14, 11, 34), utc(2026, 3, 13, 20, 0), "closed_day", dt.date(2026, 3, 13)),
    # igdalias SPX file: Mon 2024-11-11 08:02 EST, before the open -> Fri 2024-11-08 16:00 EST
    (utc(2024, 11, 11, 13, 2), utc(2024, 11, 8, 21, 0), "before_open", dt.date(2024, 11, 8)),
    # NDX file: Sat 2022-02-05 20:26 EST -> Fri 2022-02-04 16:00 EST
    (utc(2022, 2, 6, 1, 26), utc(2022, 2, 4, 21, 0), "closed_day", dt.date(2022, 2, 4)),
    # National day of mourning for President Carter, Thu 2025-01-09: NYSE closed -> Wed's close
    (utc(2025, 1, 9, 16, 0), utc(2025, 1, 8, 21, 0), "closed_day", dt.date(2025, 1, 8)),
    # Inside the session: the download time itself (nickkxsper SPX, Tue 2022-07-12 11:55 EDT)
    (utc(2022, 7, 12, 15, 55), utc(2022, 7, 12, 15, 55), "in_session", dt.date(2022, 7, 12)),
    # Exactly at the close: in the session
    (utc(2025, 5, 16, 20, 0), utc(2025, 5, 16, 20, 0), "in_session", dt.date(2025, 5, 16)),
    # 16:10 EDT, while SPX options still trade: as of the 16:00 close (module doc)
    (utc(2025, 5, 16, 20, 10), utc(2025, 5, 16, 20, 0), "after_close", dt.date(2025, 5, 16)),
    # Early close 13:00 EST on 2025-11-28: 14:00 is after it
    (utc(2025, 11, 28, 19, 0), utc(2025, 11, 28, 18, 0), "after_close", dt.date(2025, 11, 28)),
    # Thanksgiving 2025-11-27 (closed) -> Wed 26th's close
    (utc(2025, 11, 27, 17, 0), utc(2025, 11, 26, 21, 0), "closed_day", dt.date(2025, 11, 26)),
    # Just after midnight New York on a Tuesday: before the open -> Monday's close
    (utc(2025, 5, 20, 4, 30), utc(2025, 5, 19, 20, 0), "before_open", dt.date(2025, 5, 19)),
])
def test_as_of_time(download, want, label, day):
    assert as_of(CBOE, download) == (want, label, day)


def test_continuous_venue_keeps_the_download_time():
    t = utc(2026, 3, 14, 11, 34)   # a Saturday: Deribit trades
    assert as_of({"name": "d", "format": "deribit"}, t) == (t, "continuous", dt.date(2026, 3, 14))
    src = {"name": "g", "format": "generic", "calendar": None, "settlement": {"default": "16:00",
                                                                               "timezone": "America/New_York"}}
    assert as_of(src, t)[1] == "continuous"
    assert settle(src, "SPX", "2026-03-21") == (utc(2026, 3, 21, 20, 0), "fixed", "ok")   # venue's AM roots lapse
    with pytest.raises(ValueError, match=r"settlement\.default: PM \(the cboe venue's\) settlement needs a calendar"):
        conventions.conventions_for({"name": "g", "format": "generic", "calendar": None})


def test_other_calendar_by_config():
    # London: Easter Monday 2025-04-21 closed; as of Thursday 17th's 16:30 BST close.
    t, label, day = as_of({"name": "l", "format": "generic", "calendar": "XLON"}, utc(2025, 4, 21, 12, 0))
    assert (t, label, day) == (utc(2025, 4, 17, 15, 30), "closed_day", dt.date(2025, 4, 17))


# --------------------------------------------------------------------------- apply

def test_apply_columns_and_expired_quarantine():
    """SPY downloaded Fri 2025-05-16 19:23 EDT: the same-day PM expiry has settled at the
    as-of time (16:00) and is quarantined; rows in = kept + quarantined per file."""
    download = utc(2025, 5, 16, 23, 23)
    rows = ([{"root": "SPY", "underlying": "SPY", "quote_time": download, "expiry": dt.date(2025, 5, 16),
              "strike": k, "right": r, "source_file": "a.csv"} for k in (500.0, 510.0) for r in "CP"]
            + [{"root": "SPY", "underlying": "SPY", "quote_time": download, "expiry": dt.date(2025, 5, 19),
                "strike": 500.0, "right": r, "source_file": f} for r, f in (("C", "a.csv"), ("P", "b.csv"))]
            + [{"root": "SPY", "underlying": "SPY", "quote_time": download, "expiry": dt.date(2025, 5, 16),
                "strike": 520.0, "right": "C", "source_file": "b.csv"}])
    res = conventions.apply(read_result(rows), {"name": "spy", "format": "cboe"})
    t = res.table
    assert t.schema.equals(schemas.CHAINS, check_metadata=True)
    assert t.num_rows == 2 and set(t["expiry"].to_pylist()) == {dt.date(2025, 5, 19)}
    assert set(t["quote_time"].to_pylist()) == {utc(2025, 5, 16, 20, 0)}
    assert set(t["download_time"].to_pylist()) == {download}
    assert set(t["snapshot"].to_pylist()) == {"after_close"}
    assert set(t["quote_date"].to_pylist()) == {dt.date(2025, 5, 16)}
    assert set(t["settlement_time"].to_pylist()) == {utc(2025, 5, 19, 20, 0)}
    assert set(t["settlement"].to_pylist()) == {"PM"} and set(t["calendar"].to_pylist()) == {"XNYS"}
    assert set(t["expiry_flag"].to_pylist()) == {"ok"}
    assert res.quarantine.by_reason() == {"expired": 5}
    lines = sorted((r.source_file, r.line) for r in res.quarantine.rows)
    assert lines == [("a.csv", 5), ("a.csv", 6), ("a.csv", 7), ("a.csv", 8), ("b.csv", 11)]
    assert "2025-05-16 20:00 UTC" in res.quarantine.rows[0].detail
    by_file = {s["source_file"]: s for s in res.summary}
    assert (by_file["a.csv"]["rows_in"], by_file["a.csv"]["kept"], by_file["a.csv"]["quarantined"]) == (5, 1, 4)
    assert (by_file["b.csv"]["rows_in"], by_file["b.csv"]["kept"], by_file["b.csv"]["quarantined"]) == (2, 1, 1)
    assert all(s["rows_in"] == s["kept"] + s["quarantined"] for s in res.summary)


def test_apply_am_expiry_of_the_day_expires_at_the_open():
    """In session at 11:00 EDT on a third Friday: the SPX monthly (AM) is over, the SPXW
    weekly of the same date (PM) has 5 hours left."""
    download = utc(2026, 3, 20, 15, 0)
    rows = [{"root": root, "quote_time": download, "expiry": dt.date(2026, 3, 20)} for root in ("SPX", "SPXW")]
    res = conventions.apply(read_result(rows), CBOE)
    assert res.table["root"].to_pylist() == ["SPXW"]
    assert res.table["snapshot"].to_pylist() == ["in_session"]
    assert res.table["quote_time"].to_pylist() == [download]
    hours = (res.table["settlement_time"][0].as_py() - res.table["quote_time"][0].as_py()).total_seconds() / 3600
    assert hours == pytest.approx(5.0, abs=1e-9)
    assert res.quarantine.by_reason() == {"expired": 1} and res.summary[0]["quarantined"] == 1


def test_apply_flags_a_holiday_expiry_and_keeps_it():
    rows = [{"root": "SPXW", "quote_time": utc(2026, 3, 31, 15, 0), "expiry": dt.date(2026, 4, 3)}]
    res = conventions.apply(read_result(rows), CBOE)
    assert res.table["expiry_flag"].to_pylist() == ["expiry_not_a_session"]
    assert res.table["settlement_time"].to_pylist() == [utc(2026, 4, 2, 20, 0)]


def test_apply_deribit():
    download = utc(2026, 3, 14, 11, 34)
    rows = [{"root": "BTC", "underlying": "BTC", "quote_time": download, "expiry": d}
            for d in (dt.date(2026, 3, 14), dt.date(2026, 3, 15))]
    res = conventions.apply(read_result(rows), {"name": "d", "format": "deribit"})
    assert res.table["expiry"].to_pylist() == [dt.date(2026, 3, 15)]   # 08:00 UTC on the 14th had passed
    assert res.table["settlement_time"].to_pylist() == [utc(2026, 3, 15, 8, 0)]
    assert res.table["quote_time"].to_pylist() == [download]
    assert res.table["snapshot"].to_pylist() == ["continuous"] and res.table["calendar"].to_pylist() == [None]
    assert res.quarantine.by_reason() == {"expired": 1}


def test_apply_empty_table():
    res = conventions.apply(read_result([]), CBOE)
    assert res.table.num_rows == 0 and res.table.schema.equals(schemas.CHAINS)


def test_apply_dates_outside_the_calendar_name_the_source():
    rows = [{"root": "SPX", "quote_time": utc(1985, 3, 1, 15, 0), "expiry": dt.date(1985, 3, 15)}]
    with pytest.raises(ValueError, match=r"sources\[src\] \(src\): download dates .* outside the XNYS calendar"):
        conventions.apply(read_result(rows), CBOE)


# --------------------------------------------------------------------------- sessions

def test_sessions_between():
    start = np.array(["2024-01-12", "2024-01-13", "2024-01-19", "2024-01-19", "2024-01-12"], "datetime64[D]")
    end = np.array(["2024-01-15", "2024-01-16", "2024-01-19", "2024-01-12", "2024-02-20"], "datetime64[D]")
    # Mon 2024-01-15 (MLK Day) and Mon 2024-02-19 (Washington's Birthday) are NYSE holidays.
    assert conventions.sessions_between("XNYS", start, end).tolist() == [0, 1, 0, -4, 25]
    assert conventions.sessions_between(None, start, end).tolist() == [1, 2, 0, -5, 27]   # Mon-Fri
    # 2025-01-09 (national day of mourning) is not a session.
    assert conventions.sessions_between("XNYS", "2025-01-08", "2025-01-10").tolist() == 1
    with pytest.raises(ValueError, match="outside the XNYS calendar"):
        conventions.sessions_between("XNYS", "2025-01-08", "2050-01-10")


# --------------------------------------------------------------------------- real files

REAL = "real_chains"


@pytest.mark.realdata
def test_real_spy_file_same_day_expiry_is_expired(real_data):
    from jaxmm.io.chains import read_chains

    path = real_data / REAL / "Photon1c__OptionParticleOcean" / "spy_quotedata.csv"
    read = read_chains([path], "cboe", "spy")
    res = conventions.apply(read, {"name": "spy", "format": "cboe"})
    t = res.table.to_pandas()
    assert (t["download_time"] == pd.Timestamp("2025-05-16 23:23", tz="UTC")).all()
    assert (t["quote_time"] == pd.Timestamp("2025-05-16 20:00", tz="UTC")).all()
    assert (t["snapshot"] == "after_close").all() and (t["root"] == "SPY").all()
    assert dt.date(2025, 5, 16) not in set(t["expiry"])
    expired = [r for r in res.quarantine.rows if r.reason.value == "expired"]
    assert len(expired) == 2 * 310   # the 310 lines of the May 16 expiry, call and put
    assert (t["settlement_time"] == pd.to_datetime(t["expiry"]).dt.tz_localize("UTC") + pd.Timedelta(hours=20)).all()
    s = res.summary[0]
    assert s["rows_in"] == s["kept"] + s["quarantined"] == 2 * 1580


@pytest.mark.realdata
def test_real_tom_sims_spx_file_is_as_of_fridays_close(real_data):
    from jaxmm.io.chains import read_chains

    path = real_data / REAL / "tom-sims__autocallOptionsPricer" / "spx_quotedata.csv"
    res = conventions.apply(read_chains([path], "cboe", "spx"), {"name": "spx", "format": "cboe"})
    t = res.table.to_pandas()
    assert (t["quote_time"] == pd.Timestamp("2026-03-13 20:00", tz="UTC")).all()
    assert (t["download_time"] == pd.Timestamp("2026-03-14 11:34", tz="UTC")).all()
    assert (t["snapshot"] == "closed_day").all() and (t["quote_date"] == dt.date(2026, 3, 13)).all()
    # Both roots of 2026-03-20 kept apart: SPX (AM) 13:30 UTC, SPXW (PM) 20:00 UTC.
    mar20 = t[t["expiry"] == dt.date(2026, 3, 20)].groupby("root")["settlement_time"].unique()
    assert set(mar20.index) == {"SPX", "SPXW"}
    assert list(mar20["SPX"]) == [pd.Timestamp("2026-03-20 13:30", tz="UTC")]
    assert list(mar20["SPXW"]) == [pd.Timestamp("2026-03-20 20:00", tz="UTC")]
    # The first expiry (Fri 2026-03-13, PM, 18 strikes) settled by the as-of time: quarantined (by the
    # reader already, its expiry being before the download date, else here).
    assert dt.date(2026, 3, 13) not in set(t["expiry"])
    gone = [r for r in res.quarantine.rows if "Fri Mar 13 2026" in r.raw or "2026-03-13" in r.raw]
    assert len(gone) == 2 * 18 and {r.reason.value for r in gone} <= {"expiry_before_quote", "expired"}
    assert all(s["rows_in"] == s["kept"] + s["quarantined"] for s in res.summary)


# Every real file: (path under JAXMM_REAL_DATA, download UTC, as-of UTC, snapshot, roots).
REAL_FILES = [
    ("spx_20251001", None, "2025-10-01 20:00", "after_close", {"SPX", "SPXW"}),
    (f"{REAL}/Photon1c__OptionParticleOcean/spy_quotedata.csv", "2025-05-16 23:23", "2025-05-16 20:00",
     "after_close", {"SPY"}),
    (f"{REAL}/tom-sims__autocallOptionsPricer/spx_quotedata.csv", "2026-03-14 11:34", "2026-03-13 20:00",
     "closed_day", {"SPX", "SPXW"}),
    (f"{REAL}/Luca-Castelli__Index-Gamma/ndx_quotedata.csv", "2022-02-06 01:26", "2022-02-04 21:00",
     "closed_day", {"NDX", "NDXP"}),
    (f"{REAL}/igdalias8986__rep1/spx_quotedata.csv", "2024-11-11 13:02", "2024-11-08 21:00", "before_open",
     {"SPX", "SPXW"}),
    (f"{REAL}/nickkxsper__index-gamma/spx_quotedata.csv", "2022-07-12 15:55", "2022-07-12 15:55", "in_session",
     {"SPX", "SPXW"}),
]
EARLY_CLOSES = {dt.date(2024, 11, 29)}   # the one early-close expiry in these files (SPXW, 13:00 EST)


@pytest.mark.realdata
@pytest.mark.parametrize("rel, download, as_of_time, snapshot, roots", REAL_FILES, ids=lambda v: str(v)[:40])
def test_real_files_as_of_and_settlement_of_every_expiry(real_data, rel, download, as_of_time, snapshot, roots):
    from jaxmm.io.chains import read_chains

    res = conventions.apply(read_chains([real_data / rel], "cboe", "real"), {"name": "real", "format": "cboe"})
    t = res.table.to_pandas()
    assert len(t) > 0 and set(t["root"]) == roots
    if download is not None:   # spx_20251001: 7 files taken 18:01-19:01 EDT
        assert (t["download_time"] == pd.Timestamp(download, tz="UTC")).all()
    assert (t["quote_time"] == pd.Timestamp(as_of_time, tz="UTC")).all() and (t["snapshot"] == snapshot).all()
    ny = t["settlement_time"].dt.tz_convert("America/New_York")
    am = t["root"].isin(["SPX", "NDX"])
    early = t["expiry"].isin(EARLY_CLOSES)
    want = np.where(am, "09:30", np.where(early, "13:00", "16:00"))
    assert (ny.dt.strftime("%H:%M").to_numpy() == want).all()
    assert (ny.dt.date == t["expiry"]).all() and (t["expiry_flag"] == "ok").all()
    assert (t["settlement"] == np.where(am, "AM", "PM")).all()
    assert (t["settlement_time"] > t["quote_time"]).all()
    assert all(s["rows_in"] == s["kept"] + s["quarantined"] for s in res.summary)
