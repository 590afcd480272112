"""End to end: the Snakemake DAG on a small config in a temporary directory.

The repository's Snakefile, workflow/ and jaxmm/ are copied into the temporary directory
so that the code-version test can edit library code without touching the checkout.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from jaxmm.io import schemas
from jaxmm.stages.implied_vols import schema as implied_vols_schema
from jaxmm.stages.tables import TABLES as OUTPUT_TABLES

pytestmark = pytest.mark.e2e

RULES = ["synthetic", "package_data", "ingest_chains", "ingest_futures", "ingest_daily",
         "ingest_report", "implied_vols", "implied_vols_report", "surfaces", "surfaces_report", "statistics",
         "statistics_report", "mm", "mm_report", "hedging", "hedging_report", "backtest", "backtest_report", "report"]
IV_RULES = {"implied_vols", "implied_vols_report"}
SURF_RULES = {"surfaces", "surfaces_report"}
STATS_RULES = {"statistics", "statistics_report"}
MM_RULES = {"mm", "mm_report"}
BT_RULES = {"backtest", "backtest_report"}
HEDGE_RULES = {"hedging", "hedging_report"}   # reads the statistics stage's vol betas


def small_config(repo: Path) -> dict:
    cfg = yaml.safe_load((repo / "config.yaml").read_text())
    cfg["synthetic"] = {"seed": 7, "chains": {"n_quote_dates": 2, "strikes_per_expiry": 40}}
    cfg["package_data"]["series"] = ["vix"]
    cfg["ingest"]["daily"]["sources"] = [s for s in cfg["ingest"]["daily"]["sources"]
                                        if s["name"] in ("synthetic_spot_vol", "synthetic_prediction", "vix")]
    # Only the daily sources kept above: the synthetic vol series and prediction market, no ETFs.
    stats = cfg["statistics"]
    stats["vol_series"] = [v for v in stats["vol_series"] if v["name"] == "synthetic"]
    stats["etf"]["funds"], stats["etf"]["spreads"] = [], []
    mm = cfg["mm"]
    mm["as"].update(gammas=[0.1, 1.0], n_paths=4000, scenario_paths=1000)
    mm["as"]["scenarios"] = mm["as"]["scenarios"][:2]
    mm["fair_value"].update(n_paths=500)
    bt = cfg["backtest"]
    bt["underlyings"] = [u for u in bt["underlyings"] if u["name"] == "synthetic"]   # no sp500 in this config
    bt["strategies"] = bt["strategies"][:2]
    hd = cfg["hedging"]
    hd["delta"].update(kinds=["call"], n_steps=[12, 52], costs=[0.0, 0.001], bands=[0.0], n_paths=2000)
    hd["validation"].update(n_paths=5000)
    hd["validation"]["derman_kamal"]["n_steps"] = [21, 84]
    hd["validation"]["ahmad_wilmott"]["n_steps"] = [252]
    hd["vol_path"].update(n_paths=2000, realised=["implied"])
    hd["time_spread"].update(n_paths=5000)
    cfg["report"]["title"] = "e2e test run"
    return cfg


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(workdir / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
           "--cores", "2", "--profile", str(workdir / "workflow" / "profiles" / "default"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def planned_rules(workdir: Path) -> set[str]:
    """Rules a dry run would execute (from the job stats table)."""
    out = snakemake(workdir, "-n", "--quiet", "rules")
    assert out.returncode == 0, out.stderr
    lines = (out.stdout + out.stderr).splitlines()
    if "Job stats:" not in lines:
        return set()  # "Nothing to be done"
    table = lines[lines.index("Job stats:") + 3:]
    table = table[:next(i for i, line in enumerate(table) if line.startswith("total"))]
    return {line.split()[0] for line in table} - {"all"}


@pytest.fixture(scope="module")
def workdir(repo, tmp_path_factory) -> Path:
    wd = tmp_path_factory.mktemp("e2e")
    shutil.copy(repo / "Snakefile", wd)
    shutil.copytree(repo / "workflow", wd / "workflow")
    shutil.copytree(repo / "jaxmm", wd / "jaxmm", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "data", wd / "data")        # the example positions file
    (wd / "config.yaml").write_text(yaml.safe_dump(small_config(repo), sort_keys=False))
    run = snakemake(wd)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    return wd


def test_every_rule_ran_with_log_and_benchmark(workdir):
    for rule in RULES:
        assert (workdir / "results" / "logs" / f"{rule}.log").stat().st_size > 0, rule
        bench = pd.read_csv(workdir / "results" / "benchmarks" / f"{rule}.tsv", sep="\t")
        assert bench["s"].iloc[0] > 0


def test_outputs_follow_their_schemas(workdir):
    ingest = workdir / "results" / "ingest"
    for name, schema in [("chains", schemas.CHAINS), ("futures_contracts", schemas.FUTURES_CONTRACTS),
                         ("futures_tenors", schemas.FUTURES_TENORS), ("daily", schemas.DAILY),
                         ("chains_quarantine", schemas.QUARANTINE), ("chains_summary", schemas.SUMMARY)]:
        table = pq.read_table(ingest / f"{name}.parquet")
        assert table.schema.equals(schema, check_metadata=False), name
        assert table.num_rows > 0, name
    iv = workdir / "results" / "implied_vols"
    for name, schema in [("forwards", implied_vols_schema.IV_FORWARDS), ("quotes", implied_vols_schema.IV_QUOTES),
                         ("parity_scan", implied_vols_schema.PARITY_SCAN), ("summary", implied_vols_schema.IV_SUMMARY)]:
        table = pq.read_table(iv / f"{name}.parquet")
        assert table.schema.equals(schema, check_metadata=False), name
        assert table.num_rows > 0 or name == "parity_scan", name
    stats = workdir / "results" / "statistics"
    for path, schema in OUTPUT_TABLES.items():
        if path.startswith(("results/statistics/", "results/surfaces/", "results/mm/", "results/backtest/",
                            "results/hedging/")):
            table = pq.read_table(workdir / path)
            assert table.schema.equals(schema, check_metadata=False), path
            # no ETFs in this config, and the crisis windows predate the synthetic series
            assert table.num_rows > 0 or path.endswith(("etf_premium.parquet", "crisis.parquet")), path
    assert (stats / "etf_premium.parquet").exists()


def test_statistics_hedge_ratios_follow_the_synthetic_truth(workdir):
    """M1/M12 h from 20-day windows against the generator's instantaneous h (futures_truth):
    averaged over the run, the estimate is within 0.1 of the truth's mean (20-day windows
    of ~0.9 correlation: a single window's h has a standard error of ~0.1, the mean over
    ~500 overlapping windows ~0.03; 0.1 leaves room for the estimator's small-sample bias)."""
    hedge = pd.read_parquet(workdir / "results" / "statistics" / "hedge_ratios.parquet")
    truth = pd.read_parquet(workdir / "results" / "synthetic" / "truth" / "futures_truth.parquet")
    ok = hedge[(hedge["pair"] == "M1/M12") & (hedge["status"] == "ok")]
    t = truth[truth["tenor"] == 1].set_index("date")["h"].reindex(ok["date"])
    assert len(ok) > 200 and t.notna().all()
    assert abs(ok["h"].mean() - t.mean()) < 0.1
    risk = pd.read_parquet(workdir / "results" / "statistics" / "portfolio_risk.parquet")
    assert list(risk["level"]).count("total") == 1 and risk["date"].nunique() == 1


def test_surfaces_recover_the_synthetic_smiles(workdir):
    """The synthetic chain comes from a known SSVI surface: every slice fits with status
    'ok', and over the whole quoted range, wings included (every OTM two-sided quote with a
    solved mid IV: -4.8 to +2.5 ATM sd here), the fair IVs are within 0.3 vol points of the
    true vols (measured 0.21; the mid noise is 0.1 vol point sd, clipped within the
    spread); no slice has butterfly or calendar arbitrage, and every quote of a fitted
    slice has a fair value. (The run also holds the real SPX chain: source spx_20251001.)"""
    s_all = pd.read_parquet(workdir / "results" / "surfaces" / "svi_params.parquet")
    s = s_all[s_all["source"] == "synthetic_spx"]
    truth = pd.read_parquet(workdir / "results" / "synthetic" / "truth" / "chain_slices.parquet")
    assert len(s) == len(truth) and (s["status"].astype(str) == "ok").all()
    assert s_all["butterfly_ok"].all() and (s_all["calendar_violations"] == 0).all()
    fair = pd.read_parquet(workdir / "results" / "surfaces" / "fair_values.parquet")
    quotes = pd.read_parquet(workdir / "results" / "implied_vols" / "quotes.parquet")
    assert len(fair) == len(quotes) and fair["fair_value"].notna().all()
    fair = fair[(fair["source"] == "synthetic_spx") & fair["otm"] & (fair["bid"] > 0)
                & (fair["mid_iv_status"].astype(str) == "ok")]
    checked = fair.merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"))
    assert len(checked) == len(fair) and (~checked["in_fit"]).sum() <= 0.05 * len(checked)
    k = checked["log_moneyness"]
    w = checked["svi_a"] + checked["svi_b"] * (checked["svi_rho"] * (k - checked["svi_m"])
                                               + ((k - checked["svi_m"]) ** 2 + checked["svi_sigma"] ** 2) ** 0.5)
    assert (abs(checked["fair_iv"] - (w / checked["t"]) ** 0.5) < 0.003).all()
    ssvi = pd.read_parquet(workdir / "results" / "surfaces" / "ssvi_params.parquet")
    ssvi = ssvi[ssvi["source"] == "synthetic_spx"]
    assert (abs(ssvi["rho"] - truth["ssvi_rho"].iloc[0]) < 0.05).all()


def test_implied_vols_keep_every_quote_and_recover_the_forwards(workdir):
    chains = pd.read_parquet(workdir / "results" / "ingest" / "chains.parquet")
    quotes = pd.read_parquet(workdir / "results" / "implied_vols" / "quotes.parquet")
    assert len(quotes) == len(chains)
    assert (quotes["source_line"].to_numpy() == chains["source_line"].to_numpy()).all()
    forwards = pd.read_parquet(workdir / "results" / "implied_vols" / "forwards.parquet")
    forwards = forwards[forwards["source"] == "synthetic_spx"]
    truth = pd.read_parquet(workdir / "results" / "synthetic" / "truth" / "chain_slices.parquet")
    m = forwards.merge(truth, on=["quote_date", "expiry"], suffixes=("", "_true"), validate="one_to_one")
    assert len(m) == len(truth)
    # Days-long expiries cannot pin the rate (rate_unstable): D from the smoothed curve, F refitted.
    assert m["forward_method"].isin(["regression", "regression_fixed_discount:smoothed_curve"]).all()
    assert ((m["forward_method"] == "regression") == (m["rate_status"] == "ok")).all()
    assert (abs(m["forward"] / m["forward_true"] - 1) < 3e-4).all()      # as tests/test_stage_implied_vols.py
    two_sided_otm = quotes[quotes["otm"] & (quotes["bid"] > 0)]
    assert (two_sided_otm["quote_status"] == "ok").all()


def test_rows_conserved_and_bad_rows_quarantined(workdir):
    ingest = workdir / "results" / "ingest"
    for dataset in ("chains", "futures", "daily"):
        s = pd.read_parquet(ingest / f"{dataset}_summary.parquet")
        assert (s["rows_in"] == s["kept"] + s["quarantined"]).all()
        assert s["quarantined"].sum() == len(pd.read_parquet(ingest / f"{dataset}_quarantine.parquet"))
    truth = pd.read_csv(workdir / "results" / "synthetic" / "truth" / "bad_rows.csv")
    quarantined = pd.concat([pd.read_parquet(ingest / f"{d}_quarantine.parquet") for d in ("chains", "futures")])
    got = sorted(zip(quarantined["source_file"].map(lambda p: Path(p).name), quarantined["line"], quarantined["reason"]))
    want = sorted(zip(truth["file"].map(lambda p: Path(p).name), truth["line"], truth["reason"]))
    assert got == want


def test_report_has_the_ingest_and_implied_vols_sections(workdir):
    page = (workdir / "results" / "report" / "index.html").read_text()
    assert "e2e test run" in page and "Ingest: validated inputs" in page
    assert "Quarantined rows by reason" in page
    assert "Implied vols and forwards" in page and "Forwards, discount factors and ATM vols" in page
    assert page.index("Ingest: validated inputs") < page.index("Implied vols and forwards")
    assert "Term-structure and volatility statistics" in page and "Hedge-ratio summary" in page
    assert page.index("Implied vols and forwards") < page.index("Term-structure and volatility statistics")
    assert page.index("Implied vols and forwards") < page.index("Volatility surfaces and fair values") \
        < page.index("Term-structure and volatility statistics")
    assert page.index("Term-structure and volatility statistics") < page.index("Market making: Avellaneda-Stoikov")
    assert "Avellaneda &amp; Stoikov section 3.3" in page and "Implied vs call-spread delta" in page
    assert "OPTION PRICES ARE MODELLED, NOT TRADED QUOTES" in page
    assert "Published results beside this run: Derman-Kamal" in page
    assert page.count("data:image/png;base64,") >= 17


def test_nothing_to_do_after_a_complete_run(workdir):
    assert planned_rules(workdir) == set()


def test_changing_one_section_reruns_that_stage_and_its_dependents_only(workdir):
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    original = (workdir / "config.yaml").read_text()
    try:
        cfg["ingest"]["futures"]["roll_business_days"] = 3
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == {"ingest_futures", "ingest_report", "report"} | STATS_RULES | HEDGE_RULES
        cfg = yaml.safe_load(original)
        cfg["mm"]["as"]["scenario_gamma"] = 0.5
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == MM_RULES | {"report"}
        cfg = yaml.safe_load(original)
        cfg["hedging"]["time_spread"]["horizon_days"] = 4
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == HEDGE_RULES | {"report"}
        cfg = yaml.safe_load(original)
        cfg["backtest"]["iv_premium"] = 0.03
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == BT_RULES | {"report"}
        cfg = yaml.safe_load(original)
        cfg["synthetic"]["seed"] = 8
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == set(RULES) - {"package_data"}
        cfg = yaml.safe_load(original)
        cfg["implied_vols"]["parity"]["min_pairs"] = 6
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == IV_RULES | SURF_RULES | STATS_RULES | HEDGE_RULES | {"report"}
        cfg = yaml.safe_load(original)
        cfg["surfaces"]["max_abs_z"] = 2.0
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        # statistics reads the SVI ATM vols
        assert planned_rules(workdir) == SURF_RULES | STATS_RULES | HEDGE_RULES | {"report"}
        cfg = yaml.safe_load(original)
        cfg["statistics"]["vol_beta"]["window"] = 40
        (workdir / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        assert planned_rules(workdir) == STATS_RULES | HEDGE_RULES | {"report"}
    finally:
        (workdir / "config.yaml").write_text(original)


def test_editing_library_code_reruns_the_rules_that_use_it(workdir):
    target = workdir / "jaxmm" / "io" / "futures.py"
    original = target.read_text()
    try:
        target.write_text(original + "\n# an edit\n")
        # Only the futures ingest imports it (computed code versions, jaxmm/_src/import_graph.py).
        assert planned_rules(workdir) == {"ingest_futures", "ingest_report", "report"} | STATS_RULES \
            | HEDGE_RULES
    finally:
        target.write_text(original)
    assert planned_rules(workdir) == set()
    target = workdir / "jaxmm" / "pricing" / "parity.py"
    original = target.read_text()
    try:
        target.write_text(original + "\n# an edit\n")
        assert planned_rules(workdir) == IV_RULES | SURF_RULES | STATS_RULES | HEDGE_RULES | {"report"}
    finally:
        target.write_text(original)
    target = workdir / "jaxmm" / "surfaces" / "fit.py"
    original = target.read_text()
    try:
        target.write_text(original + "\n# an edit\n")
        assert planned_rules(workdir) == SURF_RULES | STATS_RULES | HEDGE_RULES | {"report"}
    finally:
        target.write_text(original)
    target = workdir / "jaxmm" / "mm" / "simulate.py"
    original = target.read_text()
    try:
        target.write_text(original + "\n# an edit\n")
        assert planned_rules(workdir) == MM_RULES | {"report"}
    finally:
        target.write_text(original)
    target = workdir / "jaxmm" / "stats" / "event_vol.py"
    original = target.read_text()
    try:
        target.write_text(original + "\n# an edit\n")
        assert planned_rules(workdir) == STATS_RULES | HEDGE_RULES | {"report"}
    finally:
        target.write_text(original)


def test_bad_config_stops_the_dag_naming_the_key(workdir, tmp_path):
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["ingest"]["futures"]["n_tenor"] = 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    out = subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(workdir / "Snakefile"),
                          "--directory", str(workdir), "--configfile", str(bad), "-n", "--cores", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "config error at ingest.futures: unknown key 'n_tenor'" in out.stdout + out.stderr
