"""Daily series: index and vol index, two ETFs with premiums to NAV, a prediction market.

All on Mon-Fri business days with a business-day clock (``Delta = 1/252``).

**Spot and vol index** (``daily/spot_vol.csv``): log-vol Ornstein-Uhlenbeck stochastic
volatility with leverage::

    d ln S = (mu - v^2 / 2) dt + v dW_1
    d ln v = kappa (ln v_bar - ln v) dt + omega dW_2,      dW_1 dW_2 = rho dt  (rho < 0)

ln v is advanced exactly, ln S by Euler with v frozen over the day (sharing W_1). The vol
index (in vol points, like VIX) is the model's expected average variance over the next
``T = vol_index_days / 365`` years, times a premium ``p``::

    VIX_t = 100 p sqrt( (1/T) int_0^T E_t[v_{t+u}^2] du ),
    E_t[v_{t+u}^2] = exp(2 m(u) + 2 s^2(u)),  m(u) = ln v_bar + (ln v_t - ln v_bar) e^{-kappa u},
    s^2(u) = omega^2 (1 - e^{-2 kappa u}) / (2 kappa)

(60-point midpoint rule). Its spot-vol slope, the regression beta of dVIX on d ln S, is
``beta_t = rho omega (dVIX/d ln v)_t / v_t`` VIX points per unit log return (truth per
date; ``beta / VIX`` is the relative "vol path" slope of seed 001, about -3).

**ETFs** (``daily/etf.csv``): two funds on the same index. NAV log return = index log
return + N(0, tracking_vol^2 Delta) - expense_ratio Delta. Price = NAV (1 + p_t) with the
premium an AR(1) with spikes::

    p_t = mu + phi (p_{t-1} - mu) + sigma e_t + J_t,   J_t = N(0, spike_size^2) w.p. spike_prob

Prices are rounded to $0.01, NAVs to 4 decimals.

**Prediction market** (``daily/prediction.csv``): a contract paying 1 if the futures
settles above K at T. The futures is its own driftless GBM (vol ``vol``; not the synthetic
CL curve, so the contract's strike and vol are free parameters). Fair value is the tight
call spread ``(C(K - dK) - C(K + dK)) / (2 dK)`` by Black-76 at that vol with no
discounting (collateralised), and its delta the same difference of call deltas. Traded::

    o_t = a o_{t-1} + (s - 1) (fair_t - fair_{t-1})      overreaction, s > 1, decays at a
    pm_t = clip(round(fair_t + o_t + N(0, noise^2), tick), 0.01, 0.99)

so a regression of d pm on d fair has slope s (the market overreacts to futures moves)
and the traded price mean-reverts toward fair value.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from jaxmm.synthetic import calendar as cal
from jaxmm.synthetic._util import write_parquet, write_text

DAYS_PER_YEAR = 252.0
_N_QUAD = 60


def simulate_spot_vol(rng: np.random.Generator, n: int, d: dict):
    """(ln S, ln v) paths of length n."""
    dlt = 1.0 / DAYS_PER_YEAR
    k, om, rho = d["vol_kappa"], d["vol_of_vol"], d["spot_vol_corr"]
    xbar = math.log(d["vol_mean"])
    z1, z2 = rng.standard_normal((n - 1, 2)).T   # day-major: a longer series keeps its prefix
    decay = math.exp(-k * dlt)
    sd_x = om * math.sqrt((1 - decay**2) / (2 * k))
    x = np.empty(n)
    x[0] = math.log(d["vol0"])
    shock_x = sd_x * (rho * z1 + math.sqrt(1 - rho**2) * z2)
    for j in range(n - 1):   # exact OU recursion, one step per business day
        x[j + 1] = xbar + (x[j] - xbar) * decay + shock_x[j]
    v = np.exp(x[:-1])
    ln_s = math.log(d["spot0"]) + np.concatenate([[0.0], np.cumsum((d["drift"] - 0.5 * v**2) * dlt
                                                                    + v * math.sqrt(dlt) * z1)])
    return ln_s, x


def vol_index(x: np.ndarray, d: dict) -> tuple[np.ndarray, np.ndarray]:
    """(VIX-like index in points, its derivative in ln v) for log-vol states x."""
    k, om = d["vol_kappa"], d["vol_of_vol"]
    horizon = d["vol_index_days"] / 365.0
    u = (np.arange(_N_QUAD) + 0.5) / _N_QUAD * horizon
    xbar = math.log(d["vol_mean"])
    m = xbar + (x[:, None] - xbar) * np.exp(-k * u)
    s2 = om**2 * (1 - np.exp(-2 * k * u)) / (2 * k)
    ev2 = np.exp(2 * m + 2 * s2)
    integral = ev2.mean(axis=1)
    d_integral = (2 * np.exp(-k * u) * ev2).mean(axis=1)
    level = 100 * d["vol_risk_premium"] * np.sqrt(integral)
    return level, 100 * d["vol_risk_premium"] * d_integral / (2 * np.sqrt(integral))


def _fund(rng: np.random.Generator, ln_s: np.ndarray, fund: dict):
    """(NAV, premium, spike flags). Four normals per day, day-major (prefix-stable)."""
    n, dlt = len(ln_s), 1.0 / DAYS_PER_YEAR
    z = rng.standard_normal((n, 4))          # tracking, premium innovation, spike?, spike size
    r = np.diff(ln_s) + fund["tracking_vol"] * math.sqrt(dlt) * z[1:, 0] - fund["expense_ratio"] * dlt
    nav = fund["nav0"] * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    spike = (z[:, 2] > NormalDist().inv_cdf(1.0 - fund["spike_prob"])) if fund["spike_prob"] > 0 \
        else np.zeros(n, bool)
    spike[0] = False
    jump = np.where(spike, fund["spike_size"] * z[:, 3], 0.0)
    mu, phi = fund["premium_mean"], fund["premium_phi"]
    p = np.empty(n)
    p[0] = mu
    for j in range(1, n):   # AR(1) recursion
        p[j] = mu + phi * (p[j - 1] - mu) + fund["premium_vol"] * z[j, 1] + jump[j]
    return nav, p, spike


def call_spread(futures, t, pm: dict):
    """Fair value and delta of the (K - dK, K + dK) call spread per unit width (Black-76, D = 1)."""
    from jaxmm.pricing import black  # JAX loads only when this series is generated

    lo, hi, w = pm["strike"] - pm["half_width"], pm["strike"] + pm["half_width"], 2 * pm["half_width"]
    fair = (np.asarray(black.price(futures, lo, t, pm["vol"], True))
            - np.asarray(black.price(futures, hi, t, pm["vol"], True))) / w
    delta = (np.asarray(black.delta(futures, lo, t, pm["vol"], True))
             - np.asarray(black.delta(futures, hi, t, pm["vol"], True))) / w
    return fair, delta


DAILY_TRUTH = pa.schema([
    pa.field("date", pa.date32(), False), pa.field("spot", pa.float64(), False),
    pa.field("vol_inst", pa.float64(), False), pa.field("vol_index", pa.float64(), False),
    pa.field("spot_vol_beta", pa.float64(), False), pa.field("spot_vol_slope_rel", pa.float64(), False),
    pa.field("etf_a_nav", pa.float64(), False), pa.field("etf_a_premium", pa.float64(), False),
    pa.field("etf_a_spike", pa.bool_(), False), pa.field("etf_b_nav", pa.float64(), False),
    pa.field("etf_b_premium", pa.float64(), False), pa.field("etf_b_spike", pa.bool_(), False),
])

PREDICTION_TRUTH = pa.schema([
    pa.field("date", pa.date32(), False), pa.field("futures", pa.float64(), False),
    pa.field("t", pa.float64(), False), pa.field("fair_value", pa.float64(), False),
    pa.field("delta", pa.float64(), False), pa.field("overreaction", pa.float64(), False),
    pa.field("pm_price_model", pa.float64(), False),
])


def generate(d: dict, out_dir: Path, rngs: dict[str, np.random.Generator]):
    """Write daily/{spot_vol,etf,prediction}.csv and truth/{daily,prediction}_truth.parquet.

    Returns (files, truth files, derived facts for params.json).
    """
    dates = cal.business_days(d["start"], d["end"])
    n = len(dates)
    ln_s, x = simulate_spot_vol(rngs["spot_vol"], n, d)
    spot, v = np.exp(ln_s), np.exp(x)
    vix, dvix = vol_index(x, d)
    beta = d["spot_vol_corr"] * d["vol_of_vol"] * dvix / v
    date_s = [str(t) for t in dates]
    files = []

    rel = "daily/spot_vol.csv"
    write_text(out_dir / rel, ["date,spot,vol_index"]
               + [f"{a},{s:.2f},{q:.2f}" for a, s, q in zip(date_s, spot, vix)])
    files.append(str(out_dir / rel))

    etf = {}
    for name in ("etf_a", "etf_b"):
        fund = d[name]
        nav, prem, spike = _fund(rngs[name], ln_s, fund)
        etf[name] = (nav, prem, spike, np.round(nav * (1 + prem), 2), np.round(nav, 4))
    rel = "daily/etf.csv"
    a, b = etf["etf_a"], etf["etf_b"]
    write_text(out_dir / rel, ["date,etf_a_price,etf_a_nav,etf_b_price,etf_b_nav"]
               + [f"{t},{pa_:.2f},{na:.4f},{pb:.2f},{nb:.4f}"
                  for t, pa_, na, pb, nb in zip(date_s, a[3], a[4], b[3], b[4])])
    files.append(str(out_dir / rel))

    write_parquet(out_dir / "truth" / "daily_truth.parquet", {
        "date": list(dates.astype(dt.date)), "spot": spot, "vol_inst": v, "vol_index": vix,
        "spot_vol_beta": beta, "spot_vol_slope_rel": beta / vix,
        "etf_a_nav": a[0], "etf_a_premium": a[1], "etf_a_spike": a[2],
        "etf_b_nav": b[0], "etf_b_premium": b[1], "etf_b_spike": b[2],
    }, DAILY_TRUTH)

    # Prediction market, on its own dates (up to the business day before resolution).
    pm = d["prediction"]
    pdates = cal.business_days(pm["start"], pm["expiry"] - dt.timedelta(days=1))
    t = cal.busday_count(pdates, np.datetime64(pm["expiry"])) / DAYS_PER_YEAR
    rng = rngs["prediction"]
    dlt = 1.0 / DAYS_PER_YEAR
    z = rng.standard_normal((len(pdates), 2))   # futures shock, price noise (day-major)
    fut = pm["futures0"] * np.exp(np.concatenate([[0.0], np.cumsum(-0.5 * pm["vol"] ** 2 * dlt
                                                                   + pm["vol"] * math.sqrt(dlt) * z[1:, 0])]))
    fair, delta = call_spread(fut, t, pm)
    over = np.zeros(len(pdates))
    for j in range(1, len(pdates)):
        over[j] = pm["persistence"] * over[j - 1] + (pm["overreaction"] - 1) * (fair[j] - fair[j - 1])
    model = fair + over + pm["noise"] * z[:, 1]
    price = np.clip(np.round(model / pm["tick"]) * pm["tick"], 0.01, 0.99)
    decimals = max(2, -int(math.floor(math.log10(pm["tick"]) + 1e-9)))
    rel = "daily/prediction.csv"
    write_text(out_dir / rel, ["date,futures,pm_price"]
               + [f"{a_},{f_:.2f},{p_:.{decimals}f}" for a_, f_, p_ in zip(map(str, pdates), fut, price)])
    files.append(str(out_dir / rel))
    write_parquet(out_dir / "truth" / "prediction_truth.parquet", {
        "date": list(pdates.astype(dt.date)), "futures": fut, "t": t, "fair_value": fair,
        "delta": delta, "overreaction": over, "pm_price_model": model,
    }, PREDICTION_TRUTH)

    derived = {
        "n_dates": n, "n_prediction_dates": int(len(pdates)),
        "spot_vol_beta_mean": float(beta.mean()), "spot_vol_slope_rel_mean": float((beta / vix).mean()),
        **{f"{name}_innovation_sd": math.sqrt(d[name]["premium_vol"] ** 2
                                              + d[name]["spike_prob"] * d[name]["spike_size"] ** 2)
           for name in ("etf_a", "etf_b")},
        **{f"{name}_n_spikes": int(etf[name][2].sum()) for name in ("etf_a", "etf_b")},
    }
    truth = [str(out_dir / "truth" / "daily_truth.parquet"), str(out_dir / "truth" / "prediction_truth.parquet")]
    return files, truth, derived
