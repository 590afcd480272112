"""jaxmm.notebook: pandas in, pandas out, index kept, same numbers as the stage code.

Tolerances: values that go through the very same stage function are compared exactly
(or to 1e-12 relative where a second evaluation of a JAX function is involved);
Monte Carlo summaries are checked for shape and finiteness only (their statistics are
checked in tests/test_mm_simulate.py and tests/test_examples.py)."""

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

import jaxmm as jm
from jaxmm import notebook as nb
from jaxmm.stages import implied_vols as iv_stage
from jaxmm.stats import rolling


@pytest.fixture(scope="module")
def chain(repo):
    c = nb.read_chain(repo / "data" / "spx_20251001", source="spx_20251001")
    c.index = pd.RangeIndex(1000, 1000 + len(c), name="row")    # a non-default index to keep
    return c


@pytest.fixture(scope="module")
def quotes(chain):
    return nb.implied_vols(chain)


def test_read_chain_is_the_ingest_table(chain):
    assert len(chain) == 1976
    for col in ("settlement_time", "calendar", "quote_time", "strike", "right", "bid", "ask"):
        assert col in chain


def test_implied_vols_keep_the_index_and_equal_the_stage(chain, quotes):
    assert quotes.index.equals(chain.index)
    stage = iv_stage.compute(chain.reset_index(drop=True), {})["quotes"]
    for col in ("forward", "discount", "t", "bid_iv", "mid_iv", "ask_iv", "delta", "vega"):
        np.testing.assert_array_equal(quotes[col].to_numpy(float), stage[col].to_numpy(float), err_msg=col)
    assert (quotes["quote_status"].to_numpy() == stage["quote_status"].to_numpy()).all()
    assert (quotes["quote_status"] == "ok").mean() > 0.99


def test_greeks_of_a_quotes_table(quotes):
    g = nb.greeks(quotes)
    assert g.index.equals(quotes.index) and list(g.columns) == ["delta", "gamma", "vega", "theta"]
    ok = (quotes["quote_status"] == "ok").to_numpy()
    for col in g.columns:
        np.testing.assert_allclose(g[col].to_numpy()[ok], quotes[col].to_numpy()[ok], rtol=1e-12, atol=0)
    assert g[~ok].isna().all().all()
    shifted = nb.greeks(quotes.iloc[:10], quotes["mid_iv"].iloc[:10] + 0.01)   # a Series of vols
    assert shifted.index.equals(quotes.index[:10])


def test_fit_smile_wants_one_expiry(quotes):
    with pytest.raises(ValueError, match="one expiry"):
        nb.fit_smile(quotes)


def test_hedge_ratio_on_series_keeps_the_index():
    dates = pd.bdate_range("2025-01-01", periods=60)
    rng = np.random.default_rng(0)
    front = pd.Series(70.0 * np.exp(np.cumsum(0.02 * rng.standard_normal(60))), index=dates)
    back = pd.Series(65.0 * np.exp(np.cumsum(0.01 * rng.standard_normal(60))), index=dates)
    out = nb.hedge_ratio(front, back, window=20)
    assert out.index.equals(dates)
    core = rolling.hedge_ratio(jnp.asarray(front.to_numpy()), jnp.asarray(back.to_numpy()), 20)
    for name in ("h", "h2", "beta", "corr"):
        np.testing.assert_allclose(out[name].to_numpy(), np.asarray(getattr(core, name)), rtol=1e-12, atol=1e-15)
    # misaligned input: the union of the dates, a date one side lacks is missing there
    out2 = nb.hedge_ratio(front.iloc[5:], back.iloc[:-5], window=20)
    assert out2.index.equals(dates)
    assert out2["h"].iloc[-5:].isna().all()
    assert np.isfinite(out2["h"].iloc[30:-5]).all()


def test_simulation_summaries_are_frames():
    grid = jm.ASParams(gamma=jnp.array([0.1, 0.5]))
    s = nb.simulate_summary(grid, jax.random.PRNGKey(0), 200, 20)
    assert len(s) == 2 and list(s["gamma"]) == [0.1, 0.5]
    assert np.isfinite(s[["mean_profit", "std_profit", "mean_spread"]].to_numpy()).all()
    assert (s["sigma"] == 2.0).all()
    h = nb.hedge_summary(jm.HedgeParams(s0=100.0, strike=100.0, T=1.0, r=0.0, implied_vol=0.2,
                                        hedge_vol=jnp.array([0.2, 0.3]), actual_vol=0.3),
                         jax.random.PRNGKey(0), 200, 10)
    assert len(h) == 2 and np.isfinite(h["mean_pnl"]).all()


_X64_OFF = """
import jax
jax.config.update("jax_enable_x64", False)
from jaxmm._src.dtypes import Float64Required, x64_enabled
from jaxmm.pricing.iv import implied_vol
try:
    implied_vol(10.0, 100.0, 100.0, 1.0, True)
except Float64Required as e:
    assert "x64" in str(e), e
else:
    raise SystemExit("no error with x64 off")
with x64_enabled():
    assert jax.config.jax_enable_x64
    assert implied_vol(10.0, 100.0, 100.0, 1.0, True)[0].dtype == "float64"
assert not jax.config.jax_enable_x64
print("ok")
"""


def test_float64_is_required_and_scoped(repo):
    done = subprocess.run([sys.executable, "-c", _X64_OFF], cwd=repo, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-2000:]


def test_importing_synthetic_has_no_side_effects(repo):
    code = "import sys, jaxmm.synthetic; print('jax' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
