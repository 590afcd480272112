"""Futures settlements (WTI-like) from a two-factor Schwartz-Smith model, with a high
front-month volatility regime.

Model (Schwartz & Smith, "Short-term variations and long-term dynamics in commodity
prices", Management Science 46 (2000)), risk neutral, on a business-day clock
(``Delta = 1/252`` per Mon-Fri business day; ``tau`` = business days to expiry / 252)::

    d chi = -kappa chi dt + sigma_chi(t) dW_chi        short-term factor (OU)
    d xi  = sigma_xi dW_xi                             long-term factor (Brownian)
    dW_chi dW_xi = rho dt

    ln F(t, T) = xi_t + exp(-kappa tau) chi_t + s(T) + c(t, T)
    s(T) = contango * tau_0(T) + A cos(2 pi (month(T) - peak) / 12)     seasonal/contango
    c(t, T) = -1/2 sum over past steps of v_j(T)                         convexity

where ``v_j(T)`` is the variance of the step-j log change ``exp(-kappa tau_{j+1}) e_chi +
e_xi`` (exact OU/Brownian increments ``e``), so ``E_t[F(t + Delta, T)] = F(t, T)``: every
futures price is a martingale. Instantaneous vol and M1/M12 co-movement::

    sigma(t, T)^2 = sigma_chi^2 e^{-2 kappa tau} + sigma_xi^2 + 2 rho sigma_chi sigma_xi e^{-kappa tau}
    cov(1, 12) = sigma_chi^2 e^{-kappa (tau_1 + tau_12)} + sigma_xi^2
                 + rho sigma_chi sigma_xi (e^{-kappa tau_1} + e^{-kappa tau_12})
    corr = cov / (sigma_1 sigma_12),  beta = cov / sigma_1^2   (M12 log return on M1's)
    h = beta F_12 / F_1 ($ move of M12 per $1 of M1),  h^2 = gamma multiplier (seed 001)

High-vol regime: on dates in [regime_start, regime_end] ``sigma_chi`` is multiplied by
``regime_multiplier`` (the step ending on a date uses that date's sigma_chi). With the
defaults M1 vol goes from ~28% to ~75% while M12 stays ~18%, and h^2 collapses from ~0.25
to ~0.03 (as WTI in March 2026).

Listing: monthly contracts ``<root><month letter><yy>`` (CLZ25 = December 2025 delivery),
expiry by the WTI rule of :func:`jaxmm.synthetic.calendar.wti_expiry`; on each date the
``n_listed`` nearest contracts with expiry >= date are settled (rounded to $0.01).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow as pa

from jaxmm.io.errors import Reason
from jaxmm.synthetic import calendar as cal
from jaxmm.synthetic._util import BadRow, write_parquet, write_text

DAYS_PER_YEAR = 252.0
HEADER = "date,contract,expiry,settle,volume,open_interest"
BAD_KINDS = (
    ("negative_settle", Reason.NONPOSITIVE_PRICE),   # settle < 0 (readers need settle > 0)
    ("non_numeric_settle", Reason.NON_NUMERIC),      # settle '#N/A'
    ("bad_date", Reason.BAD_DATE),                   # date 'YYYY-02-30'
    ("duplicate_row", Reason.DUPLICATE_ROW),         # line repeated right after itself
    ("inconsistent_expiry", Reason.INCONSISTENT_EXPIRY),  # expiry one business day later
)


def contract_universe(f: dict, dates: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(codes, expiries datetime64[D], delivery months 1-12) of every contract listed at some date."""
    start, end = dates[0].astype(dt.date), dates[-1].astype(dt.date)
    codes, expiries, months = [], [], []
    y, m = start.year, start.month
    while True:
        exp = cal.wti_expiry(y, m)
        if exp >= start:
            codes.append(cal.contract_code(f["root"], y, m)), expiries.append(exp), months.append(m)
        # Enough contracts beyond the last date to list n_listed of them.
        if exp > end and sum(e > end for e in expiries) >= f["n_listed"]:
            break
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return codes, np.array(expiries, dtype="datetime64[D]"), np.array(months)


def sigma_chi_path(f: dict, dates: np.ndarray) -> np.ndarray:
    d = dates.astype("datetime64[D]")
    regime = (d >= np.datetime64(f["regime_start"])) & (d <= np.datetime64(f["regime_end"]))
    return np.where(regime, f["sigma_chi"] * f["regime_multiplier"], f["sigma_chi"])


def step_moments(sig_chi_next: np.ndarray, f: dict) -> tuple[np.ndarray, float, np.ndarray]:
    """Exact variances/covariance of the factor increments over one business day."""
    k, dlt = f["kappa"], 1.0 / DAYS_PER_YEAR
    var_chi = sig_chi_next**2 * (1 - math.exp(-2 * k * dlt)) / (2 * k)
    var_xi = f["sigma_xi"] ** 2 * dlt
    cov = f["rho"] * sig_chi_next * f["sigma_xi"] * (1 - math.exp(-k * dlt)) / k
    return var_chi, var_xi, cov


def simulate_factors(rng: np.random.Generator, n_paths: int, sig_chi: np.ndarray, f: dict):
    """chi, xi paths, shape (n_paths, n_dates), exact OU / Brownian increments."""
    n = len(sig_chi)
    var_chi, var_xi, cov = step_moments(sig_chi[1:], f)
    z = rng.standard_normal((n_paths, n - 1, 2))   # date-major per path: a longer span keeps its prefix
    sd_chi = np.sqrt(var_chi)
    e_chi = sd_chi * z[..., 0]
    load = np.divide(cov, sd_chi, out=np.zeros_like(cov), where=sd_chi > 0)
    e_xi = load * z[..., 0] + np.sqrt(np.maximum(var_xi - load**2, 0.0)) * z[..., 1]
    decay = math.exp(-f["kappa"] / DAYS_PER_YEAR)
    chi = np.empty((n_paths, n))
    chi[:, 0] = f["chi0"]
    for j in range(n - 1):   # a 1-D recursion over ~500 dates; paths are vectorised
        chi[:, j + 1] = chi[:, j] * decay + e_chi[:, j]
    xi = math.log(f["f0"]) + np.concatenate([np.zeros((n_paths, 1)), np.cumsum(e_xi, axis=1)], axis=1)
    return chi, xi


def curve_terms(f: dict, dates: np.ndarray, expiries: np.ndarray, months: np.ndarray, sig_chi: np.ndarray):
    """tau (n_dates, n_contracts), seasonal s(T), convexity c(t, T) of the log-futures formula."""
    tau = cal.busday_count(dates[:, None], expiries[None, :]) / DAYS_PER_YEAR
    season = (f["contango"] * tau[0]
              + f["seasonal_amplitude"] * np.cos(2 * np.pi * (months - f["seasonal_peak_month"]) / 12))
    var_chi, var_xi, cov = step_moments(sig_chi[1:], f)
    e_next = np.exp(-f["kappa"] * tau[1:])          # loading of the chi shock ending at j+1
    v = e_next**2 * var_chi[:, None] + var_xi + 2 * e_next * cov[:, None]
    cvx = -0.5 * np.concatenate([np.zeros((1, len(expiries))), np.cumsum(v, axis=0)], axis=0)
    return tau, season, cvx


def log_futures(chi, xi, tau, season, cvx, kappa: float):
    """ln F for factor paths (..., n_dates) and contracts: shape (..., n_dates, n_contracts)."""
    return xi[..., None] + np.exp(-kappa * tau) * chi[..., None] + season + cvx


def model_vols(f: dict, tau, sig_chi):
    """sigma(t, T) (n_dates, n_contracts)."""
    e = np.exp(-f["kappa"] * tau)
    s = sig_chi[:, None]
    return np.sqrt(s**2 * e**2 + f["sigma_xi"] ** 2 + 2 * f["rho"] * s * f["sigma_xi"] * e)


TRUTH_SCHEMA = pa.schema([
    pa.field("date", pa.date32(), False), pa.field("contract", pa.string(), False),
    pa.field("expiry", pa.date32(), False), pa.field("tenor", pa.int32(), False),
    pa.field("tau", pa.float64(), False), pa.field("settle_model", pa.float64(), False),
    pa.field("sigma_model", pa.float64(), False), pa.field("sigma_chi", pa.float64(), False),
    pa.field("regime", pa.bool_(), False), pa.field("chi", pa.float64(), False),
    pa.field("xi", pa.float64(), False), pa.field("corr_m1_m12", pa.float64(), False),
    pa.field("beta_m12_m1", pa.float64(), False), pa.field("h", pa.float64(), False),
    pa.field("h2", pa.float64(), False),
])


def _corrupt(lines: list[list[str]], n_bad: int, rng: np.random.Generator) -> dict[int, str]:
    """Choose victims (index into lines -> kind); mutate fields in place (not duplicates)."""
    n_bad = min(n_bad, len(lines) // 2)
    first_of = {}
    for i, ln in enumerate(lines):
        first_of.setdefault(ln[1], i)
    order = rng.permutation(len(lines))
    victims: dict[int, str] = {}
    protected = set()   # first rows of contracts that carry an inconsistent-expiry victim
    j = 0
    for idx in order:
        if len(victims) == n_bad:
            break
        idx = int(idx)
        kind = BAD_KINDS[j % len(BAD_KINDS)][0]
        if idx in victims or idx in protected:
            continue
        if kind == "inconsistent_expiry":
            first = first_of[lines[idx][1]]
            if first == idx or first in victims:   # needs a clean earlier row of the contract
                continue
            protected.add(first)
        victims[idx] = kind
        j += 1
    for idx, kind in victims.items():
        f = lines[idx]
        if kind == "negative_settle":
            f[3] = "-" + f[3]
        elif kind == "non_numeric_settle":
            f[3] = "#N/A"
        elif kind == "bad_date":
            f[0] = f[0][:5] + "02-30"
        elif kind == "inconsistent_expiry":
            f[2] = str(np.busday_offset(np.datetime64(f[2]), 1))
    return victims


def generate(f: dict, out_dir: Path, rngs: dict[str, np.random.Generator]):
    """Write futures/settlements.csv and truth/futures_truth.parquet.

    Returns (files, truth files, bad rows, derived facts for params.json).
    """
    dates = cal.business_days(f["start"], f["end"])
    codes, expiries, months = contract_universe(f, dates)
    sig_chi = sigma_chi_path(f, dates)
    chi, xi = simulate_factors(rngs["path"], 1, sig_chi, f)
    tau, season, cvx = curve_terms(f, dates, expiries, months, sig_chi)
    log_f = log_futures(chi[0], xi[0], tau, season, cvx, f["kappa"])
    vols = model_vols(f, tau, sig_chi)

    # Listed: the n_listed nearest contracts with expiry >= date (expiries are sorted).
    first = np.searchsorted(expiries, dates.astype("datetime64[D]"), side="left")
    listed = first[:, None] + np.arange(f["n_listed"])[None, :]       # (n_dates, n_listed)
    rows_d = np.repeat(np.arange(len(dates)), f["n_listed"])
    rows_c = listed.ravel()
    settle_exact = np.exp(log_f[rows_d, rows_c])
    settle = np.round(settle_exact, 2)
    tenor = np.tile(np.arange(1, f["n_listed"] + 1), len(dates))

    rng = rngs["activity"]
    bd_left = tau[rows_d, rows_c] * DAYS_PER_YEAR
    vol_mean = 250_000 * np.exp(-0.45 * (tenor - 1)) * np.where((tenor == 1) & (bd_left < 3), 0.3, 1.0)
    volume = rng.poisson(vol_mean * rng.gamma(4.0, 0.25, len(rows_d)))
    oi = rng.poisson(320_000 * np.exp(-0.25 * (tenor - 1)) * rng.gamma(8.0, 0.125, len(rows_d)))

    date_s = [str(d) for d in dates]
    exp_s = [str(e) for e in expiries]
    lines = [[date_s[d], codes[c], exp_s[c], f"{s:.2f}", str(v), str(o)]
             for d, c, s, v, o in zip(rows_d, rows_c, settle, volume, oi)]
    victims = _corrupt(lines, f["bad_rows"], rngs["bad"])
    rel = "futures/settlements.csv"
    text, bad_rows = [HEADER], []
    reasons = {k: r.value for k, r in BAD_KINDS}
    for i, ln in enumerate(lines):
        text.append(",".join(ln))
        kind = victims.get(i)
        if kind is None:
            continue
        if kind == "duplicate_row":
            text.append(",".join(ln))   # the copy is the bad record
        bad_rows.append(BadRow("futures", rel, len(text), "", reasons[kind], kind,
                               f"{kind}: {ln[0]} {ln[1]}"))
    write_text(out_dir / rel, text)

    # Per-date M1/M12 co-movement (M12 = 12th listed contract).
    e = np.exp(-f["kappa"] * tau)
    n = np.arange(len(dates))
    c1, c12 = listed[:, 0], listed[:, 11]
    e1, e12 = e[n, c1], e[n, c12]
    cov = (sig_chi**2 * e1 * e12 + f["sigma_xi"] ** 2 + f["rho"] * sig_chi * f["sigma_xi"] * (e1 + e12))
    s1, s12 = vols[n, c1], vols[n, c12]
    corr, beta = cov / (s1 * s12), cov / s1**2
    h = beta * np.exp(log_f[n, c12] - log_f[n, c1])
    regime = sig_chi != f["sigma_chi"]
    py_dates = dates.astype(dt.date)
    write_parquet(out_dir / "truth" / "futures_truth.parquet", {
        "date": list(py_dates[rows_d]), "contract": [codes[c] for c in rows_c],
        "expiry": list(expiries.astype(dt.date)[rows_c]), "tenor": tenor.astype(np.int32),
        "tau": tau[rows_d, rows_c], "settle_model": settle_exact, "sigma_model": vols[rows_d, rows_c],
        "sigma_chi": sig_chi[rows_d], "regime": regime[rows_d], "chi": chi[0][rows_d], "xi": xi[0][rows_d],
        "corr_m1_m12": corr[rows_d], "beta_m12_m1": beta[rows_d], "h": h[rows_d], "h2": (h**2)[rows_d],
    }, TRUTH_SCHEMA)

    derived = {"n_dates": int(len(dates)), "n_rows": int(len(lines)), "n_contracts": len(codes),
               "mean_h2_outside_regime": float(np.mean(h[~regime] ** 2)),
               "mean_h2_in_regime": float(np.mean(h[regime] ** 2)) if regime.any() else None,
               "clock": "business days, 1/252 year each; tau = business days to expiry / 252"}
    return [str(out_dir / rel)], [str(out_dir / "truth" / "futures_truth.parquet")], bad_rows, derived
