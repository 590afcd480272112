"""Ingest readers against a bare pandas parse of the same file.

Measured (best of 3, on deterministic files generated in a temporary directory):

- ``ingest_cboe``: ``read_chains([path], "cboe", ...)`` on one CBOE delayed-quote download of
  100,000 data lines = 200,000 quotes (0.5% of lines carry a crossed call, so the
  quarantine path runs too). Size unit: quotes.
- ``ingest_settlements``: ``read_settlements`` + ``continuous_tenors(12 tenors, roll 2)`` on
  10 years x 15 listed monthly contracts (37,800 rows). Size unit: rows.
- ``ingest_daily``: ``read_daily`` on 20 years of business days x 5 value columns
  (25,200 cells). Size unit: cells.

Baseline: ``pandas.read_csv`` of the same file (no date parsing, no checks), i.e. the
cheapest way to get the bytes into columns. The ratio is therefore the price of what the
readers add on top of a parse: per-field validation, the quarantine with reasons and
source lines, duplicate detection, typed Arrow output (and, for settlements, the tenors).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import best_of, record
from jaxmm.io.chains import read_chains
from jaxmm.io.daily import read_daily
from jaxmm.io.futures import continuous_tenors, read_settlements

QUOTE_DATE = dt.date(2025, 10, 1)
MONTHS = "FGHJKMNQUVXZ"   # futures month codes


def write_cboe(path: Path, n_expiries: int = 100, n_strikes: int = 1000, seed: int = 0) -> int:
    """A CBOE download with n_expiries x n_strikes lines; returns the number of quotes."""
    rng = np.random.default_rng(seed)
    spot, vol = 5000.0, 0.2
    header = ("Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,"
              "Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest")
    lines = ["S&P 500 INDEX,Last: 5000.00,Change: 12.50",
             '"Date: October 1, 2025 at 4:15 PM EDT",Bid: 4999.50,Ask: 5000.50,Size: 1*1,Volume: 0',
             header]
    strikes = 2500.0 + 5.0 * np.arange(n_strikes)
    n = 0
    for e in range(n_expiries):
        expiry = QUOTE_DATE + dt.timedelta(days=2 + 7 * e)          # Fridays
        sd = vol * np.sqrt((expiry - QUOTE_DATE).days / 365.0)
        tv = spot * sd * 0.4 * np.exp(-0.5 * (np.log(strikes / spot) / sd) ** 2) + 0.05
        call = np.maximum(spot - strikes, 0) + tv
        put = np.maximum(strikes - spot, 0) + tv
        half = 0.05 + 0.01 * call * rng.uniform(0.5, 1.5, n_strikes)
        exp_text, occ = f"{expiry:%a %b %d %Y}", f"SPX{expiry:%y%m%d}"
        for i, k in enumerate(strikes):
            cb, ca = call[i] - half[i], call[i] + half[i]
            if n % 200 == 0:
                cb = ca + 0.1                                        # crossed: quarantined
            pb, pa_ = max(put[i] - half[i], 0.0), put[i] + half[i]
            vol_c, vol_p, oi = rng.integers(0, 500, 3)
            lines.append(
                f"{exp_text},{occ}C{int(k * 1000):08d},{call[i]:.2f},0,{cb:.2f},{ca:.2f},{vol_c},0.2,0.5,0.001,{oi},"
                f"{k:.2f},{occ}P{int(k * 1000):08d},{put[i]:.2f},0,{pb:.2f},{pa_:.2f},{vol_p},0.2,-0.5,0.001,{oi}")
            n += 1
    path.write_text("\n".join(lines) + "\n")
    return 2 * n


def write_settlements(path: Path, years: int = 10, listed: int = 15, seed: int = 1) -> int:
    """Monthly contracts, the next ``listed`` settling each business day; returns rows."""
    rng = np.random.default_rng(seed)
    days = np.busday_offset("2015-01-02", np.arange(252 * years), roll="forward")
    # contract for delivery month m (from 2015-02) expires on the 20th of month m-1 (weekday).
    months = [(2015 + (m + 1) // 12, (m + 1) % 12 + 1) for m in range(12 * years + listed + 2)]
    expiries = np.array([np.busday_offset(f"{y - (mo == 1)}-{(mo - 2) % 12 + 1:02d}-20", 0, roll="backward")
                         for y, mo in months])
    codes = [f"CL{MONTHS[mo - 1]}{y % 100:02d}" for y, mo in months]
    spot = 60.0 * np.exp(np.cumsum(rng.normal(0, 0.02, days.size)))
    lines = ["date,contract,expiry,settle,volume,open_interest"]
    for d, s in zip(days, spot):
        first = int(np.searchsorted(expiries, d))                    # first with expiry >= d
        for j in range(first, first + listed):
            lines.append(f"{d},{codes[j]},{expiries[j]},{s * (1 + 0.004 * (j - first)):.2f},"
                         f"{rng.integers(1000, 300000)},{rng.integers(1000, 400000)}")
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


def write_daily(path: Path, years: int = 20, seed: int = 2) -> int:
    """Business-day closes, a vol index, ETF price, NAV and volume; returns cells."""
    rng = np.random.default_rng(seed)
    days = np.busday_offset("2005-01-03", np.arange(252 * years), roll="forward")
    close = 1200.0 * np.exp(np.cumsum(rng.normal(0, 0.01, days.size)))
    vix = 15.0 * np.exp(rng.normal(0, 0.2, days.size))
    volume = rng.integers(10**6, 10**8, days.size)
    lines = ["date,close,vix,etf,nav,volume"]
    lines += [f"{d},{c:.2f},{v:.2f},{c / 10:.3f},{c / 10 * 1.0001:.3f},{n}"
              for d, c, v, n in zip(days, close, vix, volume)]
    path.write_text("\n".join(lines) + "\n")
    return 5 * days.size


def compare(name: str, what: str, size: int, unit: str, fn, baseline) -> dict:
    """Warm up (and sanity-count) once, then best of 3 for the reader and for the baseline."""
    res = fn()
    if hasattr(res, "summary"):
        assert sum(s["rows_in"] for s in res.summary) == size, (name, res.summary)
    counts = ({"kept": res.table.num_rows, "quarantined": len(res.quarantine)}
              if hasattr(res, "quarantine") else {"output_rows": res.num_rows})
    seconds = best_of(fn)
    return record(name, what, size, unit, seconds, "pandas.read_csv", best_of(baseline), counts)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cboe, settle, daily = tmp / "spx.csv", tmp / "wti.csv", tmp / "daily.csv"
        n_quotes, n_rows, n_cells = write_cboe(cboe), write_settlements(settle), write_daily(daily)

        compare("ingest_cboe", "read_chains cboe (validate + quarantine)", n_quotes, "quotes",
                lambda: read_chains([cboe], "cboe", "bench"),
                lambda: pd.read_csv(cboe, skiprows=2))

        compare("ingest_settlements", "read_settlements + continuous_tenors(12, 2)", n_rows, "rows",
                lambda: continuous_tenors(read_settlements(settle, "bench").table, 12, 2),
                lambda: pd.read_csv(settle))

        compare("ingest_daily", "read_daily (5 columns)", n_cells, "cells",
                lambda: read_daily(daily, "bench", positive=["close", "vix", "etf", "nav"]),
                lambda: pd.read_csv(daily))


if __name__ == "__main__":
    main()
