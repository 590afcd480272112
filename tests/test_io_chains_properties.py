"""Property tests: corrupted chain files never crash a reader and never lose a row.

A valid CBOE download, generic CSV and Deribit CSV/JSON are corrupted at random (cell
edits, deleted / duplicated / swapped / blank lines, inserted bytes, truncation). The
reader may stop with InputFileError (a bad file); anything else must be read with
rows_in == kept + quarantined per file, rows_in equal to an independent count of the
records, and every kept row a usable quote.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _io_corruption import corrupted as _corrupted
from jaxmm.io.chains import read_chains
from jaxmm.io.errors import InputFileError
from jaxmm.io.schemas import CHAINS_READ as CHAINS  # the readers write CHAINS less the conventions columns

SETTINGS = settings(max_examples=100, deadline=None)

CBOE = "\n".join([
    "",
    "S&P 500 INDEX,Last: 6711.2002,Change:  22.7402",
    '"Date: October 1, 2025 at 6:01 PM EDT",Bid: 6661.1099,Ask: 6743.9702,Size: 1*1,Volume: 0',
    "Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,Strike,Puts,"
    "Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest",
    "Fri Apr 17 2026,SPX260417C01200000,0,0,5498.5,5515.9,0,0,1,0,0,1200.00,SPX260417P01200000,0.65,0.075,0.5,0.6,3,0.7896,-0.0005,0,268",
    "Fri Apr 17 2026,SPX260417C03000000,0,0,3698.1,3715.2,0,0.41,0.99,0,4,3000.00,SPX260417P03000000,9.1,0.1,8.9,9.3,40,0.41,-0.01,0,1310",
    "Fri Apr 17 2026,SPX260417C06700000,512.3,4.1,510,518.9,120,0.165,0.55,0.0006,8012,6700.00,SPX260417P06700000,401,-2,399.5,406.5,230,0.171,-0.45,0.0006,9120",
    "Fri Apr 17 2026,SPX260417C08000000,2.1,0,1.9,2.3,12,0.13,0.02,0,311,8000.00,SPX260417P08000000,0,0,1240,1262,0,0,-1,0,0",
    "Thu Jun 18 2026,SPX260618C06700000,0,0,600,610,0,0.17,0.56,0.0005,40,6700.00,SPX260618P06700000,0,0,480,490,0,0.175,-0.44,0.0005,55",
]) + "\n"

GENERIC = "\n".join([
    "quote_date,expiry,strike,right,bid,ask,underlying_price,volume,last,quote_time",
    "2025-10-01,2026-04-17,6700,C,510,518.9,6711.2,120,512.3,2025-10-01T16:15:00",
    "2025-10-01,2026-04-17,6700,P,399.5,406.5,6711.2,230,401,",
    "2025-10-01,2026-04-17,3000,call,3698.1,3715.2,6711.2,,,",
    "2025-10-01,2026-04-17,3000,put,8.9,9.3,6711.2,40,9.1,",
    "2025-10-01,2026-06-18,6700,C,600,610,6711.2,0,,2025-10-01T22:01:00+00:00",
]) + "\n"

DERIBIT_RECORDS = [
    {"instrument_name": f"BTC-26JUN26-{k}-{r}", "bid_price": b, "ask_price": a, "last": None,
     "mark_iv": 45.3, "underlying_price": 116076.41, "estimated_delivery_price": 108887,
     "volume": 1, "open_interest": 2.5, "base_currency": "BTC", "quote_currency": "BTC",
     "creation_timestamp": 1752013414221}
    for k, r, b, a in [(100000, "C", 0.24, 0.245), (100000, "P", 0.11, 0.115),
                       (120000, "C", None, 0.17), (90000, "P", 0.06, 0.065)]
] + [{"instrument_name": "XRP_USDC-30MAY26-2d2-C", "bid_price": 0.11, "ask_price": 0.13,
      "base_currency": "XRP", "quote_currency": "USDC", "creation_timestamp": 1752013414221}]

DERIBIT_CSV = "\n".join(
    [",".join(DERIBIT_RECORDS[0])]
    + [",".join("" if r.get(c) is None else str(r[c]) for c in DERIBIT_RECORDS[0]) for r in DERIBIT_RECORDS[:4]]
) + "\n"

# Cells that hit every row-level check, and some that look almost right.
BAD_CELLS = ["", " ", "abc", "-1", "0", "-0", "nan", "inf", "1e999", "NA", "-", ".", "1,5", '"', '"a,b"',
             "\r", "\x00", "Fri Feb 30 2026", "Mon Apr 17 2026", "2025-02-30", "9999-12-31",
             "0001-01-01", "9999-12-31T23:59:59", "12/31/1999", "X", "put", "SPX260417C09999000",
             "99999999999999999999", "1" * 5000, "\u00e9\u2028"]


def corrupted(text: str, body: int):
    """``text`` corrupted: edits mostly on the data lines (from index ``body``) and mostly
    valid UTF-8, so the rows are reached; invalid UTF-8 sometimes."""
    return _corrupted(text, bad_cells=BAD_CELLS, body=body, edits=6,
                      ops=("edit", "edit", "edit", "delete", "duplicate", "swap", "blank"),
                      blanks=("", "  ", "\r"), byte_edits=(0, 0, 0, 1, 2),
                      byte_ops=("insert_bytes", "insert_text", "truncate"))


def nonblank_lines(data: bytes, blank_chars: str = "") -> int:
    """Non-blank physical lines, counted independently of the readers (``blank_chars``:
    characters besides whitespace that a blank line may hold: CBOE skips lines of only
    commas and quotes, a spreadsheet's empty row)."""
    text = data.decode("utf-8-sig")
    drop = dict.fromkeys(map(ord, blank_chars))
    return sum(1 for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
               if ln.translate(drop).strip())


def read_bytes(data: bytes, fmt: str, name: str):
    """(result or None when the file was rejected as a whole)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return read_chains([path], fmt, "prop")
        except InputFileError as exc:
            assert str(path) in str(exc)
            return None


def check_invariants(res) -> None:
    (s,) = res.summary
    assert s["rows_in"] == s["kept"] + s["quarantined"]
    assert res.table.num_rows == s["kept"] and len(res.quarantine) == s["quarantined"]
    t = res.table
    assert t.schema.equals(CHAINS, check_metadata=True)
    for f in CHAINS:
        if not f.nullable:
            assert t[f.name].null_count == 0, f.name
    if t.num_rows:
        assert pc.all(pc.less_equal(t["bid"], t["ask"])).as_py()
        assert pc.all(pc.greater(t["ask"], 0)).as_py() and pc.all(pc.greater_equal(t["bid"], 0)).as_py()
        assert pc.all(pc.greater(t["strike"], 0)).as_py()
        assert pc.all(pc.greater_equal(t["expiry"], t["quote_date"])).as_py()
        assert set(t["right"].to_pylist()) <= {"C", "P"}
        keys = list(zip(*(t[c].to_pylist() for c in ("quote_time", "underlying", "root", "expiry", "strike",
                                                      "right"))))
        assert len(set(keys)) == len(keys)
    for q in res.quarantine.rows:
        assert q.line >= 1 and q.dataset == "chains" and len(q.raw) <= 500


def test_valid_fixtures_read_cleanly():
    for text, fmt, name, n in [(CBOE, "cboe", "q.csv", 10), (GENERIC, "generic", "g.csv", 5),
                               (DERIBIT_CSV, "deribit", "d.csv", 4),
                               (json.dumps(DERIBIT_RECORDS), "deribit", "d.json", 5)]:
        res = read_bytes(text.encode(), fmt, name)
        assert res.summary[0]["kept"] == n and len(res.quarantine) == 0, (fmt, res.quarantine.rows)


@SETTINGS
@given(corrupted(CBOE, body=4))
def test_corrupted_cboe_conserves_rows(data):
    res = read_bytes(data, "cboe", "q.csv")
    if res is not None:
        check_invariants(res)
        assert res.summary[0]["rows_in"] == 2 * (nonblank_lines(data, ',"') - 3)  # 2 quotes a data line


@pytest.mark.parametrize("fmt, sample", [("generic", GENERIC), ("deribit", DERIBIT_CSV)])
@SETTINGS
@given(data=st.data())
def test_corrupted_one_header_csv_conserves_rows(fmt, sample, data):
    raw = data.draw(corrupted(sample, body=1))
    res = read_bytes(raw, fmt, f"{fmt}.csv")
    if res is not None:
        check_invariants(res)
        assert res.summary[0]["rows_in"] == nonblank_lines(raw) - 1  # one quote a line


JSON_VALUES = (st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats()
               | st.text(max_size=8) | st.sampled_from(BAD_CELLS) | st.lists(st.integers(), max_size=2))


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(sorted(DERIBIT_RECORDS[0]) + ["timestamp"]),
                          JSON_VALUES), min_size=1, max_size=6),
       st.booleans())
def test_corrupted_deribit_json_conserves_rows(edits, envelope):
    records = [dict(r) for r in DERIBIT_RECORDS]
    for i, key, value in edits:
        records[i][key] = value
    data = json.dumps({"result": records} if envelope else records).encode()
    res = read_bytes(data, "deribit", "d.json")
    if res is not None:
        check_invariants(res)
        assert res.summary[0]["rows_in"] == len(records)


TICKERS = [
    {"instrument_name": f"BTC-26JUN26-{k}-{r}", "timestamp": 1752013414221, "best_bid_price": b,
     "best_ask_price": a, "best_bid_amount": 1.5, "best_ask_amount": 2.0, "mark_iv": 45.3,
     "last_price": None, "underlying_price": 116076.41, "index_price": 108887.1, "open_interest": 2.5,
     "greeks": {"delta": 0.5, "gamma": 1e-05, "vega": 40.0}, "stats": {"volume": 1.2}}
    for k, r, b, a in [(100000, "C", 0.24, 0.245), (100000, "P", 0.11, 0.115), (120000, "C", 0, 0.17)]
]


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(sorted(TICKERS[0])), JSON_VALUES),
                min_size=1, max_size=6),
       st.sampled_from(["list", "envelopes", "lines"]))
def test_corrupted_deribit_tickers_conserve_rows(edits, shape):
    """public/ticker results, as a list, a list of JSON-RPC envelopes or JSON lines."""
    records = json.loads(json.dumps(TICKERS))
    for i, key, value in edits:
        records[i][key] = value
    wrapped = [{"jsonrpc": "2.0", "id": i, "result": r} for i, r in enumerate(records)]
    text = {"list": json.dumps(records), "envelopes": json.dumps(wrapped),
            "lines": "\n".join(json.dumps(w) for w in wrapped)}[shape]
    res = read_bytes(text.encode(), "deribit", "t.json")
    if res is not None:
        check_invariants(res)
        assert res.summary[0]["rows_in"] == len(records)
