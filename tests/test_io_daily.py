"""Daily series reader (jaxmm.io.daily)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings

from _io_corruption import corrupted, data_lines
from jaxmm.io.daily import read_daily
from jaxmm.io.errors import InputFileError, Reason
from jaxmm.io.schemas import DAILY

D = dt.date


def write(tmp_path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def assert_conserved(res):
    for s in res.summary:
        assert s["rows_in"] == s["kept"] + s["quarantined"]
    assert sum(s["kept"] for s in res.summary) == res.table.num_rows
    assert sum(s["quarantined"] for s in res.summary) == len(res.quarantine)


TEXT = """\
Date,Close,VIX,note
1/4/1999,100,20,a
1999-01-05,101,,b
19990106,abc,21,c
1999-01-07,-1,22,d
1999-13-07,1,1,e

1999-01-05,101,19,f
1999-01-08,102,.,g
1999-01-11,103
,104,23,h
1999-01-12,102.5,-2,i
1999-01-05,101.5,18,j
"""


def by_cell(res):
    return {(r.line, r.detail.split(":")[0]): (r.reason, r.detail) for r in res.quarantine.rows}


def test_daily_every_reason(tmp_path):
    p = write(tmp_path, "spx.csv", TEXT)
    res = read_daily(p, "spx", columns=["close", "vix"], positive=["close"])
    q = by_cell(res)
    assert q[(3, "vix")][0] == Reason.MISSING_FIELD
    assert q[(4, "close")][0] == Reason.NON_NUMERIC and "abc" in q[(4, "close")][1]
    assert q[(5, "close")] == (Reason.NONPOSITIVE_PRICE, "close: -1.0 <= 0")
    assert q[(6, "close")][0] == q[(6, "vix")][0] == Reason.BAD_DATE
    assert "1999-13-07" in q[(6, "close")][1]
    # line 7 is blank (not counted); line 8 repeats 1999-01-05: close duplicates line 3,
    # vix is kept because line 3's vix was missing (a duplicate repeats a *kept* cell).
    assert q[(8, "close")][0] == Reason.DUPLICATE_ROW
    assert f"{p}:3" in q[(8, "close")][1] and "identical" in q[(8, "close")][1]
    assert q[(9, "vix")][0] == Reason.MISSING_FIELD                    # FRED's '.'
    assert q[(10, "close")] == (Reason.WRONG_FIELD_COUNT, "close: 2 fields, header has 4")
    assert q[(10, "vix")] == (Reason.WRONG_FIELD_COUNT, "vix: 2 fields, header has 4")
    assert q[(11, "close")][0] == Reason.MISSING_FIELD and "date" in q[(11, "close")][1]
    assert (12, "vix") not in q                                        # vix not in positive
    assert q[(13, "close")][0] == Reason.DUPLICATE_ROW and "conflicting" in q[(13, "close")][1]
    assert q[(13, "vix")][0] == Reason.DUPLICATE_ROW and f"{p}:8" in q[(13, "vix")][1]
    assert all(r.source_file == str(p) and r.dataset == "daily" for r in res.quarantine.rows)

    assert res.summary == [{"dataset": "daily", "source": "spx", "source_file": str(p),
                            "rows_in": 2 * 11, "kept": 9, "quarantined": 13}]
    t = res.table
    assert t.schema.equals(DAILY, check_metadata=True)
    kept = [(r["date"], r["field"], r["value"], r["source_line"]) for r in t.to_pylist()]
    assert kept == [
        (D(1999, 1, 4), "close", 100.0, 2), (D(1999, 1, 4), "vix", 20.0, 2),
        (D(1999, 1, 5), "close", 101.0, 3),
        (D(1999, 1, 6), "vix", 21.0, 4),
        (D(1999, 1, 7), "vix", 22.0, 5),
        (D(1999, 1, 5), "vix", 19.0, 8),
        (D(1999, 1, 8), "close", 102.0, 9),
        (D(1999, 1, 12), "close", 102.5, 12), (D(1999, 1, 12), "vix", -2.0, 12),
    ]
    assert {r["source"] for r in t.to_pylist()} == {"spx"}


def test_daily_all_columns_keep_header_names(tmp_path):
    p = write(tmp_path, "x.csv", "Date,Close,Adj Close,\n2024-01-02,1,2,\n")  # trailing comma
    res = read_daily(p, "x")
    assert res.table.column("field").to_pylist() == ["Close", "Adj Close"]
    assert res.summary[0]["rows_in"] == 2


def test_daily_custom_date_column_and_gzip(tmp_path):
    p = write(tmp_path, "v.csv.gz", gzip.compress(b"\xef\xbb\xbfDay,vix\r\n20240102,13.1\r\n20240103,13.4\r\n"))
    res = read_daily(p, "vix", date_column="day")
    assert res.table.column("value").to_pylist() == [13.1, 13.4]
    assert res.table.column("date").to_pylist() == [D(2024, 1, 2), D(2024, 1, 3)]


def test_daily_duplicates_across_files(tmp_path):
    a = write(tmp_path, "a.csv", "date,close\n2024-01-02,1\n")
    b = write(tmp_path, "b.csv", "date,close\n2024-01-02,1\n2024-01-03,2\n")
    res = read_daily([a, b], "x")
    assert [(s["kept"], s["quarantined"]) for s in res.summary] == [(1, 0), (1, 1)]
    assert f"{a}:2" in res.quarantine.rows[0].detail
    assert_conserved(res)


@pytest.mark.parametrize("name, content, kwargs, line, column, expect", [
    ("empty.csv", b"", {}, 1, None, "non-empty"),
    ("latin1.csv", b"date,close\n2024-01-02,1\n2024-01-03,\xff\n", {}, 3, None, "UTF-8"),
    ("header.csv", b"date,close\n", {}, 2, None, "at least one data line"),
    ("nodate.csv", b"day,close\n2024-01-02,1\n", {}, 1, "date", "columns: day,close"),
    ("data.csv", b"2024-01-02,1\n2024-01-03,2\n", {}, 1, "date", "looks like data"),
    ("nocol.csv", b"date,close\n2024-01-02,1\n", {"columns": ["close", "nav"]}, 1, "nav", "columns: date,close"),
    ("onlydate.csv", b"date\n2024-01-02\n", {}, 1, None, "at least one value column"),
    ("dup.csv", b"date,close,CLOSE\n2024-01-02,1,2\n", {}, 1, "CLOSE", "unique column names"),
    ("pos.csv", b"date,close\n2024-01-02,1\n", {"positive": ["nav"]}, 1, "nav", "named in positive"),
    ("gz.csv.gz", b"plain text", {}, 1, None, "gzip"),
])
def test_daily_file_errors(tmp_path, name, content, kwargs, line, column, expect):
    p = write(tmp_path, name, content)
    with pytest.raises(InputFileError) as err:
        read_daily(p, "x", **kwargs)
    msg = str(err.value)
    assert msg.startswith(f"{p}:{line}:") and expect in msg
    assert err.value.line == line and err.value.column == column
    if column:
        assert f"column {column!r}" in msg


def test_daily_config_errors(tmp_path):
    p = write(tmp_path, "x.csv", "date,close,vix\n2024-01-02,1,2\n")
    with pytest.raises(ValueError, match="positive: column 'vix' is not among the columns read"):
        read_daily(p, "x", columns=["close"], positive=["vix"])
    with pytest.raises(ValueError, match="is the date column"):
        read_daily(p, "x", columns=["date"])


# --------------------------------------------------------------------------- arch data

ARCH = [("sp500/sp500.csv.gz", 5031, 6), ("vix/vix.csv.gz", 1305, 1), ("wti/wti.csv.gz", 8611, 1)]


@pytest.mark.parametrize("rel, lines, ncols", ARCH)
def test_arch_package_files(rel, lines, ncols):
    arch_data = pytest.importorskip("arch.data")
    p = Path(arch_data.__file__).parent / rel
    if not p.exists():
        pytest.skip(f"{p} not shipped by this arch version")
    res = read_daily(p, "arch")
    (s,) = res.summary
    assert s["rows_in"] == lines * ncols
    assert_conserved(res)
    # The only gaps are FRED's '.' (vix, wti): nothing else is quarantined.
    assert set(res.quarantine.by_reason()) <= {"missing_field"}
    assert res.table.num_rows > 0.95 * s["rows_in"]


# --------------------------------------------------------------------------- property

VALID = "date,close,vix,nav\n" + "".join(
    f"2024-{m:02d}-{d:02d},{100 + d:.2f},{15 + d / 10:.1f},{99 + d:.2f}\n" for m in (1, 2) for d in range(1, 13))


@settings(max_examples=100, deadline=None)
@given(data=corrupted(VALID))
def test_corrupted_daily_never_crashes_and_conserves(tmp_path_factory, data):
    p = tmp_path_factory.getbasetemp() / "corrupt_daily.csv"
    p.write_bytes(data)
    for kwargs in ({"columns": ["close", "vix"], "positive": ["close"]}, {}):
        try:
            res = read_daily(p, "x", **kwargs)
        except InputFileError as exc:
            assert str(p) in str(exc)
            continue
        assert_conserved(res)
        assert res.table.schema.equals(DAILY)
        rows = res.table.to_pylist()
        assert len({(r["date"], r["field"]) for r in rows}) == len(rows)
        if kwargs:
            assert res.summary[0]["rows_in"] == 2 * data_lines(data)
            assert all(r["value"] > 0 for r in rows if r["field"] == "close")
