"""The implied-vol stage on a small synthetic chain with known truth, and on the real SPX chain.

Tolerances (synthetic chain: noisy mids inside tick-rounded quotes around an SSVI surface,
r = 4%, q = 1.3%): forwards within 3e-4 relative (USD 2 on 6700; measured ~1e-4) and
discount factors within 1e-3 (measured ~1.3e-4) of the truth.
"""

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jaxmm.io import conventions
from jaxmm.io import labels
from jaxmm.io.chains import read_chains
from jaxmm.pricing.iv import IVStatus
from jaxmm.stages import implied_vols as stage
from jaxmm.stages.implied_vols import schema as implied_vols_schema
from jaxmm.synthetic import _streams, chains as synthetic_chains, resolve

SMALL = {"chains": {"n_quote_dates": 2, "strikes_per_expiry": 40, "n_weeklies": 1, "n_monthlies": 2,
                    "max_years": 1.0}}
OUTPUTS = {"forwards": implied_vols_schema.IV_FORWARDS, "quotes": implied_vols_schema.IV_QUOTES,
           "parity_scan": implied_vols_schema.PARITY_SCAN, "summary": implied_vols_schema.IV_SUMMARY}


def read_cboe(paths, name):
    """CBOE files read as the ingest stage does: the reader, then the settlement conventions."""
    return conventions.apply(read_chains(paths, "cboe", name), {"name": name, "format": "cboe"})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Chains read back from the synthetic CBOE files (pandas), the generator's slice truth,
    and the folder holding chains.parquet and truth/."""
    out = tmp_path_factory.mktemp("synthetic")
    cfg = resolve(SMALL)
    synthetic_chains.generate(cfg["chains"], out, _streams(cfg["seed"])["chains"])
    table = read_cboe([out / "chains"], "synthetic_spx").table
    pq.write_table(table, out / "chains.parquet")
    truth = pd.read_parquet(out / "truth" / "chain_slices.parquet")
    return table.to_pandas(), truth, out


@pytest.fixture(scope="module")
def stage_run(synthetic, tmp_path_factory):
    """The stage's run() on the synthetic chain: its parquet outputs read back."""
    _, _, out = synthetic
    folder = tmp_path_factory.mktemp("iv")
    outputs = {name: str(folder / f"{name}.parquet") for name in OUTPUTS}
    stage.run({"chains": str(out / "chains.parquet")}, outputs, {"section": {}})
    return {name: pq.read_table(path) for name, path in outputs.items()}, folder


def test_outputs_follow_their_schemas(stage_run):
    tables, _ = stage_run
    for name, schema in OUTPUTS.items():
        assert tables[name].schema.equals(schema, check_metadata=False), name
    assert tables["quotes"].num_rows > 0 and tables["forwards"].num_rows > 0


def test_every_quote_is_kept_in_order(synthetic, stage_run):
    chains, _, _ = synthetic
    quotes = stage_run[0]["quotes"].to_pandas()
    assert len(quotes) == len(chains)
    for col in ("source_file", "source_line", "strike", "right", "bid", "ask"):
        assert (quotes[col].to_numpy() == chains[col].to_numpy()).all(), col


def test_forwards_and_discounts_match_the_truth(synthetic, stage_run):
    _, truth, _ = synthetic
    fw = stage_run[0]["forwards"].to_pandas()
    m = fw.merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"), validate="one_to_one")
    assert len(m) == len(truth) == len(fw)
    # The 1-2 day expiries cannot pin r (se > 1%): flagged, D from the smoothed curve of the
    # others, F refitted; from 0.1 y on, every expiry is trusted.
    trusted = m["rate_status"] == "ok"
    assert (m["forward_method"] == np.where(trusted, "regression", "regression_fixed_discount:smoothed_curve")).all()
    assert (m.loc[m["t"] < 0.01, "rate_status"] == "rate_unstable").all() and trusted[m["t"] > 0.1].all()
    assert (m.loc[~trusted, "regression_rate_se"] > 0.01).all() and (m.loc[trusted, "regression_rate_se"] <= 0.01).all()
    assert np.allclose(m.loc[trusted, "rate"], m.loc[trusted, "regression_rate"])
    assert np.max(np.abs(m["forward"] / m["forward_true"] - 1)) < 3e-4
    assert np.max(np.abs(m["discount"] - m["discount_true"])) < 1e-3
    # t runs from the as-of time (the 16:00 ET close: the files are taken at 18:0x) to the
    # settlement: SPXW (PM) 16:00 ET on expiry, SPX monthlies (AM) 09:30 ET; the generator
    # prices on that clock (DST changes included), so the two agree to rounding.
    assert set(m["root"]) == {"SPX", "SPXW"} and (m["quote_time"].dt.hour == 20).all()   # 16:00 EDT
    np.testing.assert_allclose(m["t"], m["t_true"], rtol=0, atol=1e-12)
    assert ((m["settlement_time"].dt.tz_convert("America/New_York").dt.hour == 9) == (m["root"] == "SPX")).all()
    assert np.allclose(m["rate"], -np.log(m["discount"]) / m["t"])
    assert np.max(np.abs(m["atm_iv"] - m["atm_vol"])) < 3e-3


def test_statuses_are_consistent(stage_run):
    q = stage_run[0]["quotes"].to_pandas()
    assert set(q["quote_status"]) <= {"ok", "no_bid", "no_forward", "unsolved"}
    no_bid = q["bid"] == 0
    assert (q["quote_status"] == "no_bid").eq(no_bid).all()
    assert q.loc[no_bid, ["bid_iv_status", "mid_iv_status"]].isna().all().all()
    assert q.loc[no_bid, "bid_iv"].isna().all() and q.loc[no_bid, "ask_iv_status"].notna().all()
    ok = q["quote_status"] == "ok"
    assert (q.loc[ok, "mid_iv_status"] == "ok").all() and q.loc[ok, "mid_iv"].notna().all()
    assert q.loc[ok, ["delta", "gamma", "vega", "theta"]].notna().all().all()
    unsolved = q["quote_status"] == "unsolved"
    assert (q.loc[unsolved, "mid_iv_status"] != "ok").all()
    for side in ("bid", "mid", "ask"):                    # readable labels, not codes
        assert set(q[f"{side}_iv_status"].dropna()) <= set(labels.IV_STATUS_LABELS)
    assert q.loc[~ok, ["mid_iv", "delta"]].isna().all().all()
    # Synthetic quotes: the two-sided OTM quotes all solve.
    two_sided_otm = q[q["otm"] & (q["bid"] > 0)]
    assert (two_sided_otm["quote_status"] == "ok").all()


def test_true_vol_inside_the_bid_ask_ivs(synthetic, stage_run):
    _, _, out = synthetic
    q = stage_run[0]["quotes"].to_pandas()
    truth = pd.read_parquet(out / "truth" / "chain_quotes.parquet")
    m = q.merge(truth, on=["quote_date", "expiry", "strike", "right"], suffixes=("", "_true"))
    m = m[(m["quote_status"] == "ok") & m["otm"]]
    assert len(m) > 100
    clock = np.sqrt(m["t"] / m["t_true"])     # our IVs on the truth's clock (see above)
    bid, mid, ask = (m[f"{side}_iv"] * clock for side in ("bid", "mid", "ask"))
    assert (bid <= m["vol_true"] + 1e-9).all() and (ask >= m["vol_true"] - 1e-9).all()
    # The quoted mid is the noisy mid rounded out to ticks: within half the IV spread of it.
    assert (np.abs(mid - m["vol_noisy"]) <= 0.5 * (ask - bid) + 1e-9).all()


def test_greeks_match_closed_forms(stage_run):
    """theta (jax.grad of the price) = -D F n(d1) sigma / (2 sqrt t) at fixed F, D."""
    q = stage_run[0]["quotes"].to_pandas()
    q = q[q["quote_status"] == "ok"]
    F, K, t, s, D = (q[c].to_numpy() for c in ("forward", "strike", "t", "mid_iv", "discount"))
    d1 = (np.log(F / K) + 0.5 * s * s * t) / (s * np.sqrt(t))
    density = np.exp(-0.5 * d1 * d1) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(q["theta"], -D * F * density * s / (2 * np.sqrt(t)), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(q["vega"], D * F * density * np.sqrt(t), rtol=1e-9, atol=1e-9)
    calls = (q["right"] == "C").to_numpy()
    assert ((q["delta"] > 0) == calls).all() and (q["delta"].abs() <= D + 1e-12).all()
    assert (q["gamma"] >= 0).all()


def test_summary_counts(stage_run):
    tables, _ = stage_run
    q, s = tables["quotes"].to_pandas(), tables["summary"].to_pandas()
    total = s[(s["group"] == "quotes") & (s["name"] == "rows")]["value"].sum()
    assert total == len(q)
    for side in ("bid", "mid", "ask"):
        assert s[s["group"] == f"{side}_iv_status"]["value"].sum() == len(q)
    assert s[s["group"] == "forward_method"]["value"].sum() == tables["forwards"].num_rows


def test_report_section(stage_run, tmp_path):
    tables, folder = stage_run
    inputs = {name: str(folder / f"{name}.parquet") for name in OUTPUTS}
    outputs = {"section": str(tmp_path / "s.json"), "figures": str(tmp_path / "fig")}
    stage.report(inputs, outputs, {})
    section = json.loads(Path(outputs["section"]).read_text())
    assert section["title"] == "Implied vols and forwards" and section["order"] == 20
    figures = [b for b in section["blocks"] if b["kind"] == "figure"]
    assert {Path(b["path"]).name for b in figures} == {"implied_rates.png", "term_structure.png", "smiles.png"}
    # The flagged expiries (the 1-2 day ones, rate_unstable) are tabled with their raw rate and se.
    flagged = [b for b in section["blocks"] if b["kind"] == "table" and b["caption"].startswith("Flagged expiries")]
    assert len(flagged) == 1 and "rate_unstable" in json.dumps(flagged[0])


def test_iv_status_labels_documented():
    assert labels.IV_STATUS_LABELS == tuple(s.label for s in sorted(IVStatus))
    assert [s.value for s in sorted(IVStatus)] == list(range(len(IVStatus)))      # label index = code
    assert re.findall(r"'([a-z_]+)'", implied_vols_schema.IV_STATUS_DOC) == list(labels.IV_STATUS_LABELS)


# --------------------------------------------------------------------------- variants

def test_parity_scan_finds_a_mispriced_call(synthetic):
    """A call quoted USD 20 over parity near the money tops the scan as a conversion."""
    chains, _, _ = synthetic
    chains = chains.copy()
    first = chains[(chains["quote_date"] == chains["quote_date"].min())]
    expiry = sorted(first["expiry"].unique())[2]
    sl = first[(first["expiry"] == expiry) & (first["right"] == "C") & (first["bid"] > 0)]
    row = (sl["strike"] - sl["underlying_price"]).abs().idxmin()
    chains.loc[row, ["bid", "ask"]] += 20.0
    tables = stage.compute(chains, {"scan": {"min_edge": 1.0}})
    scan = tables["parity_scan"]
    top = scan.iloc[0]
    assert (top["strategy"], top["expiry"], top["strike"]) == ("conversion", expiry, chains.loc[row, "strike"])
    assert top["call_side"] == "sell" and top["put_side"] == "buy" and top["forward_side"] == "long"
    assert top["call_price"] == chains.loc[row, "bid"]
    assert 8.0 < top["edge"] < 20.0 and top["rank"] == 1
    assert (scan["edge"] > 1.0).all() and scan["edge"].is_monotonic_decreasing
    # The robust regression shrugs the outlier off: that expiry's forward is still a regression.
    fw = tables["forwards"]
    assert (fw.loc[(fw["quote_date"] == first["quote_date"].min()) & (fw["expiry"] == expiry), "forward_method"]
            == "regression").all()


def test_fallback_flags_in_the_stage(synthetic):
    """One expiry with 3 two-sided pairs, one with calls only, one with nothing parseable."""
    chains, truth, _ = synthetic
    day = chains["quote_date"].min()
    expiries = sorted(chains.loc[chains["quote_date"] == day, "expiry"].unique())
    few, calls_only = expiries[1], expiries[3]
    in_few = (chains["quote_date"] == day) & (chains["expiry"] == few)
    keep = chains.loc[in_few & (chains["right"] == "P") & (chains["bid"] > 0), "strike"]
    keep = keep.iloc[len(keep) // 2: len(keep) // 2 + 3]
    drop_put = in_few & (chains["right"] == "P") & ~chains["strike"].isin(keep)
    chains = chains.copy()
    chains.loc[drop_put, "bid"] = 0.0          # one-sided puts: not pairs
    drop = (chains["quote_date"] == day) & (chains["expiry"] == calls_only) & (chains["right"] == "P")
    chains = chains[~drop].reset_index(drop=True)

    tables = stage.compute(chains, {})
    fw = tables["forwards"].merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"))
    by = fw.set_index(["quote_date", "expiry"])
    assert by.loc[(day, few), "forward_method"] == "few_strikes:smoothed_curve" and by.loc[(day, few), "n_pairs"] == 3
    assert by.loc[(day, few), "rate_status"] == "few_pairs"
    assert by.loc[(day, calls_only), "forward_method"] == "one_sided:smoothed_curve"
    assert by.loc[(day, calls_only), "n_pairs"] == 0 and by.loc[(day, calls_only), "rate_status"] == "no_pairs"
    assert (fw["forward_method"].isin(["regression", "regression_fixed_discount:smoothed_curve",
                                       "few_strikes:smoothed_curve", "one_sided:smoothed_curve"])).all()
    # Fallbacks are less exact but still close (interpolated D and carry): stated 2e-3 and 2e-3.
    assert np.max(np.abs(fw["forward"] / fw["forward_true"] - 1)) < 2e-3
    assert np.max(np.abs(fw["discount"] - fw["discount_true"])) < 2e-3
    q = tables["quotes"]
    assert len(q) == len(chains)
    assert (q.loc[q["expiry"] == calls_only, "forward_method"] == "one_sided:smoothed_curve").any()


def test_business_day_count(synthetic):
    chains, _, _ = synthetic
    tables = stage.compute(chains, {"day_count": "business252"})
    fw = tables["forwards"]
    days = conventions.sessions_between("XNYS", pd.to_datetime(fw["quote_date"]).to_numpy("datetime64[D]"),
                                        pd.to_datetime(fw["expiry"]).to_numpy("datetime64[D]"))
    np.testing.assert_allclose(fw["t"], days / 252.0)
    # NYSE holidays are not business days: fewer sessions than Mon-Fri days where one falls in between.
    mon_fri = conventions.sessions_between(None, pd.to_datetime(fw["quote_date"]).to_numpy("datetime64[D]"),
                                           pd.to_datetime(fw["expiry"]).to_numpy("datetime64[D]"))
    assert (days <= mon_fri).all() and (days < mon_fri).any()


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_real_spx_chain(real_data):
    chains = read_cboe([real_data / "spx_20251001"], "spx").table.to_pandas()
    tables = stage.compute(chains, {})
    fw = tables["forwards"].sort_values("expiry")
    q = tables["quotes"]

    two_sided = q["bid"] > 0
    solved = two_sided & (q["quote_status"] == "ok")
    pct = 100.0 * solved.sum() / two_sided.sum()
    lines = ["implied_vols on the real SPX chain of 2025-10-01 (CBOE, 13 expiries), default settings",
             f"quotes in {len(chains)}, out {len(q)}; two-sided {int(two_sided.sum())}; mid IV solved "
             f"{int(solved.sum())} ({pct:.2f}%)",
             "quote_status: " + ", ".join(f"{k} {v}" for k, v in q["quote_status"].value_counts().items())]
    for side in ("bid", "mid", "ask"):
        counts = q[f"{side}_iv_status"].astype(object).fillna("not_solved")
        lines.append(f"{side}_iv_status: " + ", ".join(f"{k} {v}" for k, v in counts.value_counts().items()))
    lines.append(f"{'root':<6}{'expiry':<12}{'t':>8}{'forward':>11}{'D':>9}{'rate':>8}{'r_regr':>8}{'se':>8}"
                 f"{'pairs':>6}{'down':>5}{'resid':>7}{'atm_iv':>8}  method / rate_status")
    for r in fw.itertuples():
        lines.append(f"{r.root:<6}{r.expiry!s:<12}{r.t:8.4f}{r.forward:11.2f}{r.discount:9.5f}{r.rate:8.4f}"
                     f"{r.regression_rate:8.4f}{r.regression_rate_se:8.4f}{r.n_pairs:6d}{r.n_downweighted:5d}"
                     f"{r.residual_std:7.2f}{r.atm_iv:8.4f}  {r.forward_method} / {r.rate_status}")
    unsolved = q[two_sided & ~solved]
    lines.append("unsolved two-sided quotes: " + "; ".join(
        f"{r.expiry} {r.strike:g}{r.right} bid {r.bid} ask {r.ask} status {r.mid_iv_status if pd.notna(r.mid_iv_status) else 'none'}"
        for r in unsolved.head(20).itertuples()))
    lines.append(f"parity scan hits (edge > 0): {len(tables['parity_scan'])}")
    otm = q[q["otm"] & solved & q["vendor_iv"].notna()]
    lines.append(f"OTM mid_iv - vendor_iv: median {np.median(otm['mid_iv'] - otm['vendor_iv']):+.5f}, "
                 f"median abs {np.median(np.abs(otm['mid_iv'] - otm['vendor_iv'])):.5f} over {len(otm)} quotes")
    report = "\n".join(lines)
    print("\n" + report)
    Path("/tmp/stage_realdata_figures.txt").write_text(report + "\n")

    assert len(q) == len(chains)
    assert len(fw) == 13 and fw["forward"].notna().all() and (fw["forward_method"] == "regression").all()
    assert (np.diff(fw["discount"].to_numpy()) < 0).all()               # D falls with expiry
    # Implied rates (2025-10-01: SOFR ~4.2%, box rates a little above) in the band, trusted:
    # measured 3.67% (2.2 y) to 4.18% (0.54 y), se <= 0.1%.
    assert (fw["rate_status"] == "ok").all() and fw["rate"].between(0.035, 0.045).all()
    assert (fw["regression_rate_se"] < 0.002).all()
    assert ((fw["discount"] > 0.9) & (fw["discount"] < 1.0)).all()
    assert ((fw["forward"] > 6711.2) & (fw["forward"] < 6711.2 * 1.1)).all()   # spot 6711.20, carry r - q > 0
    assert pct >= 99.0
    not_ok = q[q["quote_status"] != "ok"]
    assert (not_ok["mid_iv_status"].isna() | (not_ok["mid_iv_status"] != "ok")).all()
    assert not_ok["mid_iv"].isna().all()
    assert fw["quote_date"].unique().tolist() == [dt.date(2025, 10, 1)]
