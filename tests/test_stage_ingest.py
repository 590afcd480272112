"""The ingest stage's chains and futures runs: conventions applied per source, rows conserved,
config overrides honoured and config errors naming their key."""

import datetime as dt

import pandas as pd
import pyarrow.parquet as pq
import pytest

from jaxmm.io import schemas
from jaxmm.stages import ingest

HEADER = ("Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,"
          "Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest")


def cboe_line(expiry: dt.date, root: str, strike: float) -> str:
    code = f"{expiry:%y%m%d}"
    k = f"{int(strike * 1000):08d}"
    return (f"{expiry:%a %b %d %Y},{root}{code}C{k},0,0,10.5,11.0,5,0.2,0.5,0.001,10,{strike:.2f},"
            f"{root}{code}P{k},0,0,9.5,10.0,5,0.2,-0.5,0.001,10")


@pytest.fixture
def chain_file(tmp_path):
    """Taken at 11:00 EDT on Friday 2026-03-20 (in session): the SPX monthly of that day (AM)
    has settled, the SPXW weekly of the same date (PM) has not; 2026-04-03 is Good Friday."""
    lines = ["", "S&P 500 INDEX,Last: 6600.00,Change: 1.0",
             '"Date: March 20, 2026 at 11:00 AM EDT",Bid: 6599.0,Ask: 6601.0,Size: 1*1,Volume: 0', HEADER]
    for expiry, root in [(dt.date(2026, 3, 20), "SPX"), (dt.date(2026, 3, 20), "SPXW"),
                         (dt.date(2026, 4, 3), "SPXW"), (dt.date(2026, 4, 17), "SPX")]:
        lines += [cboe_line(expiry, root, k) for k in (6500.0, 6600.0)]
    path = tmp_path / "spx.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_chains(tmp_path, sources):
    outputs = {name: str(tmp_path / f"{name}.parquet") for name in ("chains", "quarantine", "summary")}
    ingest.run_chains({}, outputs, {"section": {"sources": sources}})
    return {name: pq.read_table(path) for name, path in outputs.items()}


def test_chains_get_conventions_and_expired_quotes_are_quarantined(tmp_path, chain_file):
    out = run_chains(tmp_path, [{"name": "spx", "format": "cboe", "paths": [str(chain_file)]},
                                {"name": "spx_pm", "format": "cboe", "paths": [str(chain_file)],
                                 "settlement": {"roots": {"SPX": "PM"}}}])
    chains = out["chains"]
    assert chains.schema.equals(schemas.CHAINS, check_metadata=True)
    c = chains.to_pandas()
    assert (c["quote_time"] == pd.Timestamp("2026-03-20 15:00", tz="UTC")).all()
    assert (c["snapshot"] == "in_session").all() and (c["quote_date"] == dt.date(2026, 3, 20)).all()
    settle = c.groupby(["source", "root", "expiry"])["settlement_time"].agg(["first", "nunique"])
    assert (settle["nunique"] == 1).all()
    want = {("spx", "SPXW", dt.date(2026, 3, 20)): "2026-03-20 20:00",
            ("spx", "SPXW", dt.date(2026, 4, 3)): "2026-04-02 20:00",    # Good Friday: Thursday's close
            ("spx", "SPX", dt.date(2026, 4, 17)): "2026-04-17 13:30",
            ("spx_pm", "SPX", dt.date(2026, 3, 20)): "2026-03-20 20:00",  # the override: SPX is PM here
            ("spx_pm", "SPXW", dt.date(2026, 3, 20)): "2026-03-20 20:00",
            ("spx_pm", "SPXW", dt.date(2026, 4, 3)): "2026-04-02 20:00",
            ("spx_pm", "SPX", dt.date(2026, 4, 17)): "2026-04-17 20:00"}
    assert {k: str(v.tz_convert(None)) for k, v in settle["first"].items()} == \
        {k: str(pd.Timestamp(v)) for k, v in want.items()}
    flags = c.groupby("expiry")["expiry_flag"].unique().to_dict()
    assert list(flags[dt.date(2026, 4, 3)]) == ["expiry_not_a_session"] and list(flags[dt.date(2026, 4, 17)]) == ["ok"]

    q = out["quarantine"].to_pandas()
    assert list(q["reason"]) == ["expired"] * 4 and (q["line"].isin([5, 6])).all()   # SPX 03-20, calls and puts
    s = out["summary"].to_pandas().set_index("source")
    assert s.loc["spx", ["rows_in", "kept", "quarantined"]].tolist() == [16, 12, 4]
    assert s.loc["spx_pm", ["rows_in", "kept", "quarantined"]].tolist() == [16, 16, 0]


def test_chains_config_errors_name_the_key(tmp_path, chain_file):
    with pytest.raises(ValueError, match=r"ingest\.chains\.sources\[1\]\.calendar"):
        run_chains(tmp_path, [{"name": "a", "format": "cboe", "paths": [str(chain_file)]},
                              {"name": "b", "format": "cboe", "paths": [str(chain_file)], "calendar": "XXXX"}])


def test_futures_roll_counts_sessions_of_the_configured_calendar(tmp_path):
    """Contract A expires Tue 2024-01-16, the day after MLK Day: with a 1-day roll it has
    left M1 on Fri 12th on the default NYSE calendar, not on Mon-Fri days (calendar null)."""
    path = tmp_path / "s.csv"
    path.write_text("date,contract,expiry,settle\n"
                    "2024-01-11,CLA,2024-01-16,70.0\n2024-01-11,CLB,2024-02-20,72.0\n"
                    "2024-01-12,CLA,2024-01-16,70.1\n2024-01-12,CLB,2024-02-20,72.1\n")
    fronts = {}
    for cal in ("default", None):
        src = {"name": "cl", "format": "settlements", "paths": [str(path)]}
        if cal != "default":
            src["calendar"] = cal
        outputs = {name: str(tmp_path / f"{name}.parquet")
                   for name in ("futures_contracts", "futures_tenors", "quarantine", "summary")}
        ingest.run_futures({}, outputs, {"section": {"n_tenors": 1, "roll_business_days": 1, "sources": [src]}})
        t = pq.read_table(outputs["futures_tenors"]).to_pandas()
        fronts[cal] = dict(zip(t["date"], zip(t["contract"], t["business_days_to_expiry"])))
    assert fronts["default"] == {dt.date(2024, 1, 11): ("CLA", 2), dt.date(2024, 1, 12): ("CLB", 25)}
    assert fronts[None] == {dt.date(2024, 1, 11): ("CLA", 3), dt.date(2024, 1, 12): ("CLA", 2)}
    with pytest.raises(ValueError, match=r"ingest\.futures\.sources\[0\]\.calendar"):
        ingest.run_futures({}, outputs, {"section": {"n_tenors": 1, "roll_business_days": 1, "sources": [
            {"name": "cl", "format": "settlements", "paths": [str(path)], "calendar": "XXXX"}]}})
