"""Option-chain readers: CBOE downloads, generic long CSV, Deribit book summaries.

Every fixture is written by the test itself (tmp_path); the real CBOE chain is read from
JAXMM_REAL_DATA (skipped where absent).
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.compute as pc
import pytest

from jaxmm.io.chains import read_chains
from jaxmm.io.errors import InputFileError, Reason
from jaxmm.io.schemas import CHAINS

UTC = dt.timezone.utc

# --------------------------------------------------------------------------- helpers

CBOE_L1 = "S&P 500 INDEX,Last: 6711.2002,Change:  22.7402"
CBOE_L2 = '"Date: October 1, 2025 at 6:01 PM EDT",Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0'
CBOE_HEADER = ("Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,"
               "Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest")


def cboe_line(strike=1200, expiry="Fri Apr 17 2026", call=("5498.5", "5515.9"), put=("0.5", "0.6"),
              call_last="0", put_last="0.65", call_code=None, put_code=None, put_volume="3"):
    k8 = f"{int(round(float(strike) * 1000)):08d}" if _num(strike) else "00000000"
    call_code = f"SPX260417C{k8}" if call_code is None else call_code
    put_code = f"SPX260417P{k8}" if put_code is None else put_code
    s = f"{float(strike):.2f}" if _num(strike) else str(strike)
    return (f"{expiry},{call_code},{call_last},0,{call[0]},{call[1]},0,0,1,0,0,{s},"
            f"{put_code},{put_last},0.075,{put[0]},{put[1]},{put_volume},0.7896,-0.0005,0,268")


def _num(x) -> bool:
    try:
        float(x)
        return True
    except ValueError:
        return False


def cboe_text(*data_lines, l1=CBOE_L1, l2=CBOE_L2, header=CBOE_HEADER, lead="\n", eol="\n"):
    # Real downloads start with a blank line: line 2 is the underlying, data from line 5.
    return lead + eol.join([l1, l2, header, *data_lines]) + eol


def write(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_bytes(content.encode("utf-8"))
    return p


def read(tmp_path, name, content, fmt, **kw):
    return read_chains([write(tmp_path, name, content)], fmt, "test", **kw)


def conserved(res):
    for s in res.summary:
        assert s["rows_in"] == s["kept"] + s["quarantined"], s
        assert set(s) == {"dataset", "source", "source_file", "rows_in", "kept", "quarantined"}
        assert s["dataset"] == "chains"
    assert res.table.num_rows == sum(s["kept"] for s in res.summary)
    assert len(res.quarantine) == sum(s["quarantined"] for s in res.summary)
    assert res.table.schema.equals(CHAINS, check_metadata=True)
    for f in CHAINS:
        if not f.nullable:
            assert res.table[f.name].null_count == 0, f.name
    return res


def reasons(res):
    return res.quarantine.by_reason()


def assert_names(exc: InputFileError, path, line=None, column=None):
    msg = str(exc)
    assert str(path) in msg
    if line is not None:
        assert exc.line == line and f":{line}:" in msg, msg
    if column is not None:
        assert exc.column == column and repr(column) in msg, msg
    assert "expected" in msg


# --------------------------------------------------------------------------- CBOE

def test_cboe_maps_every_column(tmp_path):
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), cboe_line(1300)), "cboe"))
    assert res.summary[0]["rows_in"] == 4 and res.summary[0]["kept"] == 4
    call, put = res.table.slice(0, 2).to_pylist()
    assert call["quote_time"] == dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)
    assert call["quote_date"] == dt.date(2025, 10, 1)
    assert call["expiry"] == dt.date(2026, 4, 17) and call["strike"] == 1200.0
    assert (call["right"], put["right"]) == ("C", "P")
    assert call["underlying"] == "S&P 500 INDEX" and call["underlying_price"] == 6711.2002
    assert (call["underlying_bid"], call["underlying_ask"]) == (6661.1099, 6743.9702)
    assert (call["bid"], call["ask"], call["bid_native"], call["ask_native"]) == (5498.5, 5515.9, 5498.5, 5515.9)
    assert call["last"] is None and call["vendor_iv"] is None  # CBOE 0 = no trade / not computed
    assert call["vendor_delta"] == 1.0 and call["vendor_gamma"] == 0.0
    assert put["last"] == 0.65 and put["volume"] == 3 and put["open_interest"] == 268
    assert put["vendor_iv"] == 0.7896 and put["vendor_delta"] == -0.0005
    assert call["instrument"] == "SPX260417C01200000" and put["instrument"] == "SPX260417P01200000"
    assert call["inverse"] is False and call["native_currency"] == "USD"
    assert call["bid_size"] is None and call["source"] == "test"
    assert call["source_line"] == 5 and res.table["source_line"].to_pylist()[2] == 6


@pytest.mark.parametrize("stamp,zone,utc", [
    ("October 1, 2025 at 6:01 PM EDT", "America/New_York", dt.datetime(2025, 10, 1, 22, 1)),
    ("January 5, 2026 at 4:15 PM EST", "America/New_York", dt.datetime(2026, 1, 5, 21, 15)),
    ("October 1, 2025 at 6:01 PM", "America/Chicago", dt.datetime(2025, 10, 1, 23, 1)),  # no zone: argument
    ("October 1, 2025 at 18:01 ET", "America/New_York", dt.datetime(2025, 10, 1, 22, 1)),
])
def test_cboe_quote_time_zones(tmp_path, stamp, zone, utc):
    l2 = f'"Date: {stamp}",Bid: 1,Ask: 2'
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), l2=l2),
                         "cboe", timezone=zone))
    assert res.table["quote_time"][0].as_py() == utc.replace(tzinfo=UTC)


def test_cboe_crlf_quotes_trailing_blanks_and_short_header(tmp_path):
    header = "Expiration Date,Calls,Bid,Ask,Strike,Puts,Bid,Ask"
    lines = ['"Fri Apr 17 2026","SPX260417C01200000","5,498.5",5515.9,1200,SPX260417P01200000,0.5,0.6',
             "Fri Apr 17 2026,,1,2,1300,,3,4,"]  # trailing comma tolerated
    text = cboe_text(*lines, header=header, eol="\r\n") + "\r\n\r\n  \r\n"
    res = conserved(read(tmp_path, "q.csv", text, "cboe"))
    assert res.summary[0]["rows_in"] == 4 and res.table.num_rows == 4
    row = res.table.to_pylist()[0]
    assert row["bid"] == 5498.5 and row["last"] is None and row["volume"] is None
    assert res.table["instrument"].to_pylist()[2:] == [None, None]
    assert res.table["source_line"].to_pylist() == [5, 5, 6, 6]


def test_cboe_header_without_puts_column_uses_occurrence_order(tmp_path):
    header = "Expiration Date,Strike,Bid,Ask,Bid,Ask"
    res = conserved(read(tmp_path, "q.csv", cboe_text("Fri Apr 17 2026,1200,1,2,3,4", header=header), "cboe"))
    call, put = res.table.to_pylist()
    assert (call["right"], call["bid"], put["right"], put["bid"]) == ("C", 1.0, "P", 3.0)


@pytest.mark.parametrize("kw,reason", [
    ({"call": ("10", "9")}, Reason.CROSSED_QUOTE),
    ({"call": ("-1", "9")}, Reason.NEGATIVE_PRICE),
    ({"call_last": "-2"}, Reason.NEGATIVE_PRICE),
    ({"call": ("0", "0")}, Reason.ZERO_ASK),
    ({"call": ("", "9")}, Reason.MISSING_FIELD),
    ({"call": ("abc", "9")}, Reason.NON_NUMERIC),
    ({"call": ("1", "1e999")}, Reason.NON_NUMERIC),
    ({"call_code": "SPX260417C01300000"}, Reason.BAD_INSTRUMENT),   # strike disagrees
    ({"call_code": "SPX260417P01200000"}, Reason.BAD_INSTRUMENT),   # side disagrees
])
def test_cboe_one_bad_side_quarantines_that_side_only(tmp_path, kw, reason):
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(**kw)), "cboe"))
    assert reasons(res) == {reason.value: 1}
    assert res.table["right"].to_pylist() == ["P"]
    q = res.quarantine.rows[0]
    assert q.line == 5 and q.source_file.endswith("q.csv") and "Apr 17 2026" in q.raw
    assert q.dataset == "chains" and q.detail.startswith("call")


def test_cboe_bad_put_volume_is_non_numeric(tmp_path):
    text = cboe_text(cboe_line(put_volume="x"), cboe_line(1300, put_volume="-3"))
    res = conserved(read(tmp_path, "q.csv", text, "cboe"))
    assert reasons(res) == {"non_numeric": 2}
    assert res.table["right"].to_pylist() == ["C", "C"]


@pytest.mark.parametrize("line,reason", [
    (cboe_line() + ",7,8", Reason.WRONG_FIELD_COUNT),
    (",".join(cboe_line().split(",")[:-3]), Reason.WRONG_FIELD_COUNT),
    (cboe_line(expiry="Foo 99 2026"), Reason.BAD_DATE),
    (cboe_line(expiry="Mon Apr 17 2026"), Reason.BAD_DATE),      # weekday disagrees
    (cboe_line(expiry="Fri Feb 30 2026"), Reason.BAD_DATE),
    (cboe_line(expiry=""), Reason.MISSING_FIELD),
    (cboe_line(strike="abc"), Reason.NON_NUMERIC),
    (cboe_line(strike=""), Reason.MISSING_FIELD),
    (cboe_line(strike="0"), Reason.NONPOSITIVE_STRIKE),
    (cboe_line(strike="-5"), Reason.NONPOSITIVE_STRIKE),
    (cboe_line(expiry="Tue Sep 30 2025"), Reason.EXPIRY_BEFORE_QUOTE),
])
def test_cboe_line_problem_quarantines_both_quotes(tmp_path, line, reason):
    res = conserved(read(tmp_path, "q.csv", cboe_text(line, cboe_line(1300)), "cboe"))
    assert reasons(res) == {reason.value: 2}
    assert res.summary[0] == {"dataset": "chains", "source": "test", "source_file": res.summary[0]["source_file"],
                              "rows_in": 4, "kept": 2, "quarantined": 2}
    assert [q.line for q in res.quarantine.rows] == [5, 5]


def test_cboe_expiry_on_quote_date_is_kept(tmp_path):
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(expiry="Wed Oct 01 2025", call_code="",
                                                                  put_code="")), "cboe"))
    assert res.table.num_rows == 2


def test_cboe_duplicate_line_and_duplicate_file(tmp_path):
    text = cboe_text(cboe_line(), cboe_line(1300), cboe_line())
    res = conserved(read(tmp_path, "q.csv", text, "cboe"))
    assert reasons(res) == {"duplicate_row": 2}
    assert [q.line for q in res.quarantine.rows] == [7, 7]
    # The same snapshot in a second file of the same source: all duplicates, still conserved.
    (tmp_path / "d").mkdir()
    write(tmp_path / "d", "a.csv", text)
    write(tmp_path / "d", "b.csv", text)
    res = conserved(read_chains([tmp_path / "d"], "cboe", "test"))
    assert [s["kept"] for s in res.summary] == [4, 0]
    assert reasons(res) == {"duplicate_row": 8}


def test_cboe_preamble_only_is_zero_rows(tmp_path):
    res = conserved(read(tmp_path, "q.csv", cboe_text(), "cboe"))
    assert res.table.num_rows == 0 and res.summary[0]["rows_in"] == 0


@pytest.mark.parametrize("kw,line,column", [
    ({"l1": "Expiration Date,Calls"}, 2, "underlying"),                       # preamble missing
    ({"l1": "S&P 500 INDEX,Change: 1"}, 2, "Last"),
    ({"l1": "S&P 500 INDEX,Last: abc"}, 2, "Last"),
    ({"l2": "Bid: 1,Ask: 2"}, 3, "Date"),                                     # no 'Date:'
    ({"l2": '"Date: Octember 1, 2025 at 6:01 PM EDT",Bid: 1'}, 3, "Date"),
    ({"l2": '"Date: October 1, 2025 at 6:01 PM XYZ",Bid: 1'}, 3, "Date"),     # unknown zone
    ({"l2": '"Date: October 1, 2025 at 6:01 PM EDT",Bid: x'}, 3, "Bid"),
    ({"l2": '"Date: December 31, 9999 at 11:00 PM EST"'}, 3, "Date"),         # UTC overflows
    ({"header": CBOE_HEADER.replace("Strike", "Strk")}, 4, "Strike"),
    ({"header": CBOE_HEADER.replace("Expiration Date", "Exp")}, 4, "Expiration Date"),
    ({"header": CBOE_HEADER.rsplit(",Bid,", 1)[0] + ",Ask,Volume"}, 4, "Bid (puts)"),
])
def test_cboe_bad_preamble_is_a_file_error(tmp_path, kw, line, column):
    p = write(tmp_path, "q.csv", cboe_text(cboe_line(), **kw))
    with pytest.raises(InputFileError) as err:
        read_chains([p], "cboe", "test")
    assert_names(err.value, p, line, column)


def test_cboe_truncated_preamble_is_a_file_error(tmp_path):
    p = write(tmp_path, "q.csv", "\n" + CBOE_L1 + "\n" + CBOE_L2 + "\n")
    with pytest.raises(InputFileError, match="column header") as err:
        read_chains([p], "cboe", "test")
    assert_names(err.value, p, 4)


# --------------------------------------------------------------------------- any format: files

@pytest.mark.parametrize("fmt", ["cboe", "generic", "deribit"])
@pytest.mark.parametrize("content,line", [(b"", 1), (b" \n\n\t\n", 1)])
def test_empty_file_is_a_file_error(tmp_path, fmt, content, line):
    p = write(tmp_path, "e.csv", content)
    with pytest.raises(InputFileError, match="non-empty") as err:
        read_chains([p], fmt, "test")
    assert_names(err.value, p, line)


@pytest.mark.parametrize("fmt", ["cboe", "generic", "deribit"])
def test_non_utf8_is_a_file_error_naming_the_line(tmp_path, fmt):
    p = write(tmp_path, "latin.csv", b"a,b\nc,d\ncaf\xe9,1\n")
    with pytest.raises(InputFileError, match="UTF-8") as err:
        read_chains([p], fmt, "test")
    assert_names(err.value, p, 3)


def test_unknown_format_names_first_path_and_formats(tmp_path):
    p = write(tmp_path, "q.csv", cboe_text(cboe_line()))
    with pytest.raises(InputFileError) as err:
        read_chains([p], "bloomberg", "test")
    msg = str(err.value)
    assert str(p) in msg and "cboe" in msg and "generic" in msg and "deribit" in msg and "bloomberg" in msg
    assert err.value.column == "format"


def test_bad_timezone_names_the_key(tmp_path):
    p = write(tmp_path, "q.csv", cboe_text(cboe_line()))
    with pytest.raises(ValueError, match="timezone"):
        read_chains([p], "cboe", "test", timezone="Mars/Olympus")


def test_missing_path_is_a_file_error(tmp_path):
    with pytest.raises(InputFileError, match="nope"):
        read_chains([tmp_path / "nope.csv"], "cboe", "test")


# --------------------------------------------------------------------------- generic CSV

GEN_HEADER = "quote_date,expiry,strike,right,bid,ask"


def test_generic_maps_columns_and_defaults(tmp_path):
    text = (" Quote_Date , EXPIRY ,Strike,Right,Bid,Ask,underlying_price,volume,open_interest,bid_size,"
            "ask_size,last,quote_time,underlying,comment\n"
            "2025-10-01,2026-04-17,6700,C,512.3,518.9,6711.2,5,100,10,12,515,2025-10-01T15:30:00,SPX,x\n"
            "2025-10-01,2026-04-17,6700,put,401,406.5,,,,,,,,,\n"
            "\n"
            "2025-10-01,2026-04-17,6800,Call,1,2,,,,,,0,2025-10-01T19:00:00+00:00,,\n")
    res = conserved(read(tmp_path, "g.csv", text, "generic"))
    a, b, c = res.table.to_pylist()
    assert a["quote_time"] == dt.datetime(2025, 10, 1, 19, 30, tzinfo=UTC)  # naive = New York
    assert b["quote_time"] == dt.datetime(2025, 10, 1, 20, 0, tzinfo=UTC)   # default 16:00 local
    assert c["quote_time"] == dt.datetime(2025, 10, 1, 19, 0, tzinfo=UTC)   # explicit offset
    assert [r["right"] for r in (a, b, c)] == ["C", "P", "C"]
    assert a["underlying"] == "SPX" and b["underlying"] == "test"           # fallback: source
    assert (a["volume"], a["open_interest"], a["bid_size"], a["ask_size"], a["last"]) == (5, 100, 10, 12, 515)
    assert b["volume"] is None and b["underlying_price"] is None and c["last"] == 0.0
    assert a["bid_native"] == 512.3 and a["inverse"] is False and a["native_currency"] == "USD"
    assert [r["source_line"] for r in (a, b, c)] == [2, 3, 5]
    assert res.summary[0]["rows_in"] == 3


def test_generic_timezone_argument_applies_to_default_close(tmp_path):
    res = conserved(read(tmp_path, "g.csv", GEN_HEADER + "\n2025-10-01,2026-04-17,100,P,1,2\n", "generic",
                         timezone="Europe/London"))
    assert res.table["quote_time"][0].as_py() == dt.datetime(2025, 10, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("row,reason", [
    ("2025-10-01,2026-04-17,100,X,1,2", Reason.BAD_RIGHT),
    ("2025-10-01,2026-04-17,100,,1,2", Reason.MISSING_FIELD),
    ("2025-13-01,2026-04-17,100,C,1,2", Reason.BAD_DATE),
    ("2025-10-01,17/04/2026,100,C,1,2", Reason.BAD_DATE),
    ("2025-10-01,,100,C,1,2", Reason.MISSING_FIELD),
    ("2025-10-01,2025-09-30,100,C,1,2", Reason.EXPIRY_BEFORE_QUOTE),
    ("2025-10-01,2026-04-17,0,C,1,2", Reason.NONPOSITIVE_STRIKE),
    ("2025-10-01,2026-04-17,abc,C,1,2", Reason.NON_NUMERIC),
    ("2025-10-01,2026-04-17,100,C,,2", Reason.MISSING_FIELD),
    ("2025-10-01,2026-04-17,100,C,1,x", Reason.NON_NUMERIC),
    ("2025-10-01,2026-04-17,100,C,-1,2", Reason.NEGATIVE_PRICE),
    ("2025-10-01,2026-04-17,100,C,0,0", Reason.ZERO_ASK),
    ("2025-10-01,2026-04-17,100,C,3,2", Reason.CROSSED_QUOTE),
    ("2025-10-01,2026-04-17,100,C,1,2,-1", Reason.NEGATIVE_PRICE),          # last
    ("2025-10-01,2026-04-17,100,C,1,2,,-4", Reason.NON_NUMERIC),            # negative volume
    ("2025-10-01,2026-04-17,100,C,1,2,,,0", Reason.NONPOSITIVE_PRICE),      # underlying_price
    ("2025-10-01,2026-04-17,100,C,1,2,,,,soon", Reason.BAD_DATE),           # quote_time
    ("2025-10-01,2026-04-17,100,C,1,2,,,,,extra", Reason.WRONG_FIELD_COUNT),
    ("2025-10-01,2026-04-17,100,C", Reason.WRONG_FIELD_COUNT),
    ("9999-12-31,9999-12-31,100,C,1,2,,,,9999-12-31T23:00", Reason.BAD_DATE),  # overflows in UTC
    ("2025-10-01,2026-04-17,100,P,1,2", Reason.DUPLICATE_ROW),
])
def test_generic_row_reasons(tmp_path, row, reason):
    header = GEN_HEADER + ",last,volume,underlying_price,quote_time"
    good = "2025-10-01,2026-04-17,100,P,1,2,,,,"
    if reason != Reason.WRONG_FIELD_COUNT:
        row += "," * (9 - row.count(","))
    res = conserved(read(tmp_path, "g.csv", f"{header}\n{good}\n{row}\n", "generic"))
    assert reasons(res) == {reason.value: 1}
    assert res.quarantine.rows[0].line == 3 and res.quarantine.rows[0].raw == row


@pytest.mark.parametrize("header,column", [
    ("quote_date,expiry,strike,right,bid", "ask"),
    ("date,expiry,strike,right,bid,ask", "quote_date"),
    ("quote_date,expiry,strike,right,bid,ask,BID", "bid"),   # ambiguous
])
def test_generic_header_problems_are_file_errors(tmp_path, header, column):
    p = write(tmp_path, "g.csv", f"\n{header}\n2025-10-01,2026-04-17,100,P,1,2\n")
    with pytest.raises(InputFileError) as err:
        read_chains([p], "generic", "test")
    assert_names(err.value, p, 2, column)


def test_generic_header_only_is_zero_rows(tmp_path):
    res = conserved(read(tmp_path, "g.csv", GEN_HEADER + "\n", "generic"))
    assert res.table.num_rows == 0 and res.summary[0]["rows_in"] == 0


# --------------------------------------------------------------------------- Deribit

T0 = 1752013414221  # 2025-07-08 22:23:34.221 UTC


def dbt(**kw):
    rec = {"instrument_name": "BTC-26JUN26-100000-C", "bid_price": 0.24, "ask_price": 0.245, "last": 0.247,
           "mark_price": 0.2423, "mark_iv": 45.36, "underlying_price": 116076.41,
           "estimated_delivery_price": 108887, "volume": 2, "open_interest": 1.2, "base_currency": "BTC",
           "quote_currency": "BTC", "creation_timestamp": T0}
    rec.update(kw)
    return {k: v for k, v in rec.items() if v != "<drop>"}


def dbt_csv(*records):
    cols = list(records[0])
    out = [",".join(cols)]
    for r in records:
        out.append(",".join("" if r.get(c) is None else str(r.get(c)) for c in cols))
    return "\n".join(out) + "\n"


def test_deribit_inverse_conversion_json_envelope(tmp_path):
    put = dbt(instrument_name="BTC-26JUN26-90000-P", bid_price=None, ask_price=0.05, last=None)
    res = conserved(read(tmp_path, "d.json", json.dumps({"jsonrpc": "2.0", "result": [dbt(), put]}), "deribit"))
    call, p = res.table.to_pylist()
    assert call["inverse"] is True and call["native_currency"] == "BTC"
    assert call["bid_native"] == 0.24 and call["ask_native"] == 0.245
    assert call["bid"] == pytest.approx(0.24 * 116076.41, rel=1e-15)
    assert call["ask"] == pytest.approx(0.245 * 116076.41, rel=1e-15)
    assert call["last"] == pytest.approx(0.247 * 116076.41, rel=1e-15)
    assert call["underlying_price"] == 116076.41 and call["underlying"] == "BTC"
    assert call["vendor_iv"] == pytest.approx(0.4536)
    assert call["expiry"] == dt.date(2026, 6, 26) and call["strike"] == 100000.0 and call["right"] == "C"
    assert call["quote_time"] == dt.datetime(2025, 7, 8, 22, 23, 34, 221000, tzinfo=UTC)
    assert call["quote_date"] == dt.date(2025, 7, 8)
    assert call["instrument"] == "BTC-26JUN26-100000-C" and call["source_line"] == 1
    assert (p["bid"], p["bid_native"], p["last"], p["right"]) == (0.0, 0.0, None, "P")  # null bid -> 0
    assert p["source_line"] == 2


def test_deribit_csv_list_and_envelope_agree(tmp_path):
    recs = [dbt(), dbt(instrument_name="ETH-26JUN26-4000-P", base_currency="ETH", quote_currency="ETH",
                       underlying_price=3000.5)]
    a = conserved(read(tmp_path, "a.json", json.dumps(recs), "deribit")).table
    b = conserved(read(tmp_path, "b.json", json.dumps({"result": recs}), "deribit")).table
    c = conserved(read(tmp_path, "c.csv", dbt_csv(*recs), "deribit")).table
    for t in (b, c):
        assert t.drop(["source_file", "source_line"]).equals(a.drop(["source_file", "source_line"]))
    assert c["source_line"].to_pylist() == [2, 3]  # physical lines in CSV
    assert a["native_currency"].to_pylist() == ["BTC", "ETH"]


def test_deribit_estimated_delivery_price_fallback_and_no_quote_currency(tmp_path):
    rec = dbt(underlying_price=None, quote_currency="<drop>", base_currency="<drop>")
    row = conserved(read(tmp_path, "d.json", json.dumps([rec]), "deribit")).table.to_pylist()[0]
    assert row["inverse"] is True and row["underlying_price"] == 108887
    assert row["ask"] == pytest.approx(0.245 * 108887)


def test_deribit_linear_usdc_option(tmp_path):
    rec = dbt(instrument_name="XRP_USDC-30MAY26-2d2-C", bid_price=0.11, ask_price=0.13, last=None,
              base_currency="XRP", quote_currency="USDC", underlying_price=2.31)
    row = conserved(read(tmp_path, "d.json", json.dumps([rec]), "deribit")).table.to_pylist()[0]
    assert row["strike"] == pytest.approx(2.2) and row["expiry"] == dt.date(2026, 5, 30)
    assert row["inverse"] is False and row["native_currency"] == "USDC"
    assert (row["bid"], row["ask"]) == (0.11, 0.13) and row["underlying"] == "XRP"


@pytest.mark.parametrize("units,value", [("s", T0 / 1000), ("ms", T0), ("us", T0 * 1000),
                                         ("iso", "2025-07-08T22:23:34.221")])
def test_deribit_timestamp_column(tmp_path, units, value):
    rec = dbt(creation_timestamp="<drop>", timestamp=value)
    row = conserved(read(tmp_path, "d.json", json.dumps([rec]), "deribit")).table.to_pylist()[0]
    expected = dt.datetime(2025, 7, 8, 22, 23, 34, 221000, tzinfo=UTC)
    assert abs(row["quote_time"] - expected) < dt.timedelta(milliseconds=1)


@pytest.mark.parametrize("kw,reason", [
    ({"ask_price": None}, Reason.ZERO_ASK),
    ({"ask_price": 0}, Reason.ZERO_ASK),
    ({"bid_price": 0.3}, Reason.CROSSED_QUOTE),
    ({"bid_price": -0.1}, Reason.NEGATIVE_PRICE),
    ({"last": -0.1}, Reason.NEGATIVE_PRICE),
    ({"bid_price": "abc"}, Reason.NON_NUMERIC),
    ({"mark_iv": "high"}, Reason.NON_NUMERIC),
    ({"volume": -1}, Reason.NON_NUMERIC),
    ({"instrument_name": None}, Reason.MISSING_FIELD),
    ({"instrument_name": "BTC-PERPETUAL"}, Reason.BAD_INSTRUMENT),
    ({"instrument_name": "BTC-26JUN26"}, Reason.BAD_INSTRUMENT),
    ({"instrument_name": "BTC-26JUN26-100000-X"}, Reason.BAD_RIGHT),
    ({"instrument_name": "BTC-31FEB26-100000-C"}, Reason.BAD_DATE),
    ({"instrument_name": "BTC-26JUN26-0-C"}, Reason.NONPOSITIVE_STRIKE),
    ({"instrument_name": "BTC-08JUL25-100000-C"}, Reason.EXPIRY_BEFORE_QUOTE),  # 08:00 UTC passed
    ({"quote_currency": "USD"}, Reason.BAD_INSTRUMENT),      # unsuffixed name is inverse
    ({"base_currency": "ETH"}, Reason.BAD_INSTRUMENT),
    ({"instrument_name": "SOL-26JUN26-200-C", "base_currency": "SOL", "quote_currency": None},
     Reason.BAD_INSTRUMENT),                                  # quote currency unknown
    ({"underlying_price": None, "estimated_delivery_price": None}, Reason.MISSING_FIELD),
    ({"underlying_price": 0}, Reason.NONPOSITIVE_PRICE),
    ({"creation_timestamp": None}, Reason.MISSING_FIELD),
    ({"creation_timestamp": "yesterday"}, Reason.BAD_DATE),
    ({"creation_timestamp": 1e300}, Reason.BAD_DATE),
])
def test_deribit_row_reasons(tmp_path, kw, reason):
    good = dbt(instrument_name="BTC-26JUN26-1000-C")
    res = conserved(read(tmp_path, "d.json", json.dumps([good, dbt(**kw)]), "deribit"))
    assert reasons(res) == {reason.value: 1}
    assert res.quarantine.rows[0].line == 2 and "instrument_name" in res.quarantine.rows[0].raw


def test_deribit_non_object_record_and_duplicate(tmp_path):
    res = conserved(read(tmp_path, "d.json", json.dumps([dbt(), 5, dbt()]), "deribit"))
    assert reasons(res) == {"duplicate_row": 1, "wrong_field_count": 1}
    assert sorted(q.line for q in res.quarantine.rows) == [2, 3]


def test_deribit_csv_wrong_field_count(tmp_path):
    text = dbt_csv(dbt()) + "BTC-26JUN26-1000-C,1\n"
    res = conserved(read(tmp_path, "d.csv", text, "deribit"))
    assert reasons(res) == {"wrong_field_count": 1} and res.quarantine.rows[0].line == 3


@pytest.mark.parametrize("name,content,line,column", [
    ("d.json", '[\n  {"instrument_name": "BTC-26JUN26-100000-C",\n  "bid_price": 0.1,,}\n]', 3, "char 20"),
    ("d.json", '{"error": {"message": "bad request", "code": 11050}}', 1, None),
    ("d.json", '{"result": 5}', 1, None),
    ("d.json", json.dumps([dbt(ask_price="<drop>")]), 1, "ask_price"),
    ("d.json", json.dumps([dbt(creation_timestamp="<drop>")]), 1, "creation_timestamp"),
    ("d.csv", "instrument_name,bid_price,creation_timestamp\nBTC-26JUN26-100000-C,0.1,1\n", 1, "ask_price"),
    ("d.csv", "\ninstrument_name,bid_price,ask_price\nBTC-26JUN26-100000-C,0.1,0.2\n", 2, "creation_timestamp"),
])
def test_deribit_file_errors(tmp_path, name, content, line, column):
    p = write(tmp_path, name, content)
    with pytest.raises(InputFileError) as err:
        read_chains([p], "deribit", "test")
    assert_names(err.value, p, line, column)


@pytest.mark.parametrize("content", ["[]", '{"result": []}'])
def test_deribit_empty_list_is_zero_rows(tmp_path, content):
    res = conserved(read(tmp_path, "d.json", content, "deribit"))
    assert res.table.num_rows == 0 and res.summary[0]["rows_in"] == 0


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_real_spx_chain(real_data):
    folder = real_data / "spx_20251001"
    res = conserved(read_chains([folder], "cboe", "spx"))
    assert len(res.summary) == 11
    assert len(pc.unique(res.table["expiry"])) == 13
    assert pc.unique(res.table["quote_date"]).to_pylist() == [dt.date(2025, 10, 1)]
    assert pc.unique(res.table["underlying_price"]).to_pylist() == [6711.2002]
    first = res.table.filter(pc.equal(res.table["source_file"], str(folder / "spx_quotedata.csv")))
    assert pc.unique(first["quote_time"]).to_pylist() == [dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)]
    assert pc.unique(first["expiry"]).to_pylist() == [dt.date(2026, 4, 17)]
    for s in res.summary:  # every data line is two quotes, every quote accounted for
        lines = (folder / s["source_file"].split("/")[-1]).read_text().splitlines()
        data_lines = sum(1 for ln in lines[4:] if ln.strip())
        assert s["rows_in"] == 2 * data_lines == s["kept"] + s["quarantined"]
    assert res.table["right"].to_pylist().count("C") == res.table["right"].to_pylist().count("P")
