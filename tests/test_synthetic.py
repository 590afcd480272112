"""Synthetic data (jaxmm.synthetic): determinism, formats, and that the data carry the
ground truth they claim (no-arbitrage surface, martingale futures, vol regime, spot-vol
correlation, ETF premium AR(1), prediction-market overreaction)."""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import json
import math
import re
from pathlib import Path

import jax
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from jaxmm.pricing import black
from jaxmm.synthetic import DEFAULTS, futures as fut, generate, resolve
from jaxmm.synthetic import calendar as cal
from jaxmm.synthetic._util import rng_from
from jaxmm.synthetic.chains import HEADER, svi_w, ssvi_phi, ssvi_theta, ssvi_w
from jaxmm.synthetic.config import schema_fragment_yaml


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("synthetic")
    generate({}, d)
    return d


@pytest.fixture(scope="module")
def bad(out) -> list[dict]:
    return list(csv.DictReader(open(out / "truth" / "bad_rows.csv")))


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text().splitlines()))


def _settlements(out: Path, bad) -> dict:
    """Clean settlement rows (bad lines dropped) as columns."""
    bad_lines = {int(b["line"]) for b in bad if b["dataset"] == "futures"}
    rows = [r for i, r in enumerate(_read(out / "futures" / "settlements.csv")[1:], start=2)
            if i not in bad_lines]
    return {"date": np.array([r[0] for r in rows], "datetime64[D]"), "contract": np.array([r[1] for r in rows]),
            "expiry": np.array([r[2] for r in rows], "datetime64[D]"), "settle": np.array([float(r[3]) for r in rows])}


# --------------------------------------------------------------------------- API, config

def test_deterministic_byte_identical(out, tmp_path):
    again = tmp_path / "again"
    written = generate({"seed": DEFAULTS["seed"]}, again)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert filecmp.cmp(out / rel, again / rel, shallow=False), rel
    assert set(written) == {"chains", "futures", "daily", "truth"}
    assert len(written["chains"]) == 12 and all(Path(p).exists() for v in written.values() for p in v)


def test_other_seed_changes_data_and_sections_are_independent(out, tmp_path):
    # A chains-only change leaves futures and daily bytes unchanged (own random streams).
    generate({"chains": {"n_quote_dates": 1, "strikes_per_expiry": 40}, "daily": {"end": "2023-03-31"}}, tmp_path)
    assert filecmp.cmp(out / "futures" / "settlements.csv", tmp_path / "futures" / "settlements.csv", shallow=False)
    assert (tmp_path / "daily" / "spot_vol.csv").read_text() in (out / "daily" / "spot_vol.csv").read_text()


@pytest.mark.parametrize("cfg, key", [
    ({"chains": {"strikes_per_expirry": 50}}, "synthetic.chains.strikes_per_expirry"),
    ({"bogus": 1}, "synthetic.bogus"),
    ({"daily": {"etf_a": {"phi": 0.5}}}, "synthetic.daily.etf_a.phi"),
    ({"futures": {"n_listed": 5}}, "synthetic.futures.n_listed"),
    ({"futures": {"kappa": "fast"}}, "synthetic.futures.kappa"),
    ({"chains": {"ssvi_eta": 1.5, "ssvi_rho": -0.7}}, "synthetic.chains.ssvi_eta"),
])
def test_config_errors_name_the_key(cfg, key):
    with pytest.raises(ValueError, match=re.escape(key)):
        resolve(cfg)


def test_config_overrides_and_schema_fragment(repo):
    c = resolve({"seed": 7, "chains": {"spot0": 5000}, "futures": {"start": dt.date(2024, 5, 1)}})
    assert c["seed"] == 7 and c["chains"]["spot0"] == 5000.0 and c["futures"]["start"] == dt.date(2024, 5, 1)
    assert c["chains"]["rate"] == DEFAULTS["chains"]["rate"]
    # The committed fragment is generated from SPEC (python -m jaxmm.synthetic --schema).
    path = repo / "workflow" / "schemas" / "synthetic.fragment.yaml"
    assert path.read_text() == schema_fragment_yaml()
    jsonschema = pytest.importorskip("jsonschema")
    schema = yaml.safe_load(path.read_text())["synthetic"]
    jsonschema.validate({"seed": 1, "chains": {"n_quote_dates": 2}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"chains": {"bogus": 1}}, schema)


# --------------------------------------------------------------------------- chains

def test_cboe_file_structure(out):
    files = sorted((out / "chains").glob("*.csv"))
    assert len(files) == 12
    assert {f.name.rsplit("_", 1)[0] for f in files} == {"SPX_20251001", "SPX_20251002", "SPX_20251003"}
    for f in files:
        lines = f.read_text().split("\n")
        assert lines[0] == "" and lines[-1] == ""   # leading blank line and final LF, as CBOE
        assert re.fullmatch(r"S&P 500 INDEX,Last: \d+\.\d{4},Change: [ -]\d+\.\d{4}", lines[1])
        assert re.fullmatch(r'"Date: [A-Z][a-z]+ \d{1,2}, 2025 at 6:\d\d PM EDT",Bid: [\d.]+,Ask: [\d.]+,'
                            r"Size: 1\*1,Volume: 0", lines[2])
        assert lines[3] == HEADER
        for row in csv.reader(lines[4:-1]):
            assert len(row) == 22
            day = dt.datetime.strptime(row[0], "%a %b %d %Y").date()
            assert day.strftime("%a %b %d %Y") == row[0]
            assert re.fullmatch(r"\d+\.\d\d", row[11])
            assert re.fullmatch(rf"SPXW?{day:%y%m%d}C\d{{8}}", row[1])
            assert re.fullmatch(rf"SPXW?{day:%y%m%d}P\d{{8}}", row[12])


def test_expiries_and_strike_grids(out):
    sl = pq.read_table(out / "truth" / "chain_slices.parquet").to_pandas()
    first = sl[sl.quote_date == sl.quote_date.min()]
    assert 8 <= len(first) <= 12 and first.t.min() < 14 / 365 and 1.5 < first.t.max() <= 2.0
    assert (first.n_strikes.between(40, 120)).all()
    # Expiries are NYSE trading days; Juneteenth moves June 2026 to Thursday the 18th.
    assert all(cal.is_nyse_day(d) for d in first.expiry)
    assert dt.date(2026, 6, 18) in set(first.expiry)
    q = pq.read_table(out / "truth" / "chain_quotes.parquet").to_pandas()
    for _, g in q[q.quote_date == q.quote_date.min()].groupby("expiry"):
        k = np.log(g.strike / g.forward)
        sd = k / (g.vol_true * np.sqrt(g.t)).min()
        assert sd.min() < -3 and sd.max() > 2.5   # ~ +-4 ATM sds (skew widens the put side)
        assert (g.strike % 5 == 0).all()


def _data_quotes(out: Path) -> dict:
    """(file, line, right) -> (bid text, ask text) for every data line in the chain files."""
    quotes = {}
    for f in sorted((out / "chains").glob("*.csv")):
        rel = f"chains/{f.name}"
        for line_no, row in enumerate(csv.reader(f.read_text().split("\n")[4:-1]), start=5):
            quotes[(rel, line_no, "C")] = (row[4], row[5])
            quotes[(rel, line_no, "P")] = (row[15], row[16])
    return quotes


def test_mid_inside_bid_ask_except_bad_rows(out, bad):
    quotes = _data_quotes(out)
    bad_keys = {(b["file"], int(b["line"]), b["side"]) for b in bad if b["dataset"] == "chains"}
    assert bad_keys <= set(quotes)
    t = pq.read_table(out / "truth" / "chain_quotes.parquet").to_pandas()
    assert len(t) + 2 * 2 * 3 == len(quotes)   # + a duplicate and a strike-0 line (2 quotes) per snapshot
    n_checked = 0
    for r in t.itertuples():
        key = (r.source_file, r.line, r.right)
        bid_s, ask_s = quotes[key]
        if key in bad_keys:
            assert r.bad_kind is not None
            continue
        bid, ask = float(bid_s), float(ask_s)
        assert (bid, ask) == (r.bid, r.ask)
        assert 0 <= bid <= r.mid_noisy <= ask and ask > 0
        assert bid <= r.price_true <= ask
        n_checked += 1
    assert n_checked == len(t) - 12
    # Deep OTM: bid 0, ask one tick.
    assert ((t.bid == 0) & (t.ask == 0.05)).sum() > 20


def test_bad_rows_one_of_each_kind_per_snapshot(bad):
    chains = [b for b in bad if b["dataset"] == "chains"]
    for date in ("20251001", "20251002", "20251003"):
        kinds = sorted({b["kind"] for b in chains if f"_{date}_" in b["file"]})
        assert kinds == sorted(["crossed_quote", "negative_bid", "zero_ask", "non_numeric_bid",
                                "duplicate_line", "zero_strike"])
    reasons = {b["kind"]: b["reason"] for b in bad}
    assert reasons["crossed_quote"] == "crossed_quote" and reasons["zero_strike"] == "nonpositive_strike"
    assert sorted(b["kind"] for b in bad if b["dataset"] == "futures") == sorted(
        ["negative_settle", "non_numeric_settle", "bad_date", "duplicate_row", "inconsistent_expiry"])


def _implied_vol(price, forward, strike, t, is_call, discount, iters=100):
    """Vectorised bisection on [1e-4, 5] using jaxmm.pricing.black.price (|error| < 5 / 2^100)."""
    lo, hi = np.full_like(price, 1e-4), np.full_like(price, 5.0)
    px = jax.jit(black.price)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = np.asarray(px(forward, strike, t, mid, is_call, discount)) > price
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def test_bid_ask_ivs_bracket_the_true_vol(out):
    t = pq.read_table(out / "truth" / "chain_quotes.parquet").to_pandas()
    t = t[t.bad_kind.isna()]
    F, K, T, D = (t[c].to_numpy() for c in ("forward", "strike", "t", "discount"))
    is_call = (t.right == "C").to_numpy()
    intrinsic = D * np.where(is_call, np.maximum(F - K, 0), np.maximum(K - F, 0))
    upper = D * np.where(is_call, F, K)
    lo_px = np.asarray(black.price(F, K, T, 1e-4, is_call, D))
    hi_px = np.asarray(black.price(F, K, T, 5.0, is_call, D))
    bid, ask, vol = t.bid.to_numpy(), t.ask.to_numpy(), t.vol_true.to_numpy()
    tol = 1e-6   # vol units; bisection error is ~1e-30, price rounding is outward (bid down, ask up)
    has_bid = (bid > lo_px) & (bid > intrinsic)         # bid above the vol-floor price: an IV exists
    iv_bid = _implied_vol(bid[has_bid], F[has_bid], K[has_bid], T[has_bid], is_call[has_bid], D[has_bid])
    assert has_bid.sum() > 0.5 * len(t)
    assert np.all(iv_bid <= vol[has_bid] + tol)
    has_ask = (ask < hi_px) & (ask < upper)
    iv_ask = _implied_vol(ask[has_ask], F[has_ask], K[has_ask], T[has_ask], is_call[has_ask], D[has_ask])
    assert has_ask.sum() > 0.9 * len(t)
    assert np.all(iv_ask >= vol[has_ask] - tol)
    # Near the money, beyond 2 months, the half spread is 0.3-1.5 vol points (plus ticks).
    iv_b, iv_a = np.full(len(t), np.nan), np.full(len(t), np.nan)
    iv_b[has_bid], iv_a[has_ask] = iv_bid, iv_ask
    atm = has_bid & has_ask & (np.abs(np.log(K / F)) < 0.03) & (T > 0.2)
    half = (iv_a[atm] - iv_b[atm]) / 2
    assert atm.sum() > 20 and half.min() >= 0.003 - tol and half.max() < 0.015 + 0.002


def test_ssvi_truth_is_arbitrage_free(out):
    sl = pq.read_table(out / "truth" / "chain_slices.parquet").to_pandas()
    rho, eta, gam = sl.ssvi_rho.iloc[0], sl.ssvi_eta.iloc[0], sl.ssvi_gamma.iloc[0]
    assert rho < 0 and eta * (1 + abs(rho)) <= 2 and 0 < gam <= 0.5
    k = np.linspace(-1.5, 1.0, 2001)
    for _, g in sl.groupby("quote_date"):
        g = g.sort_values("t")
        assert np.all(np.diff(g.theta) > 0)            # ATM total variance increasing in t
        w = np.array([ssvi_w(k, r.theta, r.phi, rho) for r in g.itertuples()])
        assert np.all(np.diff(w, axis=0) >= -1e-14)     # no calendar arbitrage on the grid
        for r, wk in zip(g.itertuples(), w):
            # raw SVI parameters reproduce the slice
            np.testing.assert_allclose(svi_w(k, r.svi_a, r.svi_b, r.svi_rho, r.svi_m, r.svi_sigma), wk,
                                       rtol=1e-12, atol=1e-15)
            assert r.phi == pytest.approx(float(ssvi_phi(r.theta, eta, gam)), rel=1e-12)
            # Durrleman's g(k) >= 0: no butterfly arbitrage (finite differences on the grid)
            h = k[1] - k[0]
            w1 = np.gradient(wk, h)
            w2 = np.gradient(w1, h)
            gk = (1 - k * w1 / (2 * wk)) ** 2 - w1**2 / 4 * (1 / wk + 0.25) + w2 / 2
            assert gk[2:-2].min() > 0
    assert ssvi_theta(np.array([0.1, 1.0]), 0.12, 0.2, 1.0)[1] > 0


# --------------------------------------------------------------------------- futures

def test_settlements_calendar_and_listing(out, bad):
    s = _settlements(out, bad)
    assert np.all(np.is_busday(s["date"]))
    assert np.all(s["expiry"] >= s["date"])
    expiries = {}
    for c, e in zip(s["contract"], s["expiry"]):
        expiries.setdefault(c, set()).add(e)
    assert all(len(v) == 1 for v in expiries.values())
    for c, (e,) in expiries.items():
        assert re.fullmatch(r"CL[FGHJKMNQUVXZ]\d\d", c)
        assert e == np.datetime64(cal.wti_expiry(2000 + int(c[3:]), cal.MONTH_CODES.index(c[2]) + 1))
    _, counts = np.unique(s["date"], return_counts=True)
    assert np.median(counts) == 15
    assert cal.wti_expiry(2024, 5) == dt.date(2024, 4, 22)   # CLK24's actual last trading day


def test_futures_are_martingales_monte_carlo():
    f = resolve({})["futures"]
    dates = cal.business_days(f["start"], f["end"])
    codes, expiries, months = fut.contract_universe(f, dates)
    sig = fut.sigma_chi_path(f, dates)
    chi, xi = fut.simulate_factors(rng_from(np.random.SeedSequence(1)), 4000, sig, f)
    tau, season, cvx = fut.curve_terms(f, dates, expiries, months, sig)
    pick = [i for i, e in enumerate(expiries) if e > dates[-1]][:12:3]   # alive to the end, M1..M12
    k = 4.0   # standard errors
    for i in pick:
        f0 = math.exp(xi[0, 0] + math.exp(-f["kappa"] * tau[0, i]) * chi[0, 0] + season[i] + cvx[0, i])
        f_end = np.exp(xi[:, -1] + np.exp(-f["kappa"] * tau[-1, i]) * chi[:, -1] + season[i] + cvx[-1, i])
        ratio = f_end / f0
        assert abs(ratio.mean() - 1) < k * ratio.std() / math.sqrt(len(ratio)), codes[i]


def _tenor_returns(s: dict, n: int):
    """Log returns of the n-th nearest contract, within one contract, with their end dates."""
    dates = np.unique(s["date"])
    px = {}
    for d, c, e, v in zip(s["date"], s["contract"], s["expiry"], s["settle"]):
        px.setdefault(d, []).append((e, c, v))
    chosen = {d: sorted(px[d])[n - 1] for d in dates if len(px[d]) >= n}
    out_d, out_r = [], []
    for a, b in zip(dates[:-1], dates[1:]):
        if a in chosen and b in chosen and chosen[a][1] == chosen[b][1]:
            out_d.append(b), out_r.append(math.log(chosen[b][2] / chosen[a][2]))
    return np.array(out_d), np.array(out_r)


def test_high_vol_front_month_regime(out, bad):
    s = _settlements(out, bad)
    f = resolve({})["futures"]
    lo, hi = np.datetime64(f["regime_start"]), np.datetime64(f["regime_end"])
    vols = {}
    for n in (1, 12):
        d, r = _tenor_returns(s, n)
        inside = (d >= lo) & (d <= hi)
        vols[n] = (r[inside].std() * math.sqrt(252), r[~inside].std() * math.sqrt(252))
    assert vols[1][0] > 2 * vols[1][1] and vols[1][0] > 0.5
    assert 0.7 < vols[12][0] / vols[12][1] < 1.4 and 0.12 < vols[12][0] < 0.3
    # Drift: mean M1 daily log return + half its variance (martingale) within 4 SE of 0.
    d, r = _tenor_returns(s, 1)
    simple = np.expm1(r)
    assert abs(simple.mean()) < 4 * simple.std() / math.sqrt(len(simple))
    truth = pq.read_table(out / "truth" / "futures_truth.parquet").to_pandas()
    m1 = truth[truth.tenor == 1]
    assert m1[m1.regime].h2.mean() < 0.25 * m1[~m1.regime].h2.mean()
    assert m1[m1.regime].sigma_model.mean() > 0.6 and truth[truth.tenor == 12].sigma_model.max() < 0.25


# --------------------------------------------------------------------------- daily

def test_spot_vol_negative_correlation_and_slope(out):
    rows = _read(out / "daily" / "spot_vol.csv")
    assert rows[0] == ["date", "spot", "vol_index"]
    dates = np.array([r[0] for r in rows[1:]], "datetime64[D]")
    assert np.all(np.is_busday(dates)) and 700 < len(dates) < 800
    spot = np.array([float(r[1]) for r in rows[1:]])
    vix = np.array([float(r[2]) for r in rows[1:]])
    ret, dv = np.diff(np.log(spot)), np.diff(vix)
    assert np.corrcoef(ret, dv)[0, 1] < -0.5
    beta = np.polyfit(ret, dv, 1)[0]
    truth = pq.read_table(out / "truth" / "daily_truth.parquet").to_pandas()
    assert beta == pytest.approx(truth.spot_vol_beta.mean(), rel=0.25)
    assert -4.5 < truth.spot_vol_slope_rel.mean() < -1.5   # a "vol path" slope near -3


def test_etf_premium_ar1_recovered(out):
    rows = _read(out / "daily" / "etf.csv")
    assert rows[0] == ["date", "etf_a_price", "etf_a_nav", "etf_b_price", "etf_b_nav"]
    x = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    for name, (pc, nc) in (("etf_a", (0, 1)), ("etf_b", (2, 3))):
        p = resolve({})["daily"][name]
        prem = x[:, pc] / x[:, nc] - 1
        y, z = prem[1:], prem[:-1]
        phi, c = np.polyfit(z, y, 1)
        resid = y - (phi * z + c)
        n = len(y)
        sd_total = math.sqrt(p["premium_vol"] ** 2 + p["spike_prob"] * p["spike_size"] ** 2)
        # Stated tolerances: phi within 5 SE, mean within 5 SE, robust innovation sd within 20%
        # (MAD ignores the spikes; price rounding to $0.01 adds < 0.1 bp).
        assert abs(phi - p["premium_phi"]) < 5 * math.sqrt((1 - p["premium_phi"] ** 2) / n)
        mu = c / (1 - phi)
        assert abs(mu - p["premium_mean"]) < 5 * sd_total / (1 - p["premium_phi"]) / math.sqrt(n)
        robust_sd = 1.4826 * np.median(np.abs(resid - np.median(resid)))
        assert robust_sd == pytest.approx(p["premium_vol"], rel=0.2)
        # the two funds differ: B's premium is more persistent
    truth = pq.read_table(out / "truth" / "daily_truth.parquet").to_pandas()
    assert truth.etf_a_spike.sum() + truth.etf_b_spike.sum() > 0


def test_prediction_market(out):
    rows = _read(out / "daily" / "prediction.csv")
    assert rows[0] == ["date", "futures", "pm_price"]
    pm = np.array([float(r[2]) for r in rows[1:]])
    assert np.all((pm > 0) & (pm < 1))
    truth = pq.read_table(out / "truth" / "prediction_truth.parquet").to_pandas()
    assert np.all((truth.fair_value >= 0) & (truth.fair_value <= 1) & (truth.delta >= 0))
    p = resolve({})["daily"]["prediction"]
    # Fair value is the call spread per unit width; its delta is the finite-difference slope.
    fv = truth.fair_value.to_numpy()
    bump = 1e-4
    up = (np.asarray(black.price(truth.futures.to_numpy() + bump, p["strike"] - p["half_width"], truth.t.to_numpy(), p["vol"], True))
          - np.asarray(black.price(truth.futures.to_numpy() + bump, p["strike"] + p["half_width"], truth.t.to_numpy(), p["vol"], True))) / (2 * p["half_width"])
    np.testing.assert_allclose((up - fv) / bump, truth.delta, atol=1e-4)
    # Overreaction: the model price moves s times the fair value (exactly, before noise/rounding).
    dfair = np.diff(fv)
    dover = np.diff(truth.overreaction) - (p["persistence"] - 1) * truth.overreaction.to_numpy()[:-1]
    np.testing.assert_allclose(dover, (p["overreaction"] - 1) * dfair, atol=1e-12)


def test_params_json(out):
    params = json.loads((out / "truth" / "params.json").read_text())
    assert params["seed"] == DEFAULTS["seed"] and params["version"]
    assert set(params["config"]) == {"seed", "chains", "futures", "daily"}
    assert params["config"]["futures"]["regime_multiplier"] == DEFAULTS["futures"]["regime_multiplier"]


def test_readers_quarantine_exactly_the_bad_rows(out, bad):
    chains_io = pytest.importorskip("jaxmm.io.chains")
    futures_io = pytest.importorskip("jaxmm.io.futures")
    from collections import Counter

    expected = Counter((b["file"], int(b["line"]), b["reason"]) for b in bad)
    got = Counter()
    for res in (chains_io.read_chains([out / "chains"], "cboe", "synthetic"),
                futures_io.read_settlements([out / "futures" / "settlements.csv"], "synthetic")):
        for q in res.quarantine.rows:
            got[(Path(q.source_file).relative_to(out).as_posix(), q.line, q.reason.value)] += 1
    assert got == expected
