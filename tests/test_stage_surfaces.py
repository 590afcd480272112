"""The surfaces stage on a small synthetic chain (known SSVI surface) and on the real SPX chain.

Tolerances: the synthetic mids carry N(0, 0.1 vol point) noise clipped inside the quoted
spread, then tick rounding, so fitted SVI vols are compared with the true vols to 0.3 vol
points or the quote's IV half-spread where wider (median 0.1 vol point), and the SSVI
parameters with the generator's (rho -0.7, eta 1.0, gamma 0.4) to 0.03, 0.1, 0.05.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jaxmm.io import conventions
from jaxmm.io import labels
from jaxmm.io.chains import read_chains
from jaxmm.stages import implied_vols, surfaces
from jaxmm.stages.frames import to_table
from jaxmm.stages.implied_vols import schema as implied_vols_schema
from jaxmm.stages.surfaces import schema as surfaces_schema
from jaxmm.surfaces.fit import FitStatus
from jaxmm.synthetic import _streams, chains as synthetic_chains, resolve

SMALL = {"chains": {"n_quote_dates": 2, "strikes_per_expiry": 40, "n_weeklies": 1, "n_monthlies": 3,
                    "max_years": 1.0}}
OUTPUTS = {"svi_params": surfaces_schema.SVI_PARAMS, "ssvi_params": surfaces_schema.SSVI_PARAMS,
           "fair_values": surfaces_schema.FAIR_VALUES, "rich_cheap": surfaces_schema.RICH_CHEAP}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """implied_vols outputs of a synthetic chain (parquet), and the generator's truth."""
    out = tmp_path_factory.mktemp("synthetic")
    cfg = resolve(SMALL)
    synthetic_chains.generate(cfg["chains"], out, _streams(cfg["seed"])["chains"])
    chains = conventions.apply(read_chains([out / "chains"], "cboe", "synthetic_spx"),
                               {"name": "synthetic_spx", "format": "cboe"}).table.to_pandas()
    iv = implied_vols.compute(chains, {})
    for name, schema in (("quotes", implied_vols_schema.IV_QUOTES), ("forwards", implied_vols_schema.IV_FORWARDS)):
        pq.write_table(to_table(iv[name], schema), out / f"{name}.parquet")
    return out, pd.read_parquet(out / "truth" / "chain_slices.parquet")


@pytest.fixture(scope="module")
def stage_run(synthetic, tmp_path_factory):
    out, _ = synthetic
    folder = tmp_path_factory.mktemp("surfaces")
    outputs = {name: str(folder / f"{name}.parquet") for name in OUTPUTS}
    surfaces.run({"quotes": str(out / "quotes.parquet"), "forwards": str(out / "forwards.parquet")}, outputs,
                 {"section": {}})
    return {name: pd.read_parquet(path) for name, path in outputs.items()}, folder


def test_outputs_follow_their_schemas(stage_run):
    _, folder = stage_run
    for name, schema in OUTPUTS.items():
        table = pq.read_table(folder / f"{name}.parquet")
        assert table.schema.equals(schema, check_metadata=False), name
        assert table.num_rows > 0, name


def test_svi_fits_recover_the_true_smiles(synthetic, stage_run):
    _, truth = synthetic
    tables, _ = stage_run
    s = tables["svi_params"]
    assert len(s) == len(truth) and s["status"].astype(str).isin(["ok", "not_converged"]).all()
    fair = tables["fair_values"]
    fit = fair[fair["in_fit"]].merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"))
    k = fit["log_moneyness"]
    w = fit["svi_a"] + fit["svi_b"] * (fit["svi_rho"] * (k - fit["svi_m"])
                                       + np.sqrt((k - fit["svi_m"]) ** 2 + fit["svi_sigma"] ** 2))
    err = np.abs(fit["fair_iv"] - np.sqrt(w / fit["t"]))
    half_spread = (fit["ask_iv"] - fit["bid_iv"]) / 2     # tick-rounded quotes: wide in the wings
    assert (err <= np.maximum(0.003, half_spread)).all()
    assert np.median(err) < 0.001
    assert (s["rmse_vol"] < 0.3).all()                        # vol points, vs the noisy mids
    assert (s["frac_inside"] > 0.9).all()


def test_smiles_recovered_across_the_quoted_range(synthetic, stage_run):
    """The known SSVI surface (rho -0.7) is recovered on every quote the stage checks, not
    only its fit set: on every OTM two-sided quote with a solved mid IV, of every slice
    (short weeklies of 1 to 3 days included), the fair IV is within 0.6 of the quote's IV
    half-spread and 0.3 vol point of the true IV (measured 0.43 and 0.24), and these
    quotes reach at least 3 ATM sd into the put wing on every slice of 0.1 years or more.
    Beyond them, on the one-sided far-wing quotes (bid 0), the fair IV stays below the ask
    IV (measured: all). Every slice converges and is on the market (status 'ok'), and
    none is degenerate: |rho| <= 0.95 (measured -0.86 to 0; the quotes end near 4 ATM sd,
    which leaves rho loose on short slices), b > 0 and the minimum variance >= 0."""
    _, truth = synthetic
    tables, _ = stage_run
    s, fair = tables["svi_params"], tables["fair_values"]
    assert (s["status"].astype(str) == "ok").all(), s[["expiry", "t", "status", "off_market_reason"]]
    m = fair[fair["otm"]].merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"))
    m = m.merge(s[surfaces.SLICE_KEYS + ["atm_iv"]].rename(columns={"atm_iv": "slice_atm_iv"}), on=surfaces.SLICE_KEYS)
    k = m["log_moneyness"]
    w = m["svi_a"] + m["svi_b"] * (m["svi_rho"] * (k - m["svi_m"]) + np.sqrt((k - m["svi_m"]) ** 2 + m["svi_sigma"] ** 2))
    err = (m["fair_iv"] - np.sqrt(w / m["t"])).abs()
    checked = surfaces.eval_mask(m)
    assert checked.sum() == s["n_eval_quotes"].sum()
    half = (m["ask_iv"] - m["bid_iv"]) / 2
    assert (err[checked] <= 0.6 * half[checked]).all() and (err[checked] <= 0.003).all()
    z = k / (m["slice_atm_iv"] * np.sqrt(m["t"]))
    deepest = z[checked].groupby([m["quote_date"], m["expiry"]]).min()
    long = s.set_index(["quote_date", "expiry"])["t"] >= 0.1
    assert (deepest[long[long].index] <= -3.0).all()
    one_sided = m["bid"] == 0
    assert one_sided.any() and (m.loc[one_sided, "fair_iv"] <= m.loc[one_sided, "ask_iv"]).all()
    assert (s["rho"].abs() <= 0.95).all() and (s["b"] > 0).all()
    assert (s["a"] + s["b"] * s["sigma"] * np.sqrt(1 - s["rho"] ** 2) >= 0).all()


def test_issue_bars_on_ok_slices(stage_run):
    """On slices with status 'ok', computed from fair_values.parquet itself: fair IV inside
    [bid IV, ask IV] for at least 75% of the OTM two-sided quotes within 3 ATM sd
    (|k| <= 3 atm_iv sqrt(t)), and no fair IV above twice the slice's highest mid IV; the
    fair values carry their slice's status."""
    tables, _ = stage_run
    s, fair = tables["svi_params"], tables["fair_values"]
    assert set(fair["fit_status"].astype(str)) <= set(labels.FIT_STATUS_LABELS)
    f = fair.merge(s[surfaces.SLICE_KEYS + ["atm_iv", "status"]].rename(columns={"atm_iv": "slice_atm_iv"}),
                   on=surfaces.SLICE_KEYS)
    assert (f["fit_status"].astype(str) == f["status"].astype(str)).all()
    ok = surfaces.eval_mask(f) & (f["fit_status"].astype(str) == "ok")
    near = ok & (f["log_moneyness"].abs() <= 3.0 * f["slice_atm_iv"] * np.sqrt(f["t"]))
    assert f.loc[near, "fair_iv_inside"].groupby([f["quote_date"], f["expiry"], f["root"]]).mean().min() >= 0.75
    top = f[ok].groupby(surfaces.SLICE_KEYS).agg(fair=("fair_iv", "max"), mid=("mid_iv", "max"))
    assert (top["fair"] <= 2.0 * top["mid"]).all()


def test_no_arbitrage_in_the_fitted_slices(stage_run):
    s = stage_run[0]["svi_params"]
    assert s["butterfly_ok"].all() and (s["min_g"] >= 0).all()
    assert (s["calendar_violations"] == 0).all()
    last = s.groupby(["source", "quote_date"])["t"].transform("max") == s["t"]
    assert s.loc[~last, "calendar_min_gap"].ge(0).all() and s.loc[last, "calendar_min_gap"].isna().all()


def test_ssvi_recovers_the_generator(synthetic, stage_run):
    _, truth = synthetic
    ssvi = stage_run[0]["ssvi_params"]
    assert (ssvi["status"].astype(str) != "non_finite").all()
    assert (abs(ssvi["rho"] - truth["ssvi_rho"].iloc[0]) < 0.03).all()
    assert (abs(ssvi["eta"] - truth["ssvi_eta"].iloc[0]) < 0.1).all()
    assert (abs(ssvi["gamma"] - truth["ssvi_gamma"].iloc[0]) < 0.05).all()
    assert (ssvi["rmse_vol"] < 0.3).all()


def test_every_quote_has_a_fair_value_consistent_with_black(synthetic, stage_run):
    out, _ = synthetic
    quotes = pd.read_parquet(out / "quotes.parquet")
    fair = stage_run[0]["fair_values"]
    assert len(fair) == len(quotes) and fair["fair_value"].notna().all()
    from jaxmm.pricing import black

    price = np.asarray(black.price(fair["forward"].to_numpy(), fair["strike"].to_numpy(), fair["t"].to_numpy(),
                                   fair["fair_iv"].to_numpy(), (fair["right"] == "C").to_numpy(),
                                   fair["discount"].to_numpy()))
    np.testing.assert_allclose(fair["fair_value"], price, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fair["residual_usd"], fair["mid"] - fair["fair_value"], atol=1e-12)
    two_sided = fair["bid"] > 0
    half = (fair["ask"] - fair["bid"]) / 2
    np.testing.assert_allclose(fair.loc[two_sided, "residual_half_spreads"],
                               (fair["residual_usd"] / half)[two_sided], rtol=1e-12)
    assert fair.loc[~two_sided, "residual_half_spreads"].isna().all()


def test_rich_cheap_ranks_the_fit_set(stage_run):
    tables, _ = stage_run
    ranked, fair = tables["rich_cheap"], tables["fair_values"]
    assert ranked["in_fit"].all()
    for (side, _), g in ranked.groupby(["side", "quote_date"]):
        values = g.sort_values("rank")["residual_half_spreads"].to_numpy()
        assert (values > 0).all() if side == "rich" else (values < 0).all()
        assert (np.diff(values) <= 0).all() if side == "rich" else (np.diff(values) >= 0).all()
        assert list(g.sort_values("rank")["rank"]) == list(range(1, len(g) + 1)) and len(g) <= 20
    top = fair[fair["in_fit"] & (fair["quote_date"] == ranked["quote_date"].iloc[0])]["residual_half_spreads"].max()
    assert ranked[(ranked["side"] == "rich") & (ranked["rank"] == 1)]["residual_half_spreads"].iloc[0] == top


def test_report_section(stage_run, tmp_path):
    _, folder = stage_run
    inputs = {name: str(folder / f"{name}.parquet") for name in OUTPUTS}
    outputs = {"section": str(tmp_path / "s.json"), "figures": str(tmp_path / "fig")}
    surfaces.report(inputs, outputs, {})
    section = json.loads(Path(outputs["section"]).read_text())
    assert section["title"] == "Volatility surfaces and fair values" and section["order"] == 25
    figures = [b for b in section["blocks"] if b["kind"] == "figure"]
    assert {Path(b["path"]).name for b in figures} == {"smiles.png", "total_variance.png"}


def test_fit_status_labels_documented():
    """The tables' labels are FitStatus's names in lower case, in code order, each documented."""
    assert list(labels.FIT_STATUS_LABELS) == [s.label for s in FitStatus]
    for label in labels.FIT_STATUS_LABELS:
        assert f"'{label}'" in surfaces_schema.FIT_STATUS_DOC


def test_short_slices_below_min_t_are_not_fitted(synthetic):
    out, _ = synthetic
    quotes, forwards = pd.read_parquet(out / "quotes.parquet"), pd.read_parquet(out / "forwards.parquet")
    tables = surfaces.compute(quotes, forwards, {"min_t": 0.1})
    s = tables["svi_params"]
    short = s["t"] < 0.1
    assert short.any() and (s.loc[short, "n_fit_quotes"] == 0).all()
    assert (s.loc[short, "status"].astype(str) == FitStatus.TOO_FEW_QUOTES.label).all() and s.loc[short, "a"].isna().all()
    assert s.loc[~short, "a"].notna().all()
    assert not tables["fair_values"]["expiry"].isin(s.loc[short, "expiry"]).any()


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_real_spx_chain(real_data):
    """The real SPX chain of 2025-10-01 (13 expiries, 0.54 to 2.2 years), default settings.

    Checked on every OTM quote with a solved mid IV, not only the fit set: on the slices
    with status 'ok', fitted vols inside the bid/ask IVs for at least 75% of the quotes
    within 3 ATM sd (the issue's bar; measured 84.8%); a slice that misses it, or leaves
    the quotes by more than surfaces.max_residual_half_spreads, is 'off_market' with its
    reason (5 of 13 here: raw SVI's five parameters cannot follow SPX's put wing and the
    money within spreads of 0.05 to 0.1 vol points). No butterfly and no calendar arbitrage.
    """
    chains = conventions.apply(read_chains([real_data / "spx_20251001"], "cboe", "spx"),
                               {"name": "spx", "format": "cboe"}).table.to_pandas()
    iv = implied_vols.compute(chains, {})
    tables = surfaces.compute(iv["quotes"], iv["forwards"], {})
    s = tables["svi_params"]
    status = s["status"].astype(str)
    lines = [f"{'expiry':<12}{'root':>6}{'t':>7}{'n_fit':>6}{'n_eval':>7}{'status':>15}{'inside3':>8}{'worst':>8}"]
    for r in s.itertuples():
        lines.append(f"{r.expiry!s:<12}{r.root:>6}{r.t:7.3f}{r.n_fit_quotes:6d}{r.n_eval_quotes:7d}{r.status!s:>15}"
                     f"{r.frac_inside_3sd:8.3f}{r.max_abs_residual:8.1f}")
    print("\n" + "\n".join(lines))
    assert len(s) == 13 and s["a"].notna().all() and status.isin(["ok", "off_market"]).all()
    ok = s[status == "ok"]
    assert len(ok) >= 6
    assert (ok["frac_inside_3sd"] >= 0.75).all()
    assert s.loc[status == "off_market", "off_market_reason"].str.len().gt(0).all()
    assert s["butterfly_ok"].all() and (s["calendar_violations"] == 0).all()
    ranked = tables["rich_cheap"]
    assert set(ranked["expiry"]) <= set(ok["expiry"])      # only 'ok' slices are ranked
    assert set(ranked["side"]) == {"rich", "cheap"} and ranked["in_fit"].all()


@pytest.mark.realdata
def test_real_short_dated_spx_slices_converge(real_data):
    """The real SPX/SPXW chain of 2022-07-12 11:55 (in session; real_chains/nickkxsper__index-gamma),
    default settings: every slice of 0 to 7 days (six: 4 hours to 6 days, steep skews,
    37 to 201 OTM two-sided quotes) converges (no 'not_converged'; measured: 4 'ok', 2
    'off_market' for their inside fraction near the money), none of them has a fitted vol
    above twice its highest mid IV over the quoted range (measured at most 0.76 of it;
    the former fit's short SPX slices reached 220-390% where the market showed 55-68%),
    and the 'ok' ones hold the issue's bar within 3 ATM sd."""
    from jaxmm.stages.ingest import read_chain_source

    path = real_data / "real_chains" / "nickkxsper__index-gamma" / "spx_quotedata.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    chains = read_chain_source({"name": "spx", "format": "cboe", "paths": [str(path)]}, {}, "test").table.to_pandas()
    iv = implied_vols.compute(chains, {})
    s = surfaces.compute(iv["quotes"], iv["forwards"], {})["svi_params"]
    short = s[s["t"] <= 7 / 365]
    status = short["status"].astype(str)
    print("\n" + short[["root", "expiry", "t", "fit_abs_z", "n_eval_quotes", "status", "off_market_reason",
                        "iterations", "frac_inside_3sd", "max_abs_residual", "wing_ratio", "rho"]].to_string())
    assert len(short) >= 5 and status.isin(["ok", "off_market"]).all()
    assert short["a"].notna().all() and (short["wing_ratio"] <= 2.0).all()
    assert (short.loc[status == "ok", "frac_inside_3sd"] >= 0.75).all()
