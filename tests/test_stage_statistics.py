"""The statistics stage on small hand-built tables, against pandas reference computations,
closed forms and the seeds' numbers; the positions file's error path; real WTI futures.

Tolerances: rolling statistics vs pandas 1e-10 relative (float64; the library sums each
window directly, pandas updates online: both ~1e-13 on returns), closed-form Greeks 1e-12
relative, the seeds' figures to the rounding they are printed with (stated per test).
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jaxmm.pricing import black
from jaxmm.io.errors import InputFileError
from jaxmm.stages import statistics as stage

RTOL = 1e-10
WINDOW = 5


def _dates(n, start="2024-01-01"):
    return pd.bdate_range(start, periods=n).date


def _tenor_frame(rng, source, n, tenors, skip=None, roll_every=7):
    """FUTURES_TENORS-like rows: a random walk per tenor, a new contract every ``roll_every``
    days whose settle jumps (contango) while ``log_return`` stays the contract's own."""
    rows = []
    common = rng.normal(0, 0.02, n)
    for k in tenors:
        own = rng.normal(0, 0.01, n)
        ret = common * (1.0 / k) ** 0.3 + own
        level = (80.0 + k) * np.exp(np.cumsum(ret))
        jump = np.cumsum(np.arange(n) % roll_every == 0) * 0.5       # roll jumps in the settle only
        for i, d in enumerate(_dates(n)):
            if skip and (k, i) in skip:
                continue
            rows.append({"source": source, "date": d, "tenor": k, "contract": f"C{k}_{i // roll_every}",
                         "settle": level[i] + jump[i], "log_return": np.nan if i == 0 else ret[i],
                         "rolled": i > 0 and i % roll_every == 0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tenors():
    rng = np.random.default_rng(11)
    # Source b has its own (shorter) calendar and misses tenor 12 on its day 9.
    return pd.concat([_tenor_frame(rng, "a", 40, [1, 6, 12]),
                      _tenor_frame(rng, "b", 30, [1, 6, 12], skip={(12, 9)})], ignore_index=True)


HEDGE = {"pairs": [{"front": 1, "back": 12}], "window": WINDOW, "annualisation": 252, "day_basis": "calendar",
         "summary_days": 20}


def _pandas_hedge(tenors, source, front, back, window):
    """Reference: pandas rolling std / corr on the ingest log returns of one source."""
    w = tenors[tenors["source"] == source].pivot(index="date", columns="tenor")
    rf, rb = w["log_return"][front], w["log_return"][back]
    pf, pb = w["settle"][front], w["settle"][back]
    fv = rf.rolling(window).std() * math.sqrt(252)
    bv = rb.rolling(window).std() * math.sqrt(252)
    corr = rf.rolling(window).corr(rb)
    h = corr * bv / fv * pb / pf
    return pd.DataFrame({"front_vol": fv, "back_vol": bv, "corr": corr, "h": h, "h2": h * h,
                         "front_price": pf, "back_price": pb})


def _atm(f, v, t):
    """Closed-form ATM gamma n(s/2) / (F s) and vega F sqrt(t) n(s/2), s = v sqrt(t)."""
    s = v * np.sqrt(t)
    n = np.exp(-s * s / 8) / math.sqrt(2 * math.pi)
    return n / (f * s), f * np.sqrt(t) * n


def test_hedge_ratios_match_pandas_and_closed_forms(tenors):
    out = stage.hedge_ratios(tenors, HEDGE)
    assert set(out["pair"]) == {"M1/M12"} and len(out) == 40 + 30     # each source on its own dates
    for source in ("a", "b"):
        got = out[out["source"] == source].set_index("date")
        want = _pandas_hedge(tenors, source, 1, 12, WINDOW).reindex(got.index)
        for col in want:
            np.testing.assert_allclose(got[col], want[col], rtol=RTOL, equal_nan=True, err_msg=f"{source} {col}")
        ok = got["status"] == "ok"
        assert ok.sum() > 15
        # Gammas and vegas: closed forms at T = 30/365 and 365/365 with realised vol.
        fg, fvega = _atm(got["front_price"], got["front_vol"], 30 / 365)
        bg, bvega = _atm(got["back_price"], got["back_vol"], 1.0)
        np.testing.assert_allclose(got.loc[ok, "front_gamma"], fg[ok], rtol=1e-12)
        np.testing.assert_allclose(got.loc[ok, "back_vega"], bvega[ok], rtol=1e-12)
        np.testing.assert_allclose(got.loc[ok, "back_gamma_front"], (bg * got["h2"])[ok], rtol=1e-12)
        contracts = fg / (bg * got["h2"])
        np.testing.assert_allclose(got.loc[ok, "gamma_neutral_contracts"], contracts[ok], rtol=1e-12)
        # The gamma-neutral leg offsets the front gamma in front terms.
        np.testing.assert_allclose((got["gamma_neutral_contracts"] * got["back_gamma_front"])[ok], fg[ok], rtol=1e-12)
        np.testing.assert_allclose(got.loc[ok, "gamma_neutral_net_vega"], (contracts * bvega - fvega)[ok], rtol=1e-12)
        np.testing.assert_allclose(got.loc[ok, "contracts_per_front"], 1 / got.loc[ok, "h"], rtol=1e-15)
    # Statuses: a window-1 warm-up (the first return is null too), the missing settle,
    # and the windows it leaves short; null statistics exactly there.
    b = out[out["source"] == "b"].reset_index(drop=True)
    assert (b.loc[:WINDOW - 1, "status"] == "few_obs").all() and b.loc[WINDOW, "status"] == "ok"
    assert b.loc[9, "status"] == "missing_price" and np.isnan(b.loc[9, "back_price"])
    assert (b.loc[10:9 + WINDOW - 1, "status"] == "few_obs").all()      # n_back = window - 1 there
    assert (b.loc[10:9 + WINDOW - 1, "n_back"] == WINDOW - 1).all()
    assert b.loc[b["status"] != "ok", "h"].isna().all() and b.loc[b["status"] == "ok", "h"].notna().all()


def test_rolls_cost_no_observation_and_never_enter_the_vol(tenors):
    """The roll jumps are in the settle only: the realised vol is that of log_return; and a
    roll date's return counts (n = window right after the warm-up)."""
    out = stage.hedge_ratios(tenors, HEDGE)
    a = out[out["source"] == "a"].reset_index(drop=True)
    assert (a.loc[WINDOW:, "n_front"] == WINDOW).all() and (a.loc[WINDOW:, "status"] == "ok").all()
    jumped = np.log(tenors.loc[(tenors["source"] == "a") & (tenors["tenor"] == 1), "settle"]).diff()
    naive = jumped.rolling(WINDOW).std().to_numpy() * math.sqrt(252)
    assert np.nanmax(np.abs(a["front_vol"].to_numpy() - naive)) > 1e-3    # the jumps would show


def test_business_day_basis_and_option_days(tenors):
    section = {**HEDGE, "day_basis": "business", "pairs": [{"front": 1, "back": 12, "back_days": 253}],
               "days_per_year": 250}
    out = stage.hedge_ratios(tenors, section)
    assert np.allclose(out["front_t"], round(250 / 12) / 250) and np.allclose(out["back_t"], 253 / 250)
    default = stage.hedge_ratios(tenors, {**HEDGE, "day_basis": "business"})
    assert np.allclose(default["front_t"], 21 / 252) and np.allclose(default["back_t"], 252 / 252)


def test_hedge_summary_latest_mean_min_max(tenors):
    out = stage.hedge_ratios(tenors, HEDGE)
    summary = stage.hedge_summary(out, HEDGE["summary_days"])
    ok = out[(out["status"] == "ok") & (out["source"] == "a")].copy()
    ok["date"] = pd.to_datetime(ok["date"])
    recent = ok[ok["date"] > ok["date"].max() - pd.Timedelta(days=20)]
    for stat in ("h", "h2", "gamma_neutral_contracts", "corr"):
        row = summary[(summary["source"] == "a") & (summary["statistic"] == stat)].iloc[0]
        assert row["latest"] == recent[stat].iloc[-1] and row["n_obs"] == len(recent)
        np.testing.assert_allclose([row["mean"], row["min"], row["max"]],
                                   [recent[stat].mean(), recent[stat].min(), recent[stat].max()], rtol=1e-14)
    assert set(summary["statistic"]) == set(stage.HEDGE_STATISTICS)


# --------------------------------------------------------------------------- positions

def _write(tmp_path, text, name="book.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_portfolio_risk_against_hand_computed_greeks(tenors, tmp_path):
    path = _write(tmp_path, "tenor,instrument,right,strike,quantity,vol,days,price,h\n"
                            "1,option,C,atm,-10,,,,\n"
                            "1,future,,,3,,,,\n"
                            "12,option,P,80,25,0.4,200,,\n"
                            "12,future,,,-4,,,,\n"
                            "6,option,call,90,5,,,95,0.5\n")
    book = stage.read_positions(path)
    hedge = stage.hedge_ratios(tenors[tenors["source"] == "a"], HEDGE, [(1, 6), (1, 12)])
    risk = stage.portfolio_risk(book, hedge, tenors[tenors["source"] == "a"], HEDGE, None)
    day = risk["date"].iloc[0]
    assert day == max(tenors["date"])
    today = hedge[hedge["date"] == day].set_index("back_tenor")
    f1, f12, v1 = today.loc[12, "front_price"], today.loc[12, "back_price"], today.loc[12, "front_vol"]
    v6 = today.loc[6, "back_vol"]
    legs = [  # tenor, forward, strike, t, vol, is_call, quantity
        (1, f1, f1, 30 / 365, v1, True, -10.0), (12, f12, 80.0, 200 / 365, 0.4, False, 25.0),
        (6, 95.0, 90.0, round(6 * 365 / 12) / 365, v6, True, 5.0)]
    want = {k: dict(delta=0.0, gamma=0.0, vega=0.0, theta=0.0) for k in (1, 6, 12)}
    for k, f, strike, t, v, call, q in legs:
        want[k]["delta"] += q * float(black.delta(f, strike, t, v, call))
        want[k]["gamma"] += q * float(black.gamma(f, strike, t, v))
        want[k]["vega"] += q * float(black.vega(f, strike, t, v))
        want[k]["theta"] += q * float(black.theta(f, strike, t, v))
    want[1]["delta"] += 3.0
    want[12]["delta"] -= 4.0
    h = {1: 1.0, 6: 0.5, 12: today.loc[12, "h"]}
    by = risk[risk["level"] == "tenor"].set_index("tenor")
    assert list(by["h_source"]) == ["front", "positions_file", "hedge_ratios"]
    for k in (1, 6, 12):
        for g in ("delta", "gamma", "vega", "theta"):
            np.testing.assert_allclose(by.loc[k, g], want[k][g], rtol=1e-12, err_msg=f"{k} {g}")
        np.testing.assert_allclose(by.loc[k, "front_delta"], h[k] * want[k]["delta"], rtol=1e-12)
        np.testing.assert_allclose(by.loc[k, "front_gamma"], h[k] ** 2 * want[k]["gamma"], rtol=1e-12)
    total = risk[risk["level"] == "total"].iloc[0]
    for g in ("delta", "front_delta", "gamma", "front_gamma", "vega", "theta"):
        np.testing.assert_allclose(total[g], by[g].sum(), rtol=1e-12)
    assert total["n_positions"] == 5


def test_ice_multiplier_example_is_delta_flat(tenors, tmp_path):
    """Seed 001: with M12's hedge ratio at 0.5, long 100 M1 / short 200 M12 is delta-flat."""
    path = _write(tmp_path, "tenor,instrument,quantity,h\n1,future,100,\n12,future,-200,0.5\n")
    book = stage.read_positions(path)
    a = tenors[tenors["source"] == "a"]
    risk = stage.portfolio_risk(book, stage.hedge_ratios(a, HEDGE, [(1, 12)]), a, HEDGE, None)
    total = risk[risk["level"] == "total"].iloc[0]
    assert total["delta"] == -100.0 and total["front_delta"] == 0.0 and total["gamma"] == 0.0


BAD_BOOKS = [  # file text, line, column, words of the expectation
    ("tenor,instrument,quantity\n1,future,1\nx,future,1\n", 3, "tenor", "tenor number"),
    ("tenor,instrument,quantity\n0,future,1\n", 2, "tenor", "tenor number"),
    ("tenor,instrument,quantity\n1,swap,1\n", 2, "instrument", "'option' or 'future'"),
    ("tenor,instrument,quantity\n1,future,\n", 2, "quantity", "signed number"),
    ("tenor,instrument,right,strike,quantity\n1,option,X,atm,1\n", 2, "right", "'C' or 'P'"),
    ("tenor,instrument,right,strike,quantity\n1,option,C,-5,1\n", 2, "strike", "strike > 0"),
    ("tenor,instrument,right,strike,quantity\n1,option,C,,1\n", 2, "strike", "strike > 0"),
    ("tenor,instrument,right,strike,quantity\n1,future,C,,1\n", 2, "right", "empty right for a future"),
    ("tenor,instrument,right,strike,quantity,vol\n1,option,C,atm,1,-0.2\n", 2, "vol", "vol > 0"),
    ("tenor,instrument,quantity,h\n12,future,1,0.5\n12,future,1,0.6\n", 3, "h", "one h per tenor"),
    ("tenor,instrument\n1,future\n", 1, "quantity", "a column named 'quantity'"),
]


@pytest.mark.parametrize("text, line, column, expected", BAD_BOOKS)
def test_bad_positions_name_file_line_column_and_expectation(tmp_path, text, line, column, expected):
    path = _write(tmp_path, text)
    with pytest.raises(InputFileError) as err:
        stage.read_positions(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: column {column!r}:") and expected in msg


def test_positions_tenor_not_in_the_futures_data(tenors, tmp_path):
    path = _write(tmp_path, "tenor,instrument,quantity\n1,future,1\n7,future,1\n")
    a = tenors[tenors["source"] == "a"]
    with pytest.raises(InputFileError, match=r"book.csv:3: column 'tenor': expected a tenor of futures source"):
        stage.portfolio_risk(stage.read_positions(path), stage.hedge_ratios(a, HEDGE, [(1, 7)]), a, HEDGE, None)


def test_example_positions_file_parses(repo):
    book = stage.read_positions(repo / "data" / "positions_example.csv")
    assert len(book) > 4 and set(book["instrument"]) == {"option", "future"}


# --------------------------------------------------------------------------- daily series

def _daily(rng, n=120):
    """Long daily table: spot and a vol index (points) on one calendar, a second index on
    a calendar missing some days, two ETFs."""
    d = _dates(n)
    spot = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    vix = 20 * np.exp(np.cumsum(-3 * np.diff(np.log(spot), prepend=np.log(spot[0])) + rng.normal(0, 0.02, n)))
    frames = [pd.DataFrame({"source": "s", "date": d, "field": "spot", "value": spot}),
              pd.DataFrame({"source": "s", "date": d, "field": "vix", "value": vix}),
              pd.DataFrame({"source": "v2", "date": d[::2], "field": "vol", "value": vix[::2] / 100})]
    for name, scale in (("a", 1.0), ("b", 0.5)):
        nav = scale * spot
        price = nav * (1 + rng.normal(0.001, 0.002, n))
        frames += [pd.DataFrame({"source": "etf", "date": d, "field": f"{name}_price", "value": price}),
                   pd.DataFrame({"source": "etf", "date": d[5:], "field": f"{name}_nav", "value": nav[5:]})
                   if name == "b" else pd.DataFrame({"source": "etf", "date": d, "field": f"{name}_nav", "value": nav})]
    return pd.concat(frames, ignore_index=True)


SERIES = [{"name": "idx", "spot": {"source": "s", "field": "spot"}, "vol": {"source": "s", "field": "vix"},
           "vol_unit": "points"},
          {"name": "sparse", "spot": {"source": "s", "field": "spot"}, "vol": {"source": "v2", "field": "vol"},
           "vol_unit": "decimal"}]


def _pair(daily, spot, vol, scale):
    s = daily[(daily["source"] == spot[0]) & (daily["field"] == spot[1])].set_index("date")["value"]
    v = daily[(daily["source"] == vol[0]) & (daily["field"] == vol[1])].set_index("date")["value"] * scale
    both = pd.concat([s.rename("spot"), v.rename("vol")], axis=1, join="inner").sort_index()
    return both


def test_vol_beta_matches_pandas_rolling_ols():
    daily = _daily(np.random.default_rng(3))
    out = stage.vol_beta(stage.vol_frame(daily, SERIES), {"window": 20, "changes": "log"})
    for name, vol, scale in (("idx", ("s", "vix"), 0.01), ("sparse", ("v2", "vol"), 1.0)):
        p = _pair(daily, ("s", "spot"), vol, scale)      # the sparse one on every other date
        r, dv = np.log(p["spot"]).diff(), np.log(p["vol"]).diff()
        slope = dv.rolling(20).cov(r) / r.rolling(20).var()
        resid_var = (dv.rolling(20).var() - slope**2 * r.rolling(20).var()) * 19 / 18
        se = np.sqrt(resid_var / (r.rolling(20).var() * 19))
        got = out[out["series"] == name].set_index("date")
        assert len(got) == len(p)
        np.testing.assert_allclose(got["slope"], slope, rtol=RTOL, equal_nan=True)
        np.testing.assert_allclose(got["slope_se"], se, rtol=1e-8, equal_nan=True)
        np.testing.assert_allclose(got["corr"], dv.rolling(20).corr(r), rtol=RTOL, equal_nan=True)
        assert (got["status"].iloc[:20] == "few_obs").all() and (got["status"].iloc[20:] == "ok").all()
    idx = out[(out["series"] == "idx") & (out["status"] == "ok")]
    assert abs(idx["slope"].mean() + 3) < 0.5        # the series was built with a -3 slope (+ noise)
    points = stage.vol_beta(stage.vol_frame(daily, SERIES[:1]), {"window": 20, "changes": "points"})
    p = _pair(daily, ("s", "spot"), ("s", "vix"), 0.01)
    r, dv = np.log(p["spot"]).diff(), 100 * p["vol"].diff()
    np.testing.assert_allclose(points["slope"], (dv.rolling(20).cov(r) / r.rolling(20).var()).to_numpy(),
                               rtol=1e-9, equal_nan=True)


def test_vol_premium_index_and_chain_rows():
    daily = _daily(np.random.default_rng(4))
    frame = stage.vol_frame(daily, SERIES[:1])
    day = _dates(120)[60]
    forwards = pd.DataFrame({"source": "chain", "root": "X",
                             "quote_date": [day, day, _dates(120)[-1] + pd.Timedelta(days=30)],
                             "expiry": [day + pd.Timedelta(days=30), day + pd.Timedelta(days=90), day],
                             "t": [30 / 365, 90 / 365, 0.1], "atm_iv": [0.22, 0.25, 0.3]})
    section = {"window": 21, "annualisation": 252, "chains": [{"chain_source": "chain",
                                                                 "spot": {"source": "s", "field": "spot"}}]}
    out = stage.vol_premium(frame, forwards, daily, section)
    p = _pair(daily, ("s", "spot"), ("s", "vix"), 0.01)
    rv = np.log(p["spot"]).diff().rolling(21).std() * math.sqrt(252)
    idx = out[out["kind"] == "index"].set_index("date")
    np.testing.assert_allclose(idx["realised_vol"], rv, rtol=RTOL, equal_nan=True)
    np.testing.assert_allclose(idx["premium"], p["vol"] - rv, rtol=RTOL, equal_nan=True)
    np.testing.assert_allclose(idx["premium_forward"].iloc[:-21], (p["vol"] - rv.shift(-21)).iloc[:-21], rtol=RTOL,
                               equal_nan=True)
    assert idx["premium_forward"].iloc[-21:].isna().all()
    chain = out[out["kind"] == "chain_atm"].reset_index(drop=True)
    np.testing.assert_allclose(chain.loc[:1, "realised_vol"], rv.loc[day], rtol=RTOL)
    np.testing.assert_allclose(chain.loc[:1, "premium"], np.array([0.22, 0.25]) - rv.loc[day], rtol=RTOL)
    assert list(chain["status"]) == ["ok", "ok", "no_spot"]     # 30 days after the last spot


def test_vol_premium_chain_atm_from_the_svi_fits():
    """The chains' ATM vol is sqrt(jw_v) of the surfaces stage's fit where the slice has one
    (iv_source 'svi'), the implied-vol stage's interpolated atm_iv elsewhere, or everywhere
    with statistics.vol_premium.atm_iv 'interpolated' (exact: no arithmetic but the sqrt)."""
    daily = _daily(np.random.default_rng(4))
    frame = stage.vol_frame(daily, SERIES[:1])
    day = _dates(120)[60]
    expiries = [day + pd.Timedelta(days=30), day + pd.Timedelta(days=90)]
    forwards = pd.DataFrame({"source": "chain", "underlying": "U", "root": "X", "quote_date": [day, day],
                             "expiry": expiries, "t": [30 / 365, 90 / 365], "atm_iv": [0.22, 0.25]})
    svi = pd.DataFrame({"source": ["chain"], "underlying": ["U"], "root": ["X"], "quote_date": [day],
                        "expiry": [expiries[0]], "jw_v": [0.0576]})
    section = {"window": 21, "annualisation": 252, "chains": [{"chain_source": "chain",
                                                                 "spot": {"source": "s", "field": "spot"}}]}
    chain = stage.vol_premium(frame, forwards, daily, section, svi)
    chain = chain[chain["kind"] == "chain_atm"].reset_index(drop=True)
    assert list(chain["iv_source"]) == ["svi", "interpolated"]
    np.testing.assert_allclose(chain["implied_vol"], [0.24, 0.25], rtol=1e-15)
    np.testing.assert_allclose(chain["premium"], chain["implied_vol"] - chain["realised_vol"], rtol=1e-15)
    plain = stage.vol_premium(frame, forwards, daily, {**section, "atm_iv": "interpolated"}, svi)
    plain = plain[plain["kind"] == "chain_atm"]
    assert list(plain["iv_source"]) == ["interpolated", "interpolated"]
    np.testing.assert_allclose(plain["implied_vol"], [0.22, 0.25], rtol=1e-15)
    index = stage.vol_premium(frame, forwards, daily, section, svi)
    assert (index.loc[index["kind"] == "index", "iv_source"] == "index").all()


def test_missing_daily_series_names_the_config_key():
    daily = _daily(np.random.default_rng(5))
    bad = [{**SERIES[0], "vol": {"source": "s", "field": "VIX9D"}}]
    with pytest.raises(ValueError, match=r"statistics.vol_series\[0\].vol: no daily series s:VIX9D"):
        stage.vol_frame(daily, bad)


def test_etf_premium_zscore_and_spread_match_pandas():
    daily = _daily(np.random.default_rng(6))
    section = {"window": 20, "funds": [{"name": "a", "source": "etf", "price": "a_price", "nav": "a_nav"},
                                       {"name": "b", "source": "etf", "price": "b_price", "nav": "b_nav"}],
               "spreads": [["a", "b"]]}
    out = stage.etf_premium(daily, section)

    def prem(name):
        p = _pair(daily, ("etf", f"{name}_price"), ("etf", f"{name}_nav"), 1.0)
        return p["spot"] / p["vol"] - 1

    def z(s):
        return (s - s.rolling(20).mean()) / s.rolling(20).std()

    for name in ("a", "b"):
        got = out[(out["series"] == name) & (out["kind"] == "premium")].set_index("date")
        np.testing.assert_allclose(got["premium"], prem(name), rtol=1e-14)
        np.testing.assert_allclose(got["zscore"], z(prem(name)), rtol=1e-8, equal_nan=True)
    spread = pd.concat([prem("a"), prem("b")], axis=1, join="inner")
    spread = spread[0] - spread[1]
    got = out[out["kind"] == "spread"].set_index("date")
    assert len(got) == len(spread) == 115                       # b's NAV starts on day 5
    np.testing.assert_allclose(got["premium"], spread, rtol=1e-14)
    np.testing.assert_allclose(got["zscore"], z(spread), rtol=1e-8, equal_nan=True)
    assert (got["status"].iloc[:19] == "few_obs").all() and (got["status"].iloc[19:] == "ok").all()
    with pytest.raises(ValueError, match=r"statistics.etf.spreads\[0\]: 'c' is not a fund name"):
        stage.etf_premium(daily, {**section, "spreads": [["a", "c"]]})


# --------------------------------------------------------------------------- chain, event vol

def test_effective_deltas_closed_form_and_the_seed_example():
    """Seed 001: SPY 695 call, ATM 12.4%, ~31 DTE: naive delta .507, .44 at a -5 slope (the
    seed prints 2 digits; closed form delta + vega sigma slope / F)."""
    strikes = np.array([680.0, 695.0, 710.0])
    t = 31 / 365
    quotes = pd.DataFrame({"source": "spy", "underlying": "SPY", "root": "SPY", "quote_date": _dates(1)[0],
                           "expiry": _dates(1)[0], "strike": np.r_[strikes, 695.0], "right": ["C", "C", "C", "P"],
                           "forward": 695.0, "discount": 1.0, "t": t, "mid_iv": [0.14, 0.124, 0.11, 0.124],
                           "quote_status": ["ok", "ok", "ok", "ok"]})
    quotes["log_moneyness"] = np.log(quotes["strike"] / 695.0)
    quotes["delta"] = np.asarray(black.delta(695.0, quotes["strike"].to_numpy(), t, quotes["mid_iv"].to_numpy(),
                                             (quotes["right"] == "C").to_numpy()))
    quotes["vega"] = np.asarray(black.vega(695.0, quotes["strike"].to_numpy(), t, quotes["mid_iv"].to_numpy()))
    out = stage.effective_deltas(quotes, {"slopes": [-5.0, -1.0, 0.0]})
    assert len(out) == 12
    want = out["delta"] + out["vega"] * out["mid_iv"] * out["slope"] / out["forward"]
    np.testing.assert_allclose(out["effective_delta"], want, rtol=1e-12)
    assert (out.loc[out["slope"] == 0, "delta_change"] == 0).all()
    atm = out[(out["strike"] == 695.0) & (out["right"] == "C")].set_index("slope")
    assert round(atm.loc[0.0, "effective_delta"], 3) == 0.507 and round(atm.loc[-5.0, "effective_delta"], 2) == 0.44
    np.testing.assert_allclose(atm.loc[-1.0, "vol_up_1pct"], 0.12276, rtol=1e-12)   # 12.4% -> 12.28%
    # Put-call: the same vega and path give the same delta shift.
    put = out[(out["right"] == "P")].set_index("slope")
    np.testing.assert_allclose(put["delta_change"], atm["delta_change"], rtol=1e-12)


def test_event_vol_reproduces_the_seed():
    """Seed 001 (DTE 26, p = 0.62, term vol 53%): a daily vol of 40.7% for a 224% event vol
    (we get 40.64%: the seed rounds up), and a 285% event vol, a 14.4% move, for a 30% daily
    vol (we get 284.5% and 14.30%: the seed's move is vol / (1.25 sqrt(251)) = 14.37%, its
    1.25 rounding sqrt(pi/2) = 1.2533). With p = 1 the move is the seed's 11.3%."""
    section = {"days_per_year": 252, "examples": [
        {"name": "daily", "term_vol": 0.53, "dte": 26, "p": 0.62, "event_vol": 2.24},
        {"name": "event", "term_vol": 0.53, "dte": 26, "p": 0.62, "daily_vol": 0.30},
        {"name": "certain", "term_vol": 0.53, "dte": 26, "p": 1.0, "daily_vol": 0.30},
        {"name": "p", "term_vol": 0.53, "dte": 26, "event_vol": 2.8452556, "daily_vol": 0.30},
        {"name": "dte", "term_vol": 0.53, "p": 0.62, "event_move": 0.1430083, "daily_vol": 0.30},
        {"name": "term", "dte": 26, "p": 0.62, "event_vol": 2.24, "daily_vol": 0.4064339},
        {"name": "impossible", "term_vol": 0.20, "dte": 26, "p": 0.62, "daily_vol": 0.30}]}
    out = stage.event_vol(section).set_index("name")
    assert list(out["solved_for"]) == ["daily_vol", "event_vol", "event_vol", "p", "dte", "term_vol", "event_vol"]
    assert round(out.loc["daily", "daily_vol"], 4) == 0.4064
    assert round(out.loc["event", "event_vol"], 3) == 2.845 and round(out.loc["event", "event_move"], 4) == 0.1430
    assert round(out.loc["certain", "event_move"], 3) == 0.113
    np.testing.assert_allclose(out.loc["p", "p"], 0.62, rtol=1e-6)
    np.testing.assert_allclose(out.loc["dte", "dte"], 26.0, rtol=1e-5)
    np.testing.assert_allclose(out.loc["term", "term_vol"], 0.53, rtol=1e-6)
    # The identity holds on every solved row.
    ok = out[out["status"] == "ok"]
    np.testing.assert_allclose(ok["term_vol"] ** 2 * ok["dte"],
                               ok["p"] * ok["event_vol"] ** 2 + (ok["dte"] - ok["p"]) * ok["daily_vol"] ** 2, rtol=1e-12)
    assert out.loc["impossible", "status"] == "no_solution" and np.isnan(out.loc["impossible", "event_vol"])
    with pytest.raises(ValueError, match=r"examples\[0\] \(x\): give all but one.*missing: p, daily_vol"):
        stage.event_vol({"examples": [{"name": "x", "term_vol": 0.5, "dte": 20, "event_vol": 1.0}]})


# --------------------------------------------------------------------------- run() and real data

def test_run_writes_every_table_with_its_schema(tenors, tmp_path, repo):
    daily = _daily(np.random.default_rng(7))
    quotes = pd.DataFrame({"source": "c", "underlying": "U", "root": "X", "quote_date": _dates(1)[0],
                           "expiry": _dates(2)[1], "strike": [100.0], "right": ["C"], "forward": 101.0,
                           "discount": 0.99, "t": 0.1,
                           "log_moneyness": [math.log(100 / 101)], "mid_iv": [0.2], "delta": [0.5], "vega": [12.0],
                           "quote_status": ["ok"]})
    forwards = pd.DataFrame({"source": ["c"], "root": ["X"], "quote_date": [_dates(1)[0]], "expiry": [_dates(2)[1]],
                             "t": [0.1], "atm_iv": [0.2]})
    inputs = {}
    for name, frame in (("tenors", tenors[tenors["source"] == "a"]), ("daily", daily), ("forwards", forwards),
                        ("quotes", quotes)):
        inputs[name] = str(tmp_path / f"{name}.parquet")
        frame.to_parquet(inputs[name])
    book = _write(tmp_path, "tenor,instrument,right,strike,quantity\n1,option,C,atm,1\n12,future,,,-1\n")
    section = {"hedge": HEDGE, "positions": {"path": str(book)}, "vol_series": SERIES,
               "vol_beta": {"window": 20}, "vol_premium": {"window": 21, "chains": []},
               "effective_deltas": {"slopes": [-2.0, 0.0]},
               "event_vol": {"examples": [{"name": "e", "term_vol": 0.5, "dte": 20, "p": 1, "daily_vol": 0.3}]},
               "etf": {"window": 20, "funds": [{"name": "a", "source": "etf", "price": "a_price", "nav": "a_nav"}]}}
    outputs = {name: str(tmp_path / f"{name}.parquet") for name in stage.TABLES}
    stage.run(inputs, outputs, {"section": section})
    for name, schema in stage.TABLES.items():
        table = pq.read_table(outputs[name])
        assert table.schema.equals(schema, check_metadata=False), name
        assert table.num_rows > 0, name


def _risktools_wide():
    """CL01..CL36 WTI settlements shipped by the risktools package (GPL: read in place,
    never copied into the repository); None when it is not installed. Only the data file
    is needed, so the package is located without importing it (its import pulls plotting
    and ML dependencies)."""
    spec = importlib.util.find_spec("risktools")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "dfwide.json"
    return path if path.exists() else None


def test_real_wti_m1_m12_hedge_ratios(tmp_path):
    """Real WTI continuous futures (risktools' dfwide: CL01..CL36, 2007-2023) through the wide
    reader and the hedge-ratio table; checked against the pandas reference. A wide curve has
    no contract identity, so roll-date returns (a month of curve shape) stay in: an
    approximation the README states. Prints the M1/M12 h / h2 summary."""
    src = _risktools_wide()
    if src is None:
        pytest.skip("risktools (GPL, dev-only) is not installed: pip install risktools")
    from jaxmm.io.futures import read_wide_curve

    wide = pd.read_json(src)
    cols = ["date"] + [f"CL{i:02d}" for i in range(1, 37)]
    csv = tmp_path / "cl.csv"
    wide[cols].assign(date=pd.to_datetime(wide["date"]).dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    result = read_wide_curve([csv], "wti")
    tenors = result.table.to_pandas()
    assert tenors["tenor"].max() == 36
    section = {**HEDGE, "window": 20, "summary_days": 365}
    out = stage.hedge_ratios(tenors, section)
    # The wide reader drops the 2020-04-20 negative settle: returns across it are null.
    ref = _pandas_hedge(tenors, "wti", 1, 12, 20).reindex(out.set_index("date").index)
    got = out.set_index("date")
    for col in ("front_vol", "back_vol", "corr", "h", "h2"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-9, equal_nan=True, err_msg=col)
    ok = got[got["status"] == "ok"]
    assert len(ok) > 3500 and (ok["corr"].median() > 0.8) and 0.2 < ok["h"].median() < 1.5
    summary = stage.hedge_summary(out, 365)
    table = summary[summary["statistic"].isin(["front_vol", "back_vol", "corr", "beta", "price_ratio", "h", "h2",
                                               "contracts_per_front", "gamma_neutral_contracts"])]
    print("\nWTI M1/M12 (risktools dfwide), 20-day window, last 365 days:\n"
          + table[["statistic", "latest_date", "latest", "mean", "min", "max", "n_obs"]].to_string(index=False))
