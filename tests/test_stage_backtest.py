"""The backtest stage on the synthetic index and vol index: tables against their schemas
and against direct library calls, buy & hold against the closes, and clear config errors.

Tolerances: plumbing is exact or 1e-12.
"""

import copy

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from jaxmm.backtest import option_writing as ow
from jaxmm.stages import backtest as stage
from jaxmm.stages.frames import to_table
from jaxmm.synthetic import _streams, resolve
from jaxmm.synthetic import series as synthetic_series

SECTION = {
    "underlyings": [{"name": "synthetic", "price": {"source": "syn", "field": "spot"},
                     "vol_index": {"source": "syn", "field": "vol_index", "vol_unit": "points"}},
                    {"name": "no_index", "price": {"source": "syn", "field": "spot"}, "vol_index": None}],
    "iv_window": 21, "iv_premium": 0.02, "rate": 0.02, "div_yield": 0.0,
    "defaults": {"dte_min": 30, "dte_max": 45, "profit_take": 0.5, "dte_close": 21, "strike_step": 5.0,
                 "opt_cost_abs": 0.05, "opt_cost_rel": 0.02, "stock_cost_bps": 1.0, "skew": 0.0},
    "strategies": [{"name": "cc", "kind": "covered_call", "otm": 0.05},
                   {"name": "csp", "kind": "cash_secured_put", "otm": 0.05, "dte_close": 0.0, "profit_take": 0.0}],
    "rules": {"max_position": 0.05, "max_vega": 0.10, "gamma_limit": 0.225, "gamma_days": 7},
    "crisis_windows": [{"name": "inside", "start": "2023-03-01", "end": "2023-06-30"},
                       {"name": "outside", "start": "1990-01-01", "end": "1990-02-01"}],
}


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    cfg = resolve(None)
    synthetic_series.generate(cfg["daily"], out, _streams(cfg["seed"])["daily"])
    csv = pd.read_csv(out / "daily" / "spot_vol.csv", parse_dates=["date"])
    d = csv.melt(id_vars="date", var_name="field", value_name="value").assign(source="syn")
    d["date"] = d["date"].dt.date
    return d


@pytest.fixture(scope="module")
def tables(daily):
    return stage.compute(daily, SECTION)


def test_tables_follow_their_schemas(tables, tmp_path):
    for name, schema in stage.TABLES.items():
        pq.write_table(to_table(tables[name], schema), tmp_path / f"{name}.parquet")
        assert pq.read_schema(tmp_path / f"{name}.parquet").equals(schema, check_metadata=False), name
    m = tables["metrics"]
    assert set(zip(m["underlying"], m["strategy"])) == {(u, s) for u in ("synthetic", "no_index")
                                                        for s in ("cc", "csp", "buy_and_hold")}


def test_equity_and_metrics_are_the_library_results(tables, daily):
    """Buy & hold is close / first close (1e-12); the strategies' equity and metrics are
    option_writing.backtest / performance on the same inputs (exact); the vol index prices
    every day it exists and the realised-vol fallback the rest."""
    spot = daily[daily["field"] == "spot"].set_index("date")["value"].sort_index()
    vix = daily[daily["field"] == "vol_index"].set_index("date")["value"].sort_index()
    eq = tables["equity"]
    bh = eq[(eq["underlying"] == "synthetic") & (eq["strategy"] == "buy_and_hold")]
    np.testing.assert_allclose(bh["equity"], spot.to_numpy() / spot.iloc[0], rtol=1e-12)
    dates = pd.to_datetime(spot.index).to_numpy().astype("datetime64[D]")
    proxy = ow.implied_vol_proxy(spot.to_numpy(), vix.to_numpy(), 21, 0.02)
    cfg, names = stage.configs(SECTION)
    bt = ow.backtest(dates, spot.to_numpy(), proxy.iv, cfg, rate=0.02)
    cc = eq[(eq["underlying"] == "synthetic") & (eq["strategy"] == "cc")]
    np.testing.assert_array_equal(cc["equity"], bt.equity[0])
    perf = ow.performance(dates, bt.equity, rate=0.02)
    m = tables["metrics"].set_index(["underlying", "strategy"])
    assert m.loc[("synthetic", "csp"), "cagr"] == perf.cagr[1]
    assert m.loc[("synthetic", "cc"), "vol_index_days"] == int(np.isfinite(vix.to_numpy()).sum())
    assert m.loc[("no_index", "cc"), "vol_index_days"] == 0
    assert (eq.loc[eq["underlying"] == "no_index", "iv_source"] == "realised_plus_premium").all()


def test_crisis_and_breaches(tables):
    """A window outside the data is left out; the breaches are the library's rule counts;
    one underlying's covered call covers the whole book, so the notional rule fires on
    every day an option is held."""
    c = tables["crisis"]
    assert set(c["window"]) == {"inside"} and c["return"].notna().all()
    b = tables["breaches"]
    eq = tables["equity"]
    held = eq[(eq["underlying"] == "synthetic") & (eq["strategy"] == "cc") & (eq["option_units"] > 0)]
    notional = b[(b["underlying"] == "synthetic") & (b["strategy"] == "cc") & (b["rule"] == "position_notional")]
    assert len(notional) == len(held) > 0


def test_config_errors_name_the_key(daily):
    bad = copy.deepcopy(SECTION)
    bad["underlyings"][0]["vol_index"]["field"] = "vix9d"
    with pytest.raises(ValueError, match=r"backtest.underlyings\[0\].vol_index.*syn:vix9d"):
        stage.compute(daily, bad)
    bad = copy.deepcopy(SECTION)
    bad["strategies"][1]["name"] = "cc"
    with pytest.raises(ValueError, match="unique"):
        stage.compute(daily, bad)
