"""Option chain snapshots in the CBOE delayed-quote download format, from a known SSVI surface.

Model (per quote date, index level ``S``, constant ``r`` and ``q``)::

    t = (settlement - close of quote_date) / 365 days     ACT/365 on the clock jaxmm.io.conventions
                                                          gives the ingested quotes: SPX monthlies
                                                          settle at the 09:30 open (AM), SPXW at
                                                          the close (PM); files are written after
                                                          the close, so that is their as-of time
    F = S exp((r - q) t),   D = exp(-r t),   k = ln(K / F)

    theta(t) = s_l^2 t + (s_s^2 - s_l^2) tau (1 - exp(-t / tau))      ATM total variance
    phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma))           power law
    w(k, t) = theta/2 (1 + rho phi k + sqrt((phi k + rho)^2 + 1 - rho^2))  SSVI
    vol(K, t) = sqrt(w / t)

(Gatheral & Jacquier, "Arbitrage-free SVI volatility surfaces", Quant. Finance 14 (2014);
power law of their section 4.) theta(t) is the integral of a variance curve that moves
from ``s_s^2`` (``atm_vol_short``) to ``s_l^2`` (``atm_vol_long``) over ``tau``
(``atm_vol_timescale``), so it is strictly increasing; with ``eta (1 + |rho|) <= 2`` and
``0 < gamma <= 1/2`` the surface is free of static arbitrage (their Theorem 4.2 and
Corollary 4.1). Each slice is also a raw SVI ``w = a + b (rho (k - m) + sqrt((k - m)^2 +
sigma^2))`` with ``a = theta/2 (1 - rho^2)``, ``b = theta phi / 2``, ``m = -rho / phi``,
``sigma = sqrt(1 - rho^2) / phi`` (their Lemma 3.2), stored in the truth.

Quotes: true price ``P = D * Black76(F, K, t, vol)`` (``jaxmm.pricing.black``). The vendor vol is
``vol + e`` with ``e ~ N(0, mid_noise_vol)`` clipped to +-0.4 of the half spread in vol; the
noisy mid is the Black price at that vol. Half spread in vol::

    h_vol = min(half_spread_vol (1 + spread_wing |z|) (1 + spread_short exp(-t / 0.1)), max)
    z = k / (atm_vol sqrt(t))                     moneyness in ATM standard deviations
    half = max(h_vol * vega, tick / 2, half_spread_rel_min * mid)

bid = noisy mid - half rounded down, ask = noisy mid + half rounded up, to the CBOE tick
(0.05 below $3, 0.10 from $3), bid floored at 0 (deep OTM: bid 0, ask 0.05). A guard keeps
the true price P inside [bid, ask]. Volume, open interest and last sale are plausible
random numbers; IV, delta (spot delta ``exp(-q t) N(d1)``) and gamma (per spot point) are
the vendor columns, at the noisy vol.

Spot moves between quote dates by ``exp(N(0, daily_move_vol))``; the surface is fixed in
(k, t) ("sticky moneyness"). Strikes are fixed per expiry (listed on the first date).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from jaxmm.io import conventions
from jaxmm.io.errors import Reason
from jaxmm.synthetic import calendar as cal
from jaxmm.synthetic._util import BadRow, fmt, write_parquet, write_text

HEADER = ("Expiration Date,Calls,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest,"
          "Strike,Puts,Last Sale,Net,Bid,Ask,Volume,IV,Delta,Gamma,Open Interest")
STRIKE_SPACINGS = (5, 25, 50, 100, 250, 500)   # SPX-like: 5 near the money, wider further out
FIRST_DATA_LINE = 5   # line 1 blank (as in real CBOE downloads), 2-4 preamble
# Kinds of deliberately bad lines, in the order they are used, and the reader's reason.
BAD_KINDS = (
    ("crossed_quote", Reason.CROSSED_QUOTE),        # one side: bid = ask + a tick
    ("negative_bid", Reason.NEGATIVE_PRICE),        # one side: bid < 0
    ("zero_ask", Reason.ZERO_ASK),                  # one side: bid = ask = 0
    ("non_numeric_bid", Reason.NON_NUMERIC),        # one side: bid '#VALUE!'
    ("duplicate_line", Reason.DUPLICATE_ROW),       # line repeated right after itself
    ("zero_strike", Reason.NONPOSITIVE_STRIKE),     # extra line with strike 0.00
)
_SIDE_KINDS = {"crossed_quote", "negative_bid", "zero_ask", "non_numeric_bid"}
_TZ = ZoneInfo("America/New_York")


# --------------------------------------------------------------------------- surface

def ssvi_theta(t, short: float, long: float, timescale: float):
    """ATM total variance theta(t) (strictly increasing in t)."""
    t = np.asarray(t, float)
    return long**2 * t + (short**2 - long**2) * timescale * (1.0 - np.exp(-t / timescale))


def ssvi_phi(theta, eta: float, gamma: float):
    theta = np.asarray(theta, float)
    return eta / (theta**gamma * (1.0 + theta) ** (1.0 - gamma))


def ssvi_w(k, theta, phi, rho: float):
    """SSVI total implied variance at log-moneyness k."""
    pk = phi * k
    return 0.5 * theta * (1.0 + rho * pk + np.sqrt((pk + rho) ** 2 + 1.0 - rho**2))


def raw_svi(theta, phi, rho: float) -> dict[str, np.ndarray]:
    """Raw SVI parameters (a, b, rho, m, sigma) of SSVI slices (Gatheral-Jacquier Lemma 3.2)."""
    theta, phi = np.asarray(theta, float), np.asarray(phi, float)
    return {"a": 0.5 * theta * (1 - rho**2), "b": 0.5 * theta * phi, "rho": np.full_like(theta, rho),
            "m": -rho / phi, "sigma": math.sqrt(1 - rho**2) / phi}


def svi_w(k, a, b, rho, m, sigma):
    return a + b * (rho * (k - m) + np.sqrt((k - m) ** 2 + sigma**2))


# --------------------------------------------------------------------------- listing

@dataclasses.dataclass(frozen=True)
class Expiry:
    date: dt.date
    weekly: bool   # SPXW root (not a third Friday)


def list_expiries(quote_dates: list[dt.date], c: dict) -> list[Expiry]:
    """Weeklies, then monthlies, then quarterlies (< 1 year) and Jun/Dec up to max_years."""
    last = quote_dates[-1]
    horizon = quote_dates[0] + dt.timedelta(days=round(c["max_years"] * 365.25))
    one_year = quote_dates[0] + dt.timedelta(days=366)
    out: list[Expiry] = []
    day = last + dt.timedelta(days=(4 - last.weekday()) % 7 or 7)  # first Friday after last
    while sum(e.weekly for e in out) < c["n_weeklies"]:
        if day != cal.third_friday(day.year, day.month):
            exp = cal.expiry_on_or_before(day)
            if exp > last:
                out.append(Expiry(exp, True))
        day += dt.timedelta(days=7)
    year, month, n_monthly = last.year, last.month, 0
    while True:
        exp = cal.expiry_on_or_before(cal.third_friday(year, month))
        if exp > horizon:
            break
        if exp > last:
            if n_monthly < c["n_monthlies"]:
                out.append(Expiry(exp, False))
                n_monthly += 1
            elif month in ((3, 6, 9, 12) if exp <= one_year else (6, 12)):
                out.append(Expiry(exp, False))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return sorted(set(out), key=lambda e: e.date)


def strike_grid(forward: float, atm_vol: float, t: float, n: int, range_sd: float) -> np.ndarray:
    """About ``n`` strikes over +-range_sd ATM sds, denser near the money, snapped to round
    multiples of the local spacing (5, 25, 50, 100, ... points)."""
    u = np.linspace(-1.0, 1.0, n)
    a = 1.5   # sinh stretch: spacing at the wings ~ cosh(a) = 2.4x the ATM spacing
    z = range_sd * np.sinh(a * u) / math.sinh(a)
    raw = forward * np.exp(z * atm_vol * math.sqrt(t))
    gap = np.abs(np.gradient(raw))
    spacing = np.asarray(STRIKE_SPACINGS, float)[
        np.clip(np.searchsorted(STRIKE_SPACINGS, gap, side="right") - 1, 0, None)]
    strikes = np.unique(np.round(raw / spacing) * spacing)
    return strikes[strikes > 0]


def years_to_settlement(quote_dates: list[dt.date], expiries: list[Expiry], root: str) -> np.ndarray:
    """(dates, expiries) ACT/365 years from each quote date's close to each expiry's
    settlement by the cboe venue's rules (monthly root AM, weekly root + "W" PM)."""
    conv = conventions.conventions_for({"format": "cboe"})
    cal = conventions.sessions(conv.calendar)
    closes = cal.closes[np.searchsorted(cal.dates, np.array(quote_dates, "datetime64[D]"))]
    roots = np.array([root + ("W" if e.weekly else "") for e in expiries], dtype=object)
    settle, _, _ = conventions.settlement_times(conv, roots, np.array([e.date for e in expiries], "datetime64[D]"))
    return (settle[None, :] - closes[:, None]) / (365.0 * 86400e9)


# --------------------------------------------------------------------------- quotes

def _ticks_floor(x: np.ndarray) -> np.ndarray:
    """Round down to the CBOE tick (0.05 below $3, 0.10 from $3), in integer cents."""
    cents = np.floor(x * 100 + 1e-7)
    tick = np.where(x < 3.0, 5, 10)
    return np.floor(cents / tick) * tick / 100.0


def _ticks_ceil(x: np.ndarray) -> np.ndarray:
    cents = np.ceil(x * 100 - 1e-7)
    tick = np.where(x < 3.0, 5, 10)
    return np.ceil(cents / tick) * tick / 100.0


def _price_quotes(q: dict, c: dict, rng: np.random.Generator) -> dict:
    """Vectorised quote model over flat arrays ``q`` (one entry per strike, expiry, date, right)."""
    from jaxmm.pricing import black  # JAX loads only when chains are generated

    F, K, t, D, S, is_call = q["forward"], q["strike"], q["t"], q["discount"], q["spot"], q["is_call"]
    k = np.log(K / F)
    theta = ssvi_theta(t, c["atm_vol_short"], c["atm_vol_long"], c["atm_vol_timescale"])
    phi = ssvi_phi(theta, c["ssvi_eta"], c["ssvi_gamma"])
    vol = np.sqrt(ssvi_w(k, theta, phi, c["ssvi_rho"]) / t)
    atm_vol = np.sqrt(theta / t)
    z = k / (atm_vol * np.sqrt(t))
    h_vol = np.minimum(c["half_spread_vol"] * (1 + c["spread_wing"] * np.abs(z))
                       * (1 + c["spread_short"] * np.exp(-t / 0.1)), c["half_spread_vol_max"])
    eps = np.clip(rng.normal(0.0, 1.0, t.shape) * c["mid_noise_vol"], -0.4 * h_vol, 0.4 * h_vol)
    vol_noisy = vol + eps

    price_true = np.asarray(black.price(F, K, t, vol, is_call, D))
    mid = np.asarray(black.price(F, K, t, vol_noisy, is_call, D))
    vega = np.asarray(black.vega(F, K, t, vol, D))
    delta_s = np.asarray(black.delta(F, K, t, vol_noisy, is_call, D)) * F / S
    gamma_s = np.asarray(black.gamma(F, K, t, vol_noisy, D)) * (F / S) ** 2

    half = np.maximum.reduce([h_vol * vega, np.where(mid < 3.0, 0.025, 0.05),
                              c["half_spread_rel_min"] * mid])
    # Guard: the true price stays inside [bid, ask] even where the noise is large vs. half.
    bid = np.maximum(_ticks_floor(np.minimum(mid - half, price_true)), 0.0)
    ask = _ticks_ceil(np.maximum(mid + half, price_true))
    return {"vol_true": vol, "price_true": price_true, "vol_noisy": vol_noisy, "mid_noisy": mid,
            "half_spread": half, "half_spread_vol": h_vol, "bid": bid, "ask": ask,
            "delta": delta_s, "gamma": gamma_s, "z": z, "theta": theta, "phi": phi}


def _activity(q: dict, m: dict, spot_change: np.ndarray, rng: np.random.Generator) -> dict:
    """Plausible volume, open interest, last sale and net change."""
    K, t = q["strike"], q["t"]
    roundness = np.where(K % 100 == 0, 2.0, np.where(K % 25 == 0, 1.3, 1.0))
    base = 300.0 * np.exp(-0.5 * (m["z"] / 1.5) ** 2) / (1.0 + 2.0 * t) * roundness
    volume = rng.poisson(base * rng.gamma(0.7, 1 / 0.7, K.shape))
    oi = rng.poisson(20.0 * base * (1.0 + t) * rng.gamma(0.5, 2.0, K.shape)) + volume
    traded = volume > 0
    stale = ~traded & (rng.uniform(size=K.shape) < 0.5)
    fill = m["mid_noisy"] + rng.uniform(-1.0, 1.0, K.shape) * m["half_spread"]
    old = m["mid_noisy"] * np.exp(rng.normal(0.0, 0.15, K.shape))
    last = np.where(traded, fill, np.where(stale, old, 0.0))
    last = np.where(last > 0, np.maximum(np.round(last * 20) / 20, 0.05), 0.0)  # 0 = no trade
    net = np.where(traded, m["delta"] * spot_change + rng.normal(0, 0.3, K.shape) * m["half_spread"], 0.0)
    return {"volume": volume, "open_interest": oi, "last": last, "net": np.round(net, 2)}


def _symbol(root: str, expiry: dt.date, right: str, strike: float) -> str:
    return f"{root}{expiry:%y%m%d}{right}{int(round(strike * 1000)):08d}"


def _side_fields(i: int, q: dict, m: dict, a: dict, root: str, expiry: dt.date, right: str) -> list[str]:
    return [_symbol(root, expiry, right, q["strike"][i]), fmt(a["last"][i], 2), fmt(a["net"][i], 2),
            fmt(m["bid"][i], 2), fmt(m["ask"][i], 2), str(a["volume"][i]), fmt(m["vol_noisy"][i], 4),
            fmt(m["delta"][i], 4), fmt(m["gamma"][i], 4), str(a["open_interest"][i])]


# --------------------------------------------------------------------------- bad lines

def _corrupt(lines: list[dict], n_bad: int, rng: np.random.Generator) -> None:
    """Mark ``n_bad`` distinct data lines with a bad kind (in turn); mutate or insert lines."""
    n_bad = min(n_bad, len(lines))
    victims = rng.choice(len(lines), size=n_bad, replace=False)
    for j, idx in enumerate(int(v) for v in victims):   # kinds land in random places
        kind = BAD_KINDS[j % len(BAD_KINDS)][0]
        line = lines[idx]
        if kind in _SIDE_KINDS:
            side = "C" if rng.uniform() < 0.5 else "P"
            off = 1 if side == "C" else 12   # field offset of the side's symbol
            bid_i, ask_i = off + 3, off + 4
            f = line["fields"]
            if kind == "crossed_quote":
                ask = float(f[ask_i])
                f[bid_i] = fmt(ask + (0.05 if ask < 3 else 0.10), 2)
            elif kind == "negative_bid":
                f[bid_i] = fmt(-max(float(f[bid_i]), 0.05), 2)
            elif kind == "zero_ask":
                f[bid_i], f[ask_i] = "0", "0"
            else:
                f[bid_i] = "#VALUE!"
            line["bad"] = (kind, side)
        else:
            line["bad_extra"] = kind


def _expand(lines: list[dict]) -> list[dict]:
    """The written lines: inserted copies (duplicate, strike 0) placed next to their victim."""
    out = []
    for line in lines:
        extra = line.get("bad_extra")
        if extra == "zero_strike":
            f = list(line["fields"])
            f[11] = "0.00"
            f[1] = f[1][:-8] + "00000000"
            f[12] = f[12][:-8] + "00000000"
            out.append({"fields": f, "inserted": "zero_strike"})
        out.append(line)
        if extra == "duplicate_line":
            out.append({"fields": list(line["fields"]), "inserted": "duplicate_line"})
    return out


# --------------------------------------------------------------------------- main

QUOTES_SCHEMA = pa.schema([
    pa.field("quote_date", pa.date32(), False), pa.field("expiry", pa.date32(), False),
    pa.field("strike", pa.float64(), False), pa.field("right", pa.string(), False),
    pa.field("source_file", pa.string(), False), pa.field("line", pa.int64(), False),
    pa.field("t", pa.float64(), False), pa.field("spot", pa.float64(), False),
    pa.field("forward", pa.float64(), False), pa.field("discount", pa.float64(), False),
    pa.field("vol_true", pa.float64(), False), pa.field("price_true", pa.float64(), False),
    pa.field("vol_noisy", pa.float64(), False), pa.field("mid_noisy", pa.float64(), False),
    pa.field("half_spread", pa.float64(), False), pa.field("bid", pa.float64(), False),
    pa.field("ask", pa.float64(), False), pa.field("bad_kind", pa.string(), True),
])

SLICES_SCHEMA = pa.schema([
    pa.field("quote_date", pa.date32(), False), pa.field("expiry", pa.date32(), False),
    pa.field("t", pa.float64(), False), pa.field("spot", pa.float64(), False),
    pa.field("forward", pa.float64(), False), pa.field("discount", pa.float64(), False),
    pa.field("atm_vol", pa.float64(), False), pa.field("theta", pa.float64(), False),
    pa.field("phi", pa.float64(), False), pa.field("ssvi_rho", pa.float64(), False),
    pa.field("ssvi_eta", pa.float64(), False), pa.field("ssvi_gamma", pa.float64(), False),
    pa.field("svi_a", pa.float64(), False), pa.field("svi_b", pa.float64(), False),
    pa.field("svi_rho", pa.float64(), False), pa.field("svi_m", pa.float64(), False),
    pa.field("svi_sigma", pa.float64(), False), pa.field("n_strikes", pa.int64(), False),
])


def generate(c: dict, out_dir: Path, rngs: dict[str, np.random.Generator]) -> tuple[list[str], list[str], list[BadRow], dict]:
    """Write chains/*.csv and truth/chain_{quotes,slices}.parquet.

    Returns (chain files, truth files, bad rows, derived facts for params.json).
    """
    quote_dates = cal.nyse_days_from(c["first_quote_date"], c["n_quote_dates"])
    moves = rngs["spot"].normal(0.0, c["daily_move_vol"], len(quote_dates))
    spots = c["spot0"] * np.exp(np.concatenate([[0.0], np.cumsum(moves[1:])]))
    prev_close = np.concatenate([[c["spot0"] * math.exp(-moves[0])], spots[:-1]])
    expiries = list_expiries(quote_dates, c)
    years = years_to_settlement(quote_dates, expiries, c["underlying"])
    r, qy = c["rate"], c["dividend_yield"]

    # Strike grids from the first date's forward and ATM vol (listed strikes stay put).
    grids = []
    for ei, e in enumerate(expiries):
        t0 = float(years[0, ei])
        theta0 = ssvi_theta(t0, c["atm_vol_short"], c["atm_vol_long"], c["atm_vol_timescale"])
        grids.append(strike_grid(c["spot0"] * math.exp((r - qy) * t0), math.sqrt(theta0 / t0), t0,
                                 c["strikes_per_expiry"], c["strike_range_sd"]))

    # Flat arrays: for each date, expiry, strike: the call then the put.
    rows = {key: [] for key in ("d", "e", "strike", "t", "spot", "is_call")}
    for d, qd in enumerate(quote_dates):
        for ei, e in enumerate(expiries):
            t = float(years[d, ei])
            n = len(grids[ei])
            for right in (True, False):
                rows["d"].append(np.full(n, d)), rows["e"].append(np.full(n, ei))
                rows["strike"].append(grids[ei]), rows["t"].append(np.full(n, t))
                rows["spot"].append(np.full(n, spots[d])), rows["is_call"].append(np.full(n, right))
    q = {k: np.concatenate(v) for k, v in rows.items()}
    q["forward"] = q["spot"] * np.exp((r - qy) * q["t"])
    q["discount"] = np.exp(-r * q["t"])
    m = _price_quotes(q, c, rngs["noise"])
    a = _activity(q, m, (spots - prev_close)[q["d"]], rngs["activity"])

    index = {(int(d), int(e), float(k), bool(ic)): i for i, (d, e, k, ic) in
             enumerate(zip(q["d"], q["e"], q["strike"], q["is_call"]))}
    files, bad_rows = [], []
    q_file = np.empty(len(q["t"]), dtype=object)
    q_line = np.zeros(len(q["t"]), dtype=np.int64)
    q_bad = np.full(len(q["t"]), None, dtype=object)
    n_files = min(c["files_per_snapshot"], len(expiries))
    groups = np.array_split(np.arange(len(expiries)), n_files)
    for d, qd in enumerate(quote_dates):
        lines_by_file = []
        for g in groups:
            lines = []
            for ei in g:
                e = expiries[ei]
                root = c["underlying"] + ("W" if e.weekly else "")
                for k in grids[ei]:
                    ic, ip = index[(d, int(ei), float(k), True)], index[(d, int(ei), float(k), False)]
                    fields = ([f"{e.date:%a %b %d %Y}"] + _side_fields(ic, q, m, a, root, e.date, "C")
                              + [f"{k:.2f}"] + _side_fields(ip, q, m, a, root, e.date, "P"))
                    lines.append({"fields": fields, "qc": ic, "qp": ip})
            lines_by_file.append(lines)
        flat = [ln for lines in lines_by_file for ln in lines]
        _corrupt(flat, c["bad_rows_per_snapshot"], rngs["bad"])

        for fi, lines in enumerate(lines_by_file):
            rel = f"chains/{c['underlying']}_{qd:%Y%m%d}_{fi + 1}.csv"
            stamp = dt.datetime(qd.year, qd.month, qd.day, 18, 1 + 2 * fi, tzinfo=_TZ)
            text = ["",
                    f"{c['description']},Last: {spots[d]:.4f},Change: {spots[d] - prev_close[d]: .4f}",
                    f"\"Date: {stamp:%B} {qd.day}, {qd.year} at {stamp.hour % 12 or 12}:{stamp.minute:02d} {stamp:%p} {stamp.tzname()}\","
                    f"Bid: {spots[d] * (1 - 1e-4):.4f},Ask: {spots[d] * (1 + 1e-4):.4f},Size: 1*1,Volume: 0",
                    HEADER]
            for line_no, ln in enumerate(_expand(lines), start=FIRST_DATA_LINE):
                text.append(",".join(ln["fields"]))
                if "inserted" in ln:
                    kind = ln["inserted"]
                    reason = dict(BAD_KINDS)[kind].value
                    for side in ("C", "P"):
                        bad_rows.append(BadRow("chains", rel, line_no, side, reason, kind,
                                               f"{kind} of strike {ln['fields'][11] if kind == 'duplicate_line' else '0.00'}"))
                    continue
                for key in ("qc", "qp"):
                    q_file[ln[key]], q_line[ln[key]] = rel, line_no
                if "bad" in ln:
                    kind, side = ln["bad"]
                    qi = ln["qc"] if side == "C" else ln["qp"]
                    q_bad[qi] = kind
                    bad_rows.append(BadRow("chains", rel, line_no, side, dict(BAD_KINDS)[kind].value, kind,
                                           f"{kind} at strike {ln['fields'][11]}"))
            write_text(out_dir / rel, text)
            files.append(str(out_dir / rel))

    iq = np.arange(len(q["t"]))
    qdates = np.array(quote_dates, dtype=object)
    edates = np.array([e.date for e in expiries], dtype=object)
    write_parquet(out_dir / "truth" / "chain_quotes.parquet", {
        "quote_date": list(qdates[q["d"]]), "expiry": list(edates[q["e"]]), "strike": q["strike"],
        "right": np.where(q["is_call"], "C", "P").tolist(), "source_file": list(q_file),
        "line": q_line, "t": q["t"], "spot": q["spot"], "forward": q["forward"],
        "discount": q["discount"], "bid": m["bid"][iq], "ask": m["ask"][iq], "bad_kind": list(q_bad),
        **{k: m[k] for k in ("vol_true", "price_true", "vol_noisy", "mid_noisy", "half_spread")},
    }, QUOTES_SCHEMA)

    # One slice per (date, expiry).
    sl = {k: [] for k in SLICES_SCHEMA.names}
    for d, qd in enumerate(quote_dates):
        for ei, e in enumerate(expiries):
            t = float(years[d, ei])
            theta = float(ssvi_theta(t, c["atm_vol_short"], c["atm_vol_long"], c["atm_vol_timescale"]))
            phi = float(ssvi_phi(theta, c["ssvi_eta"], c["ssvi_gamma"]))
            svi = raw_svi(theta, phi, c["ssvi_rho"])
            vals = {"quote_date": qd, "expiry": e.date, "t": t, "spot": float(spots[d]),
                    "forward": float(spots[d] * math.exp((r - qy) * t)), "discount": math.exp(-r * t),
                    "atm_vol": math.sqrt(theta / t), "theta": theta, "phi": phi,
                    "ssvi_rho": c["ssvi_rho"], "ssvi_eta": c["ssvi_eta"], "ssvi_gamma": c["ssvi_gamma"],
                    **{f"svi_{k}": float(v) for k, v in svi.items()}, "n_strikes": len(grids[ei])}
            for k, v in vals.items():
                sl[k].append(v)
    write_parquet(out_dir / "truth" / "chain_slices.parquet", sl, SLICES_SCHEMA)

    derived = {"quote_dates": [d.isoformat() for d in quote_dates],
               "spots": [round(float(s), 6) for s in spots],
               "expiries": [{"date": e.date.isoformat(), "root": c["underlying"] + ("W" if e.weekly else ""),
                             "n_strikes": len(g)} for e, g in zip(expiries, grids)],
               "n_quotes": int(len(q["t"]))}
    truth = [str(out_dir / "truth" / "chain_quotes.parquet"), str(out_dir / "truth" / "chain_slices.parquet")]
    return files, truth, bad_rows, derived
