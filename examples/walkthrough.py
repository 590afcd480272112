# %% [markdown]
# # jaxmm walkthrough: price -> implied vols -> smile -> market making -> hedging
#
# A notebook as a plain Python file (jupytext "percent" cells: open it in VS Code or
# Jupyter with jupytext, or run `python examples/walkthrough.py` from the repository
# root). Everything runs on the real SPX chain that ships with the repository
# (`data/spx_20251001`: CBOE downloads after the close of 2025-10-01, MIT licence) and
# takes about a minute on one CPU core, most of it XLA compiling. `tests/test_examples.py`
# runs it; the `assert`s are its checks, with their tolerances.

# %%
import jaxmm as jm

jm.configure_jax(x64=True)   # before JAX loads: float64 for prices, vols and fits

from pathlib import Path  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxmm import notebook as nb  # noqa: E402

REPO = Path(jm.__file__).resolve().parent.parent

# %% [markdown]
# ## 1. Price
# Black-76 on a forward; the ATM call is `F (2 N(s/2) - 1)` with `s = vol sqrt(t)`.

# %%
atm = float(jm.black.price(100.0, 100.0, 1.0, 0.2, True))
assert abs(atm - 100.0 * (2.0 * jax.scipy.stats.norm.cdf(0.1) - 1.0)) < 1e-12
print(f"ATM call, F = K = 100, 1 year, 20% vol: {atm:.6f}")

# %% [markdown]
# ## 2. Implied vols of a real chain
# `read_chain` reads the files as the ingest stage does (as-of and settlement times
# from the conventions of each option root); `implied_vols` is the `implied_vols`
# stage: a forward and discount factor per expiry from put-call parity, then bid / mid /
# ask implied vols, statuses and Greeks for every quote. The DataFrame's index is kept.

# %%
chain = nb.read_chain(REPO / "data" / "spx_20251001", source="spx_20251001")
quotes = nb.implied_vols(chain)
assert quotes.index.equals(chain.index) and len(quotes) == len(chain) == 1976
solved = (quotes["quote_status"] == "ok").mean()
assert solved > 0.99, solved                      # 1964 of 1976 mids solve (2026-12 revision)
forwards = quotes.groupby("expiry")[["t", "forward", "discount", "atm_iv"]].first()
print(forwards)

# Greeks at any vol column, on the same index (here: the mid IV, as the quotes table)
g = nb.greeks(quotes, "mid_iv")
ok = quotes["quote_status"] == "ok"
assert np.allclose(g.loc[ok, "delta"], quotes.loc[ok, "delta"], rtol=1e-12, atol=0)

# %% [markdown]
# ## 3. One smile
# Raw SVI on the longest expiry, fitted as the `surfaces` stage fits it (liquid OTM
# quotes within 6 ATM standard deviations, or 3 or 2 where the wide fit misses the
# money), checked on every OTM quote.

# %%
last = quotes[quotes["expiry"] == quotes["expiry"].max()]
smile = nb.fit_smile(last)
row = smile.params.iloc[0]
print(smile.params[["expiry", "a", "b", "rho", "m", "sigma", "status", "rmse_vol", "frac_inside"]])
assert row["status"] == "ok"
assert row["rmse_vol"] < 0.5                      # vol points, against the mids
fitted = smile.quotes[smile.quotes["in_fit"]]
assert fitted.index.isin(last.index).all()
assert (fitted["fair_iv"] - fitted["mid_iv"]).abs().median() < 0.005   # half a vol point

# %% [markdown]
# ## 4. Avellaneda–Stoikov market making
# The paper's section 3.3 set-up (s0 100, sigma 2, T 1, 200 steps, A 140, k 1.5) for
# three risk aversions; one summary row per gamma (the `mm` stage's `as_summary`).

# %%
grid = jm.ASParams(gamma=jnp.array([0.01, 0.1, 0.5]))
summary = nb.simulate_summary(grid, jax.random.PRNGKey(0), 4000, 200)
print(summary[["gamma", "mean_profit", "se_profit", "std_profit", "mean_final_q", "std_final_q", "mean_spread"]])
# The published paper (Avellaneda & Stoikov 2008, section 3.3, gamma = 0.1, inventory
# strategy; docs/methods/mm.md): spread 1.49, profit 65.0, std(profit) 6.6, std(final
# q) 2.9. Checks: the mean within 5 standard errors plus 1% (the paper's rounding and
# its own Monte Carlo error), the spreads of the distribution within 10%.
r = summary.set_index("gamma").loc[0.1]
assert abs(r["mean_spread"] - 1.49) < 0.01
assert abs(r["mean_profit"] - 65.0) < 5 * r["se_profit"] + 0.01 * 65.0
assert abs(r["std_profit"] - 6.6) < 0.10 * 6.6
assert abs(r["std_final_q"] - 2.9) < 0.10 * 2.9
assert summary["std_final_q"].is_monotonic_decreasing    # more risk aversion, less inventory

# %% [markdown]
# ## 5. Hedging study
# Buy the ATM call on the index for one year at the chain's 1-year ATM vol and delta-hedge
# it 252 times, when the index then moves at 5 vol points more; hedged at the implied or
# at the actual vol. Both earn `BS(actual) - BS(implied)` on average; hedging at the
# actual vol locks it in path by path (a smaller spread of P&L).

# %%
one_year = forwards.iloc[(forwards["t"] - 1.0).abs().argmin()]
spot, iv = float(quotes["underlying_price"].median()), float(one_year["atm_iv"])
hedge = jm.HedgeParams(s0=spot, strike=spot, T=1.0, r=0.0, implied_vol=iv,
                       hedge_vol=jnp.array([iv, iv + 0.05]), actual_vol=iv + 0.05)
study = nb.hedge_summary(hedge, jax.random.PRNGKey(1), 20_000, 252)
print(study[["implied_vol", "hedge_vol", "actual_vol", "mean_pnl", "se_pnl", "std_pnl"]])
edge = float(jm.black.bs_price(spot, spot, 1.0, iv + 0.05, True) - jm.black.bs_price(spot, spot, 1.0, iv, True))
for _, s in study.iterrows():
    # 4 standard errors plus the discrete-hedging bias (O(1/N) of the edge)
    assert abs(s["mean_pnl"] - edge) < 4 * s["se_pnl"] + 0.01 * edge, (s["mean_pnl"], edge)
assert study["std_pnl"].iloc[1] < study["std_pnl"].iloc[0]
print(f"edge BS({iv + 0.05:.3f}) - BS({iv:.3f}) = {edge:.2f} per option on S = {spot:.2f}")
