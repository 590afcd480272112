"""Futures readers: settlements, wide curve, continuous tenors (jaxmm.io.futures)."""

from __future__ import annotations

import datetime as dt
import gzip
import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings

from _io_corruption import corrupted, data_lines
from jaxmm.io.errors import InputFileError, Reason
from jaxmm.io.futures import (continuous_tenors, read_settlements,
                              read_wide_curve)
from jaxmm.io.schemas import FUTURES_CONTRACTS, FUTURES_TENORS

D = dt.date
HEADER = "date,contract,expiry,settle,volume,open_interest\n"


def write(tmp_path, name: str, text: str | bytes):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def reasons(res) -> dict[int, tuple[str, str]]:
    return {r.line: (r.reason, r.detail) for r in res.quarantine.rows}


def assert_conserved(res):
    for s in res.summary:
        assert s["rows_in"] == s["kept"] + s["quarantined"]
    assert sum(s["quarantined"] for s in res.summary) == len(res.quarantine)


# --------------------------------------------------------------------------- settlements

ROWS = """\
2024-01-02,CLG24,2024-01-22,70.0,100,1000
2024-01-02,CLH24,2024-02-20,70.5,,
2024-01-02,CLJ24,,71.0,1,1
2024-01-02,CLK24,2024-04-22,abc,1,1
2024-13-02,CLK24,2024-04-22,71,1,1
2024-01-02,CLM24,2024-05-21,0,1,1
2024-01-02,CLN24,2023-12-29,71,1,1
2024-01-02,CLG24,2024-01-22,70.0,100,1000
2024-01-02,CLG24,2024-01-22,70.1,100,1000
2024-01-03,CLG24,2024-01-23,70.2,100,1000
2024-01-03,CLG24,2024-01-22
2024-01-03,CLG24,2024-01-22,70.3,x,1
20240103,clh24 , 2/20/2024 ,70.6,,

2024-01-03,CLZ24,2024-12-19,-5,1,1
"""


def test_settlements_every_row_reason(tmp_path):
    p = write(tmp_path, "s.csv", HEADER + ROWS)
    res = read_settlements(p, "wti")
    q = reasons(res)
    assert q[4] == (Reason.MISSING_FIELD, "expiry: empty")
    assert q[5][0] == Reason.NON_NUMERIC and "settle" in q[5][1] and "abc" in q[5][1]
    assert q[6][0] == Reason.BAD_DATE and "date" in q[6][1] and "2024-13-02" in q[6][1]
    assert q[7][0] == Reason.NONPOSITIVE_PRICE
    assert q[8][0] == Reason.EXPIRY_BEFORE_QUOTE
    assert q[9][0] == Reason.DUPLICATE_ROW and "identical" in q[9][1] and f"{p}:2" in q[9][1]
    assert q[10][0] == Reason.DUPLICATE_ROW and "conflicting" in q[10][1] and "70.1" in q[10][1]
    assert q[11][0] == Reason.INCONSISTENT_EXPIRY and "2024-01-22" in q[11][1] and f"{p}:2" in q[11][1]
    assert q[12] == (Reason.WRONG_FIELD_COUNT, "3 fields, header has 6")
    assert q[13][0] == Reason.NON_NUMERIC and "volume" in q[13][1]
    assert q[16][0] == Reason.NONPOSITIVE_PRICE          # line 15 is blank: not counted
    assert set(q) == {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16}
    assert all(r.source_file == str(p) and r.dataset == "futures" for r in res.quarantine.rows)
    assert res.quarantine.rows[0].raw == "2024-01-02,CLJ24,,71.0,1,1"

    t = res.table
    assert t.schema.equals(FUTURES_CONTRACTS, check_metadata=True)
    assert t.column("source_line").to_pylist() == [2, 3, 14]
    last = t.to_pylist()[-1]
    assert (last["date"], last["contract"], last["expiry"], last["settle"]) == (
        D(2024, 1, 3), "CLH24", D(2024, 2, 20), 70.6)
    assert t.column("volume").to_pylist() == [100.0, None, None]
    assert res.summary == [{"dataset": "futures", "source": "wti", "source_file": str(p),
                            "rows_in": 14, "kept": 3, "quarantined": 11}]


def test_settlements_header_variants_and_extra_columns(tmp_path):
    text = (" Date ,CONTRACT,Expiry,Settle,Open Interest,comment\n"
            "2024-01-02,CLG24,2024-01-22,70,5,hello\n")
    res = read_settlements(write(tmp_path, "s.csv", text), "s")
    row = res.table.to_pylist()[0]
    assert row["open_interest"] == 5.0 and row["volume"] is None
    assert row["expiry"] == D(2024, 1, 22)


def test_settlements_duplicates_across_files_and_gzip(tmp_path):
    a = write(tmp_path, "a.csv", HEADER + "2024-01-02,CLG24,2024-01-22,70,,\n")
    b = write(tmp_path, "b.csv.gz", gzip.compress(
        (HEADER + "2024-01-02,CLG24,2024-01-22,71,,\n2024-01-03,CLG24,2024-01-22,71,,\n").encode()))
    res = read_settlements(tmp_path, "s")  # a directory: *.csv and *.csv.gz, sorted
    assert [s["source_file"] for s in res.summary] == [str(a), str(b)]
    assert [(s["rows_in"], s["kept"], s["quarantined"]) for s in res.summary] == [(1, 1, 0), (2, 1, 1)]
    (row,) = res.quarantine.rows
    assert row.reason == Reason.DUPLICATE_ROW and row.source_file == str(b) and f"{a}:2" in row.detail


@pytest.mark.parametrize("name, content, line, column, expect", [
    ("empty.csv", b"", 1, None, "non-empty"),
    ("blank.csv", b"  \n\n", 1, None, "non-empty"),
    ("latin1.csv", (HEADER + "2024-01-02,CLG24,2024-01-22,70,,\n").encode() + b"caf\xe9\n", 3, None, "UTF-8"),
    ("header.csv", HEADER.encode(), 2, None, "at least one data line"),
    ("noexp.csv", b"date,contract,settle\n2024-01-02,CLG24,70\n", 1, "expiry", "'expiry'"),
    ("data.csv", b"2024-01-02,CLG24,2024-01-22,70\n2024-01-03,CLG24,2024-01-22,70\n", 1, "date", "looks like data"),
    ("dup.csv", b"date,contract,expiry,settle,Settle\n2024-01-02,CLG24,2024-01-22,70,71\n", 1, "Settle", "unique column names"),
    ("bad.csv.gz", b"not gzip at all", 1, None, "gzip"),
])
def test_settlements_file_errors(tmp_path, name, content, line, column, expect):
    p = write(tmp_path, name, content)
    with pytest.raises(InputFileError) as err:
        read_settlements(p, "s")
    msg = str(err.value)
    assert str(p) in msg and f"{p}:{line}:" in msg and expect in msg
    assert err.value.line == line and err.value.column == column
    if column:
        assert f"column {column!r}" in msg


def test_settlements_missing_column_lists_header(tmp_path):
    p = write(tmp_path, "s.csv", "date,contract,settle\n2024-01-02,CLG24,70\n")
    with pytest.raises(InputFileError, match="columns: date,contract,settle"):
        read_settlements(p, "s")


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputFileError, match="nope.csv"):
        read_settlements(tmp_path / "nope.csv", "s")


# --------------------------------------------------------------------------- continuous tenors

# January 2024: the 10th is a Wednesday; 13/14 are a weekend.
#   A expires Fri 01-19: with roll_business_days=2 its roll date is Wed 01-17.
#   B settles on every day but Fri 01-12; C first settles on 01-16; D on 01-18 only.
PRICES = {
    "A": (D(2024, 1, 19), {10: 70.0, 11: 70.5, 12: 71.0, 15: 70.8, 16: 71.2, 17: 71.5, 18: 71.9}),
    "B": (D(2024, 2, 20), {10: 72.0, 11: 72.2, 15: 72.9, 16: 73.1, 17: 73.6, 18: 73.0}),
    "C": (D(2024, 3, 19), {16: 74.0, 17: 74.4, 18: 74.1}),
    "D": (D(2024, 4, 18), {18: 76.0}),
}


def contracts_table(prices=PRICES, source="wti") -> pa.Table:
    rows = [(D(2024, 1, day), c, exp, px) for c, (exp, by_day) in prices.items()
            for day, px in by_day.items()]
    n = len(rows)
    return pa.table({
        "source": [source] * n, "date": [r[0] for r in rows], "contract": [r[1] for r in rows],
        "expiry": [r[2] for r in rows], "settle": [r[3] for r in rows],
        "volume": [None] * n, "open_interest": [None] * n,
        "source_file": ["x.csv"] * n, "source_line": list(range(2, n + 2)),
    }, schema=FUTURES_CONTRACTS)


@pytest.fixture(scope="module")
def tenors():
    out = continuous_tenors(contracts_table(), n_tenors=3, roll_business_days=2)
    assert out.schema.equals(FUTURES_TENORS, check_metadata=True)
    return {(r["date"].day, r["tenor"]): r for r in out.to_pylist()}


def px(c, day):
    return PRICES[c][1][day]


def test_tenor_membership_around_the_roll(tenors):
    occupancy = {k: r["contract"] for k, r in tenors.items()}
    assert occupancy == {
        (10, 1): "A", (10, 2): "B",
        (11, 1): "A", (11, 2): "B",
        (12, 1): "A",                      # B did not settle on the 12th: no M2 row
        (15, 1): "A", (15, 2): "B",
        (16, 1): "A", (16, 2): "B", (16, 3): "C",
        (17, 1): "B", (17, 2): "C",        # A's roll date: A is no longer live
        (18, 1): "B", (18, 2): "C", (18, 3): "D",
    }
    rolled = sorted(k for k, r in tenors.items() if r["rolled"])
    assert rolled == [(17, 1), (17, 2), (18, 3)]


def test_returns_use_the_contracts_own_previous_settle(tenors):
    def ret(day, tenor):
        return tenors[(day, tenor)]["log_return"]
    assert ret(10, 1) is None and ret(10, 2) is None           # first settles in the data
    assert ret(11, 1) == pytest.approx(math.log(px("A", 11) / px("A", 10)), abs=1e-15)
    assert ret(15, 2) == pytest.approx(math.log(px("B", 15) / px("B", 11)), abs=1e-15)  # across B's gap
    # Roll date: M1 is B, and its return is B's own, never B(17)/A(16).
    assert ret(17, 1) == pytest.approx(math.log(px("B", 17) / px("B", 16)), abs=1e-15)
    assert ret(17, 1) != pytest.approx(math.log(px("B", 17) / px("A", 16)))
    # C moved from M3 to M2: its own previous settle, from the day it was M3.
    assert ret(17, 2) == pytest.approx(math.log(px("C", 17) / px("C", 16)), abs=1e-15)
    assert ret(18, 3) is None                                   # D has no earlier settle


def test_no_return_mixes_two_contracts():
    table = contracts_table()
    for k in (0, 1, 2, 5):
        out = continuous_tenors(table, 4, k).to_pylist()
        for r in out:
            if r["log_return"] is None:
                continue
            _, by_day = PRICES[r["contract"]]
            prev = max(d for d in by_day if d < r["date"].day)
            assert r["log_return"] == pytest.approx(math.log(by_day[r["date"].day] / by_day[prev]), abs=1e-15)


def test_business_days_to_expiry(tenors):
    """NYSE sessions (the default calendar): Mon 2024-01-15 (MLK Day) and Mon 2024-02-19
    (Washington's Birthday) are holidays; with calendar None, Mon-Fri days."""
    assert tenors[(12, 1)]["business_days_to_expiry"] == 4        # Fri 12 -> Fri 19: 16..19 (15th closed)
    assert tenors[(16, 1)]["business_days_to_expiry"] == 3        # 17, 18, 19
    assert tenors[(17, 1)]["business_days_to_expiry"] == 23       # B: Jan 18 .. Feb 20 less Feb 19
    assert tenors[(17, 1)]["expiry"] == D(2024, 2, 20)
    mon_fri = {(r["date"].day, r["tenor"]): r["business_days_to_expiry"]
               for r in continuous_tenors(contracts_table(), 3, 2, calendar=None).to_pylist()}
    assert (mon_fri[(12, 1)], mon_fri[(16, 1)], mon_fri[(17, 1)]) == (5, 3, 24)


def test_roll_counts_exchange_sessions():
    """A expires Tue 2024-01-16, the day after MLK Day: with a 1-session roll it leaves M1
    after Thu 11th on the NYSE calendar (Fri 12 -> Tue 16 is one session) but after Fri
    12th counting Mon-Fri (two days)."""
    prices = {"A": (D(2024, 1, 16), {11: 70.0, 12: 70.1}), "B": (D(2024, 2, 20), {11: 72.0, 12: 72.1})}
    front = {cal: {r["date"].day: r["contract"] for r in continuous_tenors(contracts_table(prices), 1, 1, cal)
                   .to_pylist()} for cal in ("XNYS", None)}
    assert front == {"XNYS": {11: "A", 12: "B"}, None: {11: "A", 12: "A"}}


def test_roll_zero_leaves_on_expiry_day():
    prices = {"A": (D(2024, 1, 19), {18: 70.0, 19: 70.1}), "B": (D(2024, 2, 20), {18: 72.0, 19: 72.1})}
    out = {(r["date"].day, r["tenor"]): r["contract"]
           for r in continuous_tenors(contracts_table(prices), 2, 0).to_pylist()}
    assert out == {(18, 1): "A", (18, 2): "B", (19, 1): "B"}


def test_sources_are_separate_and_input_checks():
    both = pa.concat_tables([contracts_table(source="a"), contracts_table(source="b")])
    out = continuous_tenors(both, 3, 2)
    assert out.num_rows == 2 * 15
    assert out.filter(pa.compute.equal(out["source"], "b"))["rolled"].to_pylist().count(True) == 3
    assert continuous_tenors(FUTURES_CONTRACTS.empty_table(), 2, 1).schema.equals(FUTURES_TENORS)
    with pytest.raises(ValueError, match="n_tenors"):
        continuous_tenors(contracts_table(), 0, 1)
    with pytest.raises(ValueError, match="roll_business_days"):
        continuous_tenors(contracts_table(), 1, -1)
    bad = contracts_table({"A": (D(2024, 1, 19), {10: 70.0, 11: -1.0})})
    with pytest.raises(ValueError, match="settle must be > 0"):
        continuous_tenors(bad, 1, 0)
    dup = pa.concat_tables([contracts_table(), contracts_table().slice(0, 1)])
    with pytest.raises(ValueError, match="two rows"):
        continuous_tenors(dup, 2, 1)


def test_settlements_to_tenors_end_to_end(tmp_path):
    lines = [f"2024-01-{day:02d},CL{c},{exp},{p},," for c, (exp, by_day) in PRICES.items()
             for day, p in by_day.items()]
    res = read_settlements(write(tmp_path, "s.csv", HEADER + "\n".join(lines) + "\n"), "wti")
    assert len(res.quarantine) == 0
    out = continuous_tenors(res.table, 3, 2).to_pylist()
    assert [(r["date"].day, r["contract"]) for r in out if r["tenor"] == 1 and r["rolled"]] == [(17, "CLB")]


# --------------------------------------------------------------------------- wide curve

WIDE = """\
date,CL01,CL02,CL03,Source
2024-01-02,70,71,72,x
2024-01-03,71,72,,x
2024-01-04,72,abc,74,x
2024-01-05,73,74,75,x
2024-01-05,1,1,1,x
2024-01-08,,,,x
2024-01-09,74,0,75,x
2024-01-10,74
2024-01-32,74,75,76,x
"""


def test_wide_curve(tmp_path):
    p = write(tmp_path, "w.csv", WIDE)
    res = read_wide_curve(p, "wti")
    assert res.summary == [{"dataset": "futures", "source": "wti", "source_file": str(p),
                            "rows_in": 9, "kept": 3, "quarantined": 6}]
    q = {line: r for line, r in reasons(res).items()}
    assert q[4][0] == Reason.NON_NUMERIC and "tenor 2" in q[4][1]
    assert q[6][0] == Reason.DUPLICATE_ROW and f"{p}:5" in q[6][1]
    assert q[7] == (Reason.MISSING_FIELD, "no tenor has a value")
    assert q[8][0] == Reason.NONPOSITIVE_PRICE
    assert q[9] == (Reason.WRONG_FIELD_COUNT, "2 fields, header has 5")
    assert q[10][0] == Reason.BAD_DATE

    t = res.table
    assert t.schema.equals(FUTURES_TENORS, check_metadata=True)
    rows = {(r["date"].day, r["tenor"]): r for r in t.to_pylist()}
    assert sorted(rows) == [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2), (5, 1), (5, 2), (5, 3)]
    assert rows[(2, 1)]["log_return"] is None
    assert rows[(3, 1)]["log_return"] == pytest.approx(math.log(71 / 70), abs=1e-15)
    assert rows[(5, 1)]["log_return"] == pytest.approx(math.log(73 / 71), abs=1e-15)   # 4th quarantined
    assert rows[(5, 3)]["log_return"] == pytest.approx(math.log(75 / 72), abs=1e-15)   # gap on the 3rd
    assert all(r["contract"] is None and r["expiry"] is None and r["business_days_to_expiry"] is None
               and r["rolled"] is False for r in rows.values())
    assert [(r["date"].day, r["tenor"]) for r in t.to_pylist()] == sorted(rows)        # by date, tenor


def test_wide_curve_custom_regex_and_header_errors(tmp_path):
    p = write(tmp_path, "m.csv", "Date,M1,M12\n20240102,70,66\n")
    t = read_wide_curve(p, "wti", tenor_regex=r"^M(\d+)$").table
    assert t.column("tenor").to_pylist() == [1, 12]

    cases = [
        ("date,CL01,volume,foo\n2024-01-02,1,2,3\n", "volume", "unexpected columns: volume, foo"),
        ("date,CL1,CL01\n2024-01-02,1,2\n", "CL01", "one column per tenor"),
        ("date,CL0\n2024-01-02,1\n", "CL0", "tenor numbers >= 1"),
        ("day,CL01\n2024-01-02,1\n", "date", "'date'"),
    ]
    for i, (text, column, expect) in enumerate(cases):
        f = write(tmp_path, f"bad{i}.csv", text)
        with pytest.raises(InputFileError) as err:
            read_wide_curve(f, "wti")
        assert f"{f}:1:" in str(err.value) and f"column {column!r}" in str(err.value)
        assert expect in str(err.value)
    f = write(tmp_path, "none.csv", "date,source\n2024-01-02,x\n")
    with pytest.raises(InputFileError, match="at least one tenor column"):
        read_wide_curve(f, "wti")


# --------------------------------------------------------------------------- property

def _valid_settlements() -> str:
    lines = [HEADER.rstrip("\n")]
    for day in range(2, 12):
        for m, exp in enumerate(("2024-01-22", "2024-02-20", "2024-03-19")):
            lines.append(f"2024-01-{day:02d},CL{m},{exp},{70 + m + day / 10:.2f},{100 * day},{1000 + m}")
    return "\n".join(lines) + "\n"


VALID = _valid_settlements()


@settings(max_examples=100, deadline=None)
@given(data=corrupted(VALID))
def test_corrupted_settlements_never_crash_and_conserve_rows(tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "corrupt_settlements.csv"
    p.write_bytes(data)
    try:
        res = read_settlements(p, "s")
    except InputFileError as exc:
        assert str(p) in str(exc)
        return
    assert_conserved(res)
    (s,) = res.summary
    assert s["rows_in"] == data_lines(data)
    t = res.table
    assert t.num_rows == s["kept"] and t.schema.equals(FUTURES_CONTRACTS)
    rows = t.to_pylist()
    assert all(r["settle"] > 0 and r["expiry"] >= r["date"] for r in rows)
    assert len({(r["date"], r["contract"]) for r in rows}) == len(rows)
    out = continuous_tenors(t, 3, 1)
    ret = out.column("log_return").to_numpy(zero_copy_only=False)
    assert np.all(np.isfinite(ret[~np.isnan(ret)]))


@settings(max_examples=40, deadline=None)
@given(data=corrupted(WIDE.replace("abc", "73").replace("2024-01-32", "2024-01-11")))
def test_corrupted_wide_curve_never_crashes(tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "corrupt_wide.csv"
    p.write_bytes(data)
    try:
        res = read_wide_curve(p, "w")
    except InputFileError:
        return
    assert_conserved(res)
    assert res.summary[0]["rows_in"] == data_lines(data)
    assert res.table.schema.equals(FUTURES_TENORS)
