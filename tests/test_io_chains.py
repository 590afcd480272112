"""Option-chain readers: CBOE downloads, generic long CSV, Deribit book summaries and tickers.

Every fixture is written by the test itself (tmp_path; the Deribit records are built by
hand from the documented field names); the 16 real CBOE downloads are read from
JAXMM_REAL_DATA (skipped where absent).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import pyarrow.compute as pc
import pytest

from jaxmm.io.chains import read_chains
from jaxmm.io.errors import InputFileError, Reason
from jaxmm.io.schemas import CHAINS_READ as CHAINS  # the readers write CHAINS less the conventions columns

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


def test_cboe_unreadable_date_names_the_override_keys(tmp_path):
    p = write(tmp_path, "q.csv", cboe_text(cboe_line(), l2='"Date: 03/04/2025 10:00 EST",Bid: 1'))
    with pytest.raises(InputFileError) as err:
        read_chains([p], "cboe", "test")
    assert_names(err.value, p, 3, "Date")
    msg = str(err.value)
    assert "03/04/2025 10:00 EST" in msg and "ambiguous" in msg
    assert "snapshot_time" in msg and "2024-11-11T08:02:00-05:00" in msg and "timezone" in msg


# --------------------------------------------------------------------------- CBOE: files as they come

def test_cboe_spreadsheet_resave(tmp_path):
    """No blank first line, title and Date lines padded with commas, whole-number strikes,
    trailing commas on data lines, a commas-only row inside the data (not a record)."""
    pad = "," * 19
    lines = [cboe_line(1200).replace(",1200.00,", ",1200,") + ",",
             "," * 21,
             cboe_line(1300).replace(",1300.00,", ",1300,") + ",,"]
    text = cboe_text(*lines, l1=CBOE_L1 + pad, l2=CBOE_L2 + pad, lead="")
    res = conserved(read(tmp_path, "q.csv", text, "cboe"))
    assert res.summary[0]["rows_in"] == 4 and res.table.num_rows == 4
    assert res.table["strike"].to_pylist() == [1200.0, 1200.0, 1300.0, 1300.0]
    assert res.table["source_line"].to_pylist() == [4, 4, 6, 6]
    assert res.table["underlying"][0].as_py() == "S&P 500 INDEX"
    assert res.table["quote_time"][0].as_py() == dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)


@pytest.mark.parametrize("lead", [",,,,,,,\n", "\n\n", ",\r\n", '"",""\n'])
def test_cboe_blank_or_commas_only_lines_before_the_title(tmp_path, lead):
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), lead=lead), "cboe"))
    assert res.table.num_rows == 2 and res.table["underlying_price"][0].as_py() == 6711.2002


@pytest.mark.parametrize("l2", [
    "Date: October 1, 2025 at 6:01 PM EDT,Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0",
    "Date: October 1, 2025, 6:01 PM EDT,Bid: 6661.1099,Ask: 6743.9702",
    "Date: October 1, 2025 at 6:01 PM EDT,,,,",                          # no Bid/Ask, padded
    '"Date: October 1, 2025 at 6:01 PM EDT","Bid: 6661.1099","Ask: 6743.9702"',
])
def test_cboe_date_line_that_lost_its_quotes_is_joined_back(tmp_path, l2):
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), l2=l2), "cboe"))
    row = res.table.to_pylist()[0]
    assert row["quote_time"] == dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)
    assert row["underlying_bid"] == (None if ",,,," in l2 else 6661.1099)


def test_cboe_underlying_name_with_unquoted_comma_and_zero_bid_ask(tmp_path):
    l1 = "Alphabet, Inc. Class A,Last: 171.2,Change: 1"
    l2 = '"Date: October 1, 2025 at 6:01 PM EDT",Bid: 0,Ask: 0,Size: 0*0,Volume: 0'
    row = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), l1=l1, l2=l2), "cboe")).table.to_pylist()[0]
    assert row["underlying"] == "Alphabet, Inc. Class A"
    assert row["underlying_bid"] is None and row["underlying_ask"] is None  # 0 = not reported


def test_cboe_crlf_bom_and_localised_date(tmp_path):
    l2 = '"Date: 9 декабря 2023 г. в 13:49 GMT-5",Bid: 1,Ask: 2'
    line = cboe_line(expiry="Fri Apr 17 2026")
    data = ("\ufeff" + cboe_text(line, l2=l2, eol="\r\n")).encode("utf-8")
    res = conserved(read(tmp_path, "q.csv", data, "cboe"))
    assert res.table["quote_time"][0].as_py() == dt.datetime(2023, 12, 9, 18, 49, tzinfo=UTC)
    assert res.table["quote_date"][0].as_py() == dt.date(2023, 12, 9)


@pytest.mark.parametrize("volume,expected", [
    ('"75,744,434"', 75744434.0), ('"1,234"', 1234.0), ("1.234", 1234.0), ("1 234", 1234.0),
    ("1\u00a0234", 1234.0), ("1\u202f234\u202f567", 1234567.0), ("1'234", 1234.0), ("12", 12.0),
    ("12.5", 12.5),
])
def test_cboe_grouped_counts_are_integers(tmp_path, volume, expected):
    fields = cboe_line().split(",")
    fields[17] = volume                                   # put Volume
    fields[21] = volume                                   # put Open Interest
    put = conserved(read(tmp_path, "q.csv", cboe_text(",".join(fields)), "cboe")).table.to_pylist()[1]
    assert put["volume"] == expected and put["open_interest"] == expected


@pytest.mark.parametrize("count", ['"1,2"', "1.2.3", '"1,23"', "1 23", "1.234.56"])
def test_cboe_counts_that_are_not_grouped_integers_are_non_numeric(tmp_path, count):
    fields = cboe_line().split(",")
    fields[17] = count
    res = conserved(read(tmp_path, "q.csv", cboe_text(",".join(fields)), "cboe"))
    assert reasons(res) == {"non_numeric": 1} and res.table["right"].to_pylist() == ["C"]


@pytest.mark.parametrize("bid,kept", [
    ('"0,5"', False), ('"5498,5"', False), ('"1,234"', False),     # decimal commas (or ambiguous)
    ('"5,498.5"', True), ("5498.5", True),                          # '.' is the decimal point
])
def test_cboe_decimal_comma_price_is_quarantined_not_misread(tmp_path, bid, kept):
    fields = cboe_line(call=("1", "5600")).split(",")
    fields[4] = bid
    res = conserved(read(tmp_path, "q.csv", cboe_text(",".join(fields)), "cboe"))
    if kept:
        assert res.table["bid"][0].as_py() == 5498.5
    else:
        assert reasons(res) == {"non_numeric": 1}
        assert "decimal" in res.quarantine.rows[0].detail


# --------------------------------------------------------------------------- CBOE: option roots

def _coded(strike, root, yymmdd="260417", expiry="Fri Apr 17 2026", pad=""):
    k8 = f"{int(strike * 1000):08d}"
    return cboe_line(strike, expiry=expiry, call_code=f"{root}{pad}{yymmdd}C{k8}",
                     put_code=f"{root}{pad}{yymmdd}P{k8}")


def test_cboe_roots_of_one_expiry_are_distinct_contracts(tmp_path):
    text = cboe_text(_coded(1200, "SPX"), _coded(1200, "SPXW"), _coded(1200, "SPXW"))
    res = conserved(read(tmp_path, "q.csv", text, "cboe"))
    assert res.table["root"].to_pylist() == ["SPX", "SPX", "SPXW", "SPXW"]
    assert reasons(res) == {"duplicate_row": 2}                      # only the repeated SPXW line
    assert [q.line for q in res.quarantine.rows] == [7, 7] and "SPXW" in res.quarantine.rows[0].detail


@pytest.mark.parametrize("call,put,root", [
    ("SPXW260417C01200000", "SPXW260417P01200000", "SPXW"),
    ("SPXW  260417C01200000", "SPXW  260417P01200000", "SPXW"),    # OSI: root padded to 6
    ("AMD1 260417C01200000", "AMD1 260417P01200000", "AMD1"),      # adjusted root
    ("", "NDXP260417P01200000", "NDXP"),                            # no call symbol: the put's
    ("", "", "S&P 500 INDEX"),                                      # no symbol: the underlying
    ("n/a", "n/a", "S&P 500 INDEX"),                                # not OCC: kept as given
])
def test_cboe_root_from_the_symbols(tmp_path, call, put, root):
    line = cboe_line(call_code=call, put_code=put)
    res = conserved(read(tmp_path, "q.csv", cboe_text(line), "cboe"))
    assert res.table["root"].to_pylist() == [root, root]


def test_cboe_configured_root_applies_only_without_symbols(tmp_path):
    text = cboe_text(cboe_line(call_code="", put_code=""), _coded(1300, "SPX"))
    res = conserved(read(tmp_path, "q.csv", text, "cboe", root="SPXW"))
    assert res.table["root"].to_pylist() == ["SPXW", "SPXW", "SPX", "SPX"]


def test_cboe_put_symbol_of_another_root_is_a_bad_instrument(tmp_path):
    line = cboe_line(call_code="SPXW260417C01200000", put_code="SPX260417P01200000")
    res = conserved(read(tmp_path, "q.csv", cboe_text(line), "cboe"))
    assert reasons(res) == {"bad_instrument": 1} and res.table["root"].to_pylist() == ["SPXW"]
    assert res.quarantine.rows[0].detail.startswith("put")


# --------------------------------------------------------------------------- per-source options

def test_snapshot_time_replaces_the_date_line(tmp_path):
    l2 = '"Date: sometime on Tuesday",Bid: 1,Ask: 2'
    res = conserved(read(tmp_path, "q.csv", cboe_text(cboe_line(), l2=l2), "cboe",
                         snapshot_time="2025-10-01T18:01:00-04:00"))
    row = res.table.to_pylist()[0]
    assert row["quote_time"] == dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)
    assert row["quote_date"] == dt.date(2025, 10, 1) and row["underlying_bid"] == 1.0


def test_snapshot_time_naive_uses_the_source_timezone(tmp_path):
    res = read(tmp_path, "q.csv", cboe_text(cboe_line()), "cboe", snapshot_time="2025-10-01T17:01",
               timezone="America/Chicago")
    assert res.table["quote_time"][0].as_py() == dt.datetime(2025, 10, 1, 22, 1, tzinfo=UTC)


@pytest.mark.parametrize("fmt,kw,key", [
    ("cboe", {"snapshot_time": "1 Oct 2025"}, "snapshot_time"),
    ("deribit", {"snapshot_time": "2025-10-01T18:01:00-04:00"}, "snapshot_time"),
    ("cboe", {"root": " "}, "root"),
    ("cboe", {"timezone": "EDT"}, "timezone"),
])
def test_bad_source_options_name_their_key(tmp_path, fmt, kw, key):
    p = write(tmp_path, "q.csv", cboe_text(cboe_line()))
    with pytest.raises(ValueError, match=key):
        read_chains([p], fmt, "test", **kw)


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


@pytest.mark.parametrize("extra_header,extra,root", [
    (",root,instrument", ",SPXW,SPX260417C06700000", "SPXW"),        # the root column wins
    (",instrument", ",SPXW  260417C06700000", "SPXW"),               # else the OCC symbol's
    (",instrument", ",my-own-code", "CFG"),                          # else the configured root
    ("", "", "CFG"),
])
def test_generic_root(tmp_path, extra_header, extra, root):
    text = f"{GEN_HEADER},underlying{extra_header}\n2025-10-01,2026-04-17,6700,C,1,2,SPX{extra}\n"
    res = conserved(read(tmp_path, "g.csv", text, "generic", root="CFG"))
    assert res.table["root"].to_pylist() == [root]


def test_generic_root_defaults_to_the_underlying_and_splits_duplicates(tmp_path):
    text = (f"{GEN_HEADER},underlying,root,volume\n"
            "2025-10-01,2026-04-17,6700,C,1,2,SPX,SPX,\"1,234\"\n"
            "2025-10-01,2026-04-17,6700,C,1,2,SPX,SPXW,1.234\n"
            "2025-10-01,2026-04-17,6700,C,1,2,SPX,,\n")
    res = conserved(read(tmp_path, "g.csv", text, "generic"))
    assert res.table["root"].to_pylist() == ["SPX", "SPXW"] and reasons(res) == {"duplicate_row": 1}
    assert res.table["volume"].to_pylist() == [1234.0, 1234.0]


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


# A public/ticker result as Deribit documents it (values made up, field names as documented).
TICKER = {
    "timestamp": T0, "state": "open", "settlement_price": 0.2403, "open_interest": 1.2,
    "min_price": 0.2065, "max_price": 0.2835, "mark_price": 0.2423, "mark_iv": 45.36,
    "last_price": 0.247, "interest_rate": 0, "instrument_name": "BTC-26JUN26-100000-C",
    "index_price": 108887.12, "estimated_delivery_price": 108887.12,
    "greeks": {"delta": 0.61234, "gamma": 1e-05, "vega": 412.31, "theta": -31.2, "rho": 480.1},
    "bid_iv": 44.9, "best_bid_price": 0.24, "best_bid_amount": 12.5,
    "ask_iv": 45.8, "best_ask_price": 0.245, "best_ask_amount": 3.1,
    "underlying_price": 116076.41, "underlying_index": "BTC-26JUN26",
    "stats": {"volume": 4.2, "volume_usd": 112000.5, "price_change": 1.3, "low": 0.23, "high": 0.25},
}


def envelope(result, i=1):
    return {"jsonrpc": "2.0", "id": i, "result": result, "usIn": 1752013414221000,
            "usOut": 1752013414221300, "usDiff": 300, "testnet": False}


def ticker(**kw):
    rec = json.loads(json.dumps(TICKER))
    rec.update(kw)
    return {k: v for k, v in rec.items() if v != "<drop>"}


def test_deribit_ticker_maps_every_field(tmp_path):
    res = conserved(read(tmp_path, "t.json", json.dumps(envelope(ticker())), "deribit"))
    row = res.table.to_pylist()[0]
    assert row["quote_time"] == dt.datetime(2025, 7, 8, 22, 23, 34, 221000, tzinfo=UTC)
    assert (row["bid_native"], row["ask_native"]) == (0.24, 0.245)
    assert row["bid"] == pytest.approx(0.24 * 116076.41, rel=1e-15)
    assert row["ask"] == pytest.approx(0.245 * 116076.41, rel=1e-15)
    assert row["last"] == pytest.approx(0.247 * 116076.41, rel=1e-15)
    assert (row["bid_size"], row["ask_size"], row["volume"], row["open_interest"]) == (12.5, 3.1, 4.2, 1.2)
    assert row["vendor_iv"] == pytest.approx(0.4536, rel=1e-15)   # percent -> decimal
    assert (row["vendor_delta"], row["vendor_gamma"]) == (0.61234, 1e-05)
    assert (row["underlying"], row["root"], row["inverse"], row["native_currency"]) == ("BTC", "BTC", True, "BTC")
    assert row["underlying_price"] == 116076.41


def test_deribit_ticker_shapes_agree(tmp_path):
    """One result, a list of results, a list of envelopes, JSON lines, and a CSV with the
    nested fields flattened all read to the same rows."""
    recs = [ticker(), ticker(instrument_name="BTC-26JUN26-90000-P", best_bid_price=0.11, best_ask_price=0.115,
                             greeks={"delta": -0.3, "gamma": 2e-05})]
    flat_cols = ["instrument_name", "timestamp", "best_bid_price", "best_ask_price", "best_bid_amount",
                 "best_ask_amount", "mark_iv", "last_price", "underlying_price", "open_interest",
                 "greeks.delta", "greeks.gamma", "stats.volume"]

    def flat(r):
        return [r["greeks"][c[7:]] if c.startswith("greeks.") else r["stats"]["volume"] if c == "stats.volume"
                else r[c] for c in flat_cols]

    csv_text = ",".join(flat_cols) + "\n" + "".join(",".join(map(str, flat(r))) + "\n" for r in recs)
    shapes = {
        "list.json": json.dumps(recs),
        "envelopes.json": json.dumps([envelope(r, i) for i, r in enumerate(recs)]),
        "envelope_list.json": json.dumps(envelope(recs)),
        "lines.json": "".join(json.dumps(envelope(r, i)) + "\n" for i, r in enumerate(recs)),
        "flat.csv": csv_text,
        "flat_underscore.csv": csv_text.replace("greeks.", "greeks_").replace("stats.", "stats_"),
    }
    tables = {name: conserved(read(tmp_path, name, text, "deribit")).table for name, text in shapes.items()}
    ref = tables.pop("list.json").drop(["source_file", "source_line"])
    assert ref.num_rows == 2 and ref["vendor_delta"].to_pylist() == [0.61234, -0.3]
    for name, t in tables.items():
        assert t.drop(["source_file", "source_line"]).equals(ref), name
    assert tables["lines.json"]["source_line"].to_pylist() == [1, 2]
    single = conserved(read(tmp_path, "one.json", json.dumps(recs[1]), "deribit")).table
    assert single.drop(["source_file", "source_line"]).equals(ref.slice(1))


def test_deribit_book_summary_by_currency(tmp_path):
    """get_book_summary_by_currency records (two currencies), extra fields ignored."""
    btc = dbt(mid_price=0.2425, interest_rate=0, volume_usd=1000.0, price_change=-1.2, high=0.25, low=0.2,
              underlying_index="BTC-26JUN26", estimated_delivery_price=108887.12)
    eth = dbt(instrument_name="ETH-26JUN26-4000-P", base_currency="ETH", quote_currency="ETH",
              underlying_price=3000.5, estimated_delivery_price=2990.1, bid_price=0.1, ask_price=0.11,
              mark_iv=61.2)
    text = "\n".join(json.dumps(envelope(r, i)) for i, r in enumerate([[btc], [eth]]))
    res = conserved(read(tmp_path, "bs.json", text, "deribit"))
    b, e = res.table.to_pylist()
    assert (b["root"], e["root"]) == ("BTC", "ETH")
    assert e["ask"] == pytest.approx(0.11 * 3000.5) and e["vendor_iv"] == pytest.approx(0.612)
    assert (b["bid_size"], b["vendor_delta"]) == (None, None)


def test_deribit_index_price_converts_when_no_underlying_price(tmp_path):
    rec = ticker(underlying_price="<drop>", estimated_delivery_price="<drop>", best_bid_price=0,
                 best_bid_amount=0)
    row = conserved(read(tmp_path, "t.json", json.dumps([rec]), "deribit")).table.to_pylist()[0]
    assert row["underlying_price"] == 108887.12 and row["ask"] == pytest.approx(0.245 * 108887.12)
    assert row["bid"] == 0.0


def test_deribit_inverse_and_linear_options_are_distinct_roots(tmp_path):
    lin = ticker(instrument_name="BTC_USDC-26JUN26-100000-C", best_bid_price=25000.0, best_ask_price=25100.0,
                 last_price=None)
    res = conserved(read(tmp_path, "t.json", json.dumps([ticker(), lin]), "deribit"))
    assert res.table["root"].to_pylist() == ["BTC", "BTC_USDC"] and len(res.quarantine) == 0
    assert res.table["inverse"].to_pylist() == [True, False]


def test_deribit_json_lines_bad_line_is_quarantined(tmp_path):
    text = json.dumps(envelope(ticker())) + "\n{not json\n" + json.dumps(ticker(instrument_name="BTC-PERPETUAL")) + "\n"
    res = conserved(read(tmp_path, "t.json", text, "deribit"))
    assert reasons(res) == {"bad_instrument": 1, "wrong_field_count": 1}
    assert sorted(q.line for q in res.quarantine.rows) == [2, 3] and res.table.num_rows == 1


@pytest.mark.parametrize("name,content,column", [
    ("t.json", json.dumps([ticker(best_ask_price="<drop>")]), "ask_price"),
    ("t.json", json.dumps([ticker(timestamp="<drop>")]), "creation_timestamp"),
    ("t.csv", "instrument_name,best_bid_price,timestamp\nBTC-26JUN26-100000-C,0.1,1\n", "ask_price"),
])
def test_deribit_ticker_missing_required_field_is_a_file_error(tmp_path, name, content, column):
    p = write(tmp_path, name, content)
    with pytest.raises(InputFileError) as err:
        read_chains([p], "deribit", "test")
    assert_names(err.value, p, None, column)


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


# Every real CBOE download in JAXMM_REAL_DATA, read exactly as downloaded: (path, option roots
# listed in its symbols, snapshot instant printed on its Date line, in UTC).
REAL_CBOE = [
    ("real_chains/tom-sims__autocallOptionsPricer/spx_quotedata.csv", {"SPX", "SPXW"},
     dt.datetime(2026, 3, 14, 11, 34)),                       # 14 March 2026 at 07:34 GMT-4
    ("real_chains/Photon1c__OptionParticleOcean/spy_quotedata.csv", {"SPY"},
     dt.datetime(2025, 5, 16, 23, 23)),                       # May 16, 2025 at 7:23 PM EDT
    ("real_chains/Luca-Castelli__Index-Gamma/ndx_quotedata.csv", {"NDX", "NDXP"},
     dt.datetime(2022, 2, 6, 1, 26)),                         # February 5 2022, 8:26 PM EST
    ("real_chains/nickkxsper__index-gamma/spx_quotedata.csv", {"SPX", "SPXW"},
     dt.datetime(2022, 7, 12, 15, 55)),                       # July 12, 2022, 11:55 AM EDT
    ("real_chains/igdalias8986__rep1/spx_quotedata.csv", {"SPX", "SPXW"},
     dt.datetime(2024, 11, 11, 13, 2)),                       # 11 de noviembre de 2024, 8:02 GMT-5
] + [(f"spx_20251001/spx_quotedata{suffix}.csv", roots, dt.datetime(2025, 10, 1, hour, minute))
     for suffix, roots, hour, minute in [
         ("", {"SPX"}, 22, 1), ("-2", {"SPX"}, 22, 2), ("-3", {"SPX", "SPXW"}, 22, 3),
         ("-4", {"SPX"}, 22, 3), ("-5", {"SPX", "SPXW"}, 22, 4), ("-6", {"SPX"}, 22, 4),
         ("-7", {"SPX"}, 22, 5), ("-8", {"SPX"}, 22, 5), ("-9", {"SPX"}, 22, 5),
         ("-10", {"SPX"}, 22, 6), ("_aug", {"SPX"}, 23, 1)]]


def _raw_lines(path):
    """The data lines' CSV fields, read independently of the reader: the lines after the
    'Expiration Date' header with a non-empty field."""
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = next(i for i, r in enumerate(rows) if r and r[0].strip().lower() == "expiration date")
    return [r for r in rows[header + 1:] if any(c.strip() for c in r)]


def _symbol_root(fields) -> str:
    return fields[1].strip()[:-15]  # ROOT + YYMMDD + C|P + 8 digits


@pytest.mark.realdata
class TestRealCboeDownloads:
    """Each of the 16 real CBOE files ingests unedited, conserving rows, with its roots apart."""

    @pytest.fixture(params=REAL_CBOE, ids=lambda case: case[0].split("/")[-2] + "/" + case[0].split("/")[-1])
    def case(self, request, real_data):
        rel, roots, utc = request.param
        path = real_data / rel
        if not path.is_file():
            pytest.skip(f"{path} not found (real_chains/ holds the five downloads of its README)")
        return path, roots, utc.replace(tzinfo=UTC), conserved(read_chains([path], "cboe", "real"))

    def test_rows_conserved(self, case):
        path, _, _, res = case
        (s,) = res.summary
        assert s["rows_in"] == 2 * len(_raw_lines(path)) == s["kept"] + s["quarantined"]

    def test_snapshot_time_and_roots(self, case):
        _, roots, utc, res = case
        assert pc.unique(res.table["quote_time"]).to_pylist() == [utc]
        assert set(res.table["root"].to_pylist()) == roots

    def test_no_quote_lost_between_roots(self, case):
        """Per root: kept + quarantined == 2 x its data lines, and nothing is a duplicate or a
        parsing failure (only unusable quotes and expiries before the snapshot date leave)."""
        path, roots, _, res = case
        lines = _raw_lines(path)
        quarantined = {}
        for q in res.quarantine.rows:
            root = _symbol_root(next(csv.reader([q.raw])))
            quarantined[root] = quarantined.get(root, 0) + 1
        kept = res.table["root"].to_pylist()
        for root in roots:
            n_lines = sum(1 for f in lines if _symbol_root(f) == root)
            assert kept.count(root) + quarantined.get(root, 0) == 2 * n_lines, root
        assert set(reasons(res)) <= {"zero_ask", "crossed_quote", "expiry_before_quote"}, reasons(res)

    def test_expiries_before_the_snapshot_date_are_the_only_date_rejections(self, case):
        path, _, utc, res = case
        local_date = res.table["quote_date"][0].as_py()
        past = sum(1 for f in _raw_lines(path)
                   if dt.datetime.strptime(f[0].strip(), "%a %b %d %Y").date() < local_date)
        assert reasons(res).get("expiry_before_quote", 0) == 2 * past
        assert abs(dt.datetime.combine(local_date, dt.time(12), UTC) - utc) < dt.timedelta(hours=14)


@pytest.mark.realdata
def test_real_spx_and_spxw_share_expiry_and_strike(real_data):
    """The tom-sims download lists 35 (expiry, strike) pairs under both SPX and SPXW: every
    one is kept under both roots (the issue's SPX file lost all its SPXW quotes this way)."""
    path = real_data / REAL_CBOE[0][0]
    if not path.is_file():
        pytest.skip(f"{path} not found")
    raw = {}
    for f in _raw_lines(path):
        raw.setdefault((f[0], float(f[11])), set()).add(_symbol_root(f))
    shared = {k for k, v in raw.items() if v == {"SPX", "SPXW"}}
    t = read_chains([path], "cboe", "real").table
    kept = {}
    for e, k, r, root in zip(*(t[c].to_pylist() for c in ("expiry", "strike", "right", "root"))):
        kept.setdefault((f"{e:%a %b %d %Y}", k, r), set()).add(root)
    assert len(shared) == 35
    assert all(kept[(e, k, r)] == {"SPX", "SPXW"} for e, k in shared for r in "CP")
