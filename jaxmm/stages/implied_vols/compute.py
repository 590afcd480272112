"""Implied-vol stage: forwards and discount factors per chain snapshot, IVs and Greeks per
quote, and the put-call parity (conversion / reversal) scan.

Per (source, underlying, root, quote_date, expiry) slice (``jaxmm.io.labels.SLICE_KEYS``):

* ``t``: years from the slice's as-of time (its latest ``quote_time``) to its root's
  ``settlement_time`` (both from the ingest stage, ``jaxmm.io.conventions``: AM series at
  the open of the expiry date, PM at its close, Deribit 08:00 UTC), ACT/365
  (``day_count: act365``); or the exchange sessions from the as-of date to the expiry
  date / 252 (``business252``; holidays excluded by the source's calendar, Mon-Fri days
  for a venue without one; the as-of day counts as over).
* forward ``F`` and discount factor ``D`` from put-call parity (:mod:`jaxmm.pricing.parity`:
  robust regression of C - P on K per expiry, its rate checked against ``parity.rate_band``,
  its standard error against ``parity.max_rate_se`` and the discount curve of the snapshot
  for monotonicity; a failing expiry takes D from a curve smoothed through the snapshot's
  trusted expiries, or from the configured ``rates``, and F from parity with D fixed).
  ``forward_method`` says how F and D were found, ``rate_status`` why;
  ``rate = -ln(D) / t`` is the rate used, ``regression_rate`` (with its standard error)
  the regression's own.
* ``atm_iv``: the mid IV of the out-of-the-money quotes interpolated linearly in
  ``k = ln(K / F)`` at ``k = 0``.

Per quote: ``bid_iv``, ``mid_iv``, ``ask_iv`` (Black-76 on F, D, t) with their statuses
(``IVStatus`` names in lower case, dictionary-encoded), the Black-76 Greeks at ``mid_iv`` and a ``quote_status``. Every
input quote gives one output row (checked).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from jaxmm.io.labels import IV_STATUS_LABELS, SLICE_KEYS, SNAPSHOT_KEYS, QuoteStatus
from jaxmm.pricing import parity
from jaxmm.settings import ImpliedVolsSettings
from jaxmm.stages.frames import to_table
from jaxmm.stages.implied_vols import schema as implied_vols_schema

log = logging.getLogger(__name__)

IV_SIDES = ("bid", "mid", "ask")


# --------------------------------------------------------------------------- settings

def parity_settings(section: ImpliedVolsSettings | dict | None) -> parity.ParitySettings:
    p = ImpliedVolsSettings.of(section).parity
    return parity.ParitySettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()})


def rate_curve(section: ImpliedVolsSettings | dict) -> parity.RateCurve | None:
    """The configured zero-rate curve (``implied_vols.rates``: a number or {tenor_years: rate};
    None when not configured)."""
    rates = ImpliedVolsSettings.of(section).rates
    return None if rates is None else parity.RateCurve.from_config(rates)


def year_fractions(slices: pd.DataFrame, section: ImpliedVolsSettings | dict) -> np.ndarray:
    """Years to expiry of each slice by the section's day count (module doc): ``act365``
    from ``quote_time`` to ``settlement_time``; ``business252`` from the sessions of the
    slice's ``calendar`` in (quote_date, expiry]."""
    if ImpliedVolsSettings.of(section).day_count == "business252":
        from jaxmm.io.conventions import sessions_between

        start = pd.to_datetime(slices["quote_date"]).to_numpy("datetime64[D]")
        end = pd.to_datetime(slices["expiry"]).to_numpy("datetime64[D]")
        codes = slices["calendar"].fillna("")   # "": no calendar (Mon-Fri days)
        days = np.zeros(len(slices), np.int64)
        for code, idx in codes.groupby(codes, sort=False).indices.items():   # one call per calendar
            days[idx] = sessions_between(code or None, start[idx], end[idx])
        return days / 252.0
    settle = pd.to_datetime(slices["settlement_time"], utc=True)
    return ((settle - pd.to_datetime(slices["quote_time"], utc=True)).dt.total_seconds() / (365.0 * 86400.0)).to_numpy()


# --------------------------------------------------------------------------- numerics helpers

def black_greeks(forward, strike, t, vol, is_call, discount) -> dict[str, np.ndarray]:
    """Black-76 delta, gamma, vega and theta: the one place this stage names its Greeks.

    ``delta = dV/dF``, ``gamma = d2V/dF2``, ``vega = dV/dsigma`` (per unit of vol),
    ``theta = -dV/dt`` at fixed F and D (per year; the premium's carry ``r V`` is not in
    it), all autodiff of ``jaxmm.pricing.black.price``.
    """
    from jaxmm.pricing import black

    args = [np.asarray(a, float) for a in (forward, strike, t, vol)]
    is_call, discount = np.asarray(is_call, bool), np.asarray(discount, float)
    return {"delta": np.asarray(black.delta(*args, is_call, discount)),
            "gamma": np.asarray(black.gamma(*args, discount)),
            "vega": np.asarray(black.vega(*args, discount)),
            "theta": np.asarray(black.theta(*args, discount))}


def atm_vol(k: np.ndarray, vol: np.ndarray) -> float:
    """Vol at k = 0 by linear interpolation between the nearest points either side; NaN
    unless the points bracket 0."""
    if len(k) == 0 or not (k.min() <= 0.0 <= k.max()):
        return np.nan
    order = np.argsort(k)
    return float(np.interp(0.0, k[order], vol[order]))


# --------------------------------------------------------------------------- forwards

def _pairs_table(chains: pd.DataFrame, slice_id: np.ndarray) -> pd.DataFrame:
    """One row per (slice, strike) with both a call and a put: their bids and asks.

    Where a slice holds two snapshots of a strike (two files, one day), the later wins.
    """
    q = chains.assign(slice_id=slice_id).sort_values("quote_time", kind="stable")
    q = q.drop_duplicates(["slice_id", "strike", "right"], keep="last")
    cols = ["slice_id", "strike", "bid", "ask"]
    calls = q.loc[q["right"] == "C", cols].rename(columns={"bid": "call_bid", "ask": "call_ask"})
    puts = q.loc[q["right"] == "P", cols].rename(columns={"bid": "put_bid", "ask": "put_ask"})
    return calls.merge(puts, on=["slice_id", "strike"], how="inner").sort_values(["slice_id", "strike"])


def slice_forwards(chains: pd.DataFrame, section: ImpliedVolsSettings | dict) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Forwards table (one row per slice), each quote's slice index, and the pairs table."""
    groups = chains.groupby(SLICE_KEYS, sort=True)
    slice_id = groups.ngroup().to_numpy()
    slices = groups.agg(quote_time=("quote_time", "max"), settlement_time=("settlement_time", "first"),
                        calendar=("calendar", "first"), underlying_price=("underlying_price", "median"),
                        n_quotes=("strike", "size")).reset_index()
    slices["t"] = year_fractions(slices, section)

    pairs_table = _pairs_table(chains, slice_id)
    two_sided = pairs_table[(pairs_table[["call_bid", "call_ask", "put_bid", "put_ask"]] > 0).all(axis=1)]
    pairs = [parity.Pairs.empty() for _ in range(len(slices))]
    for sid, g in two_sided.groupby("slice_id"):
        pairs[sid] = parity.Pairs(g["strike"].to_numpy(float), (0.5 * (g["call_bid"] + g["call_ask"])).to_numpy(),
                                  (0.5 * (g["put_bid"] + g["put_ask"])).to_numpy(),
                                  (g["call_ask"] - g["call_bid"]).to_numpy(), (g["put_ask"] - g["put_bid"]).to_numpy())

    settings, curve = parity_settings(section), rate_curve(section)
    fits: list[parity.SliceForward | None] = [None] * len(slices)
    for idx in slices.groupby(SNAPSHOT_KEYS, sort=False).indices.values():   # one snapshot at a time
        found = parity.implied_forwards(slices["t"].to_numpy()[idx], slices["underlying_price"].to_numpy(float)[idx],
                                        [pairs[i] for i in idx], settings, curve)
        for i, fit in zip(idx, found):
            fits[i] = fit
    slices["forward"] = [f.forward for f in fits]
    slices["discount"] = [f.discount for f in fits]
    with np.errstate(divide="ignore", invalid="ignore"):
        slices["rate"] = np.where(slices["t"] > 0, -np.log(slices["discount"]) / slices["t"], np.nan)
    slices["regression_rate"] = [f.regression_rate for f in fits]
    slices["regression_rate_se"] = [f.regression_rate_se for f in fits]
    slices["rate_status"] = [f.rate_status.value for f in fits]
    slices["forward_se"] = [f.forward_se for f in fits]
    slices["n_pairs"] = np.array([f.n_pairs for f in fits], np.int64)
    slices["n_downweighted"] = np.array([f.n_downweighted for f in fits], np.int64)
    slices["residual_std"] = [f.residual_std for f in fits]
    slices["forward_method"] = [f.label for f in fits]
    return slices, slice_id, pairs_table


# --------------------------------------------------------------------------- quotes

def quote_vols(chains: pd.DataFrame, slices: pd.DataFrame, slice_id: np.ndarray) -> pd.DataFrame:
    """Every quote with its slice's t, F, D, its bid/mid/ask IVs, statuses and Greeks."""
    from jaxmm.pricing.iv import IVStatus, implied_vol

    q = chains.reset_index(drop=True).copy()
    for col in ("t", "forward", "discount", "forward_method"):
        q[col] = slices[col].to_numpy()[slice_id]
    strike, forward, discount, t = (q[c].to_numpy(float) for c in ("strike", "forward", "discount", "t"))
    bid, ask = q["bid"].to_numpy(float), q["ask"].to_numpy(float)
    is_call = (q["right"] == "C").to_numpy()
    have_forward = np.isfinite(forward)
    two_sided = bid > 0            # the ingest stage quarantines ask <= 0
    q["mid"] = 0.5 * (bid + ask)
    with np.errstate(divide="ignore", invalid="ignore"):
        q["log_moneyness"] = np.log(strike / forward)
    q["otm"] = np.where(is_call, strike >= forward, strike < forward) & have_forward

    # One solver call for the three sides, shape (3, n_quotes); sides not attempted are masked.
    prices = np.stack([np.where(two_sided, bid, np.nan), np.where(two_sided, q["mid"], np.nan), ask])
    attempted = np.stack([two_sided & have_forward, two_sided & have_forward, have_forward])
    safe_forward = np.where(have_forward, forward, 1.0)
    safe_discount = np.where(have_forward, discount, 1.0)
    vol, status = (np.asarray(a) for a in implied_vol(prices, safe_forward, strike, t, is_call, safe_discount))
    for i, side in enumerate(IV_SIDES):
        q[f"{side}_iv"] = np.where(attempted[i], vol[i], np.nan)
        # Labels by code (IV_STATUS_LABELS[code]); null (code -1): not attempted.
        q[f"{side}_iv_status"] = pd.Categorical.from_codes(np.where(attempted[i], status[i], -1),
                                                           categories=IV_STATUS_LABELS)
    mid_ok = attempted[1] & (status[1] == IVStatus.OK)
    q["quote_status"] = np.select([~have_forward, ~two_sided, mid_ok],
                                  [QuoteStatus.NO_FORWARD, QuoteStatus.NO_BID, QuoteStatus.OK], QuoteStatus.UNSOLVED)

    # Greeks at the mid IV where it solved (placeholder inputs elsewhere, then masked).
    greeks = black_greeks(safe_forward, strike, np.where(mid_ok, t, 1.0), np.where(mid_ok, vol[1], 0.2),
                          is_call, safe_discount)
    for name, values in greeks.items():
        q[name] = np.where(mid_ok, values, np.nan)
    return q


def add_atm_vols(slices: pd.DataFrame, quotes: pd.DataFrame, slice_id: np.ndarray) -> None:
    """``atm_iv`` of each slice from its out-of-the-money quotes with a solved mid IV."""
    otm = quotes["otm"].to_numpy() & (quotes["quote_status"] == QuoteStatus.OK).to_numpy()
    k, vol = quotes["log_moneyness"].to_numpy(), quotes["mid_iv"].to_numpy()
    atm = np.full(len(slices), np.nan)
    for sid in np.unique(slice_id[otm]):
        sel = otm & (slice_id == sid)
        atm[sid] = atm_vol(k[sel], vol[sel])
    slices["atm_iv"] = atm


# --------------------------------------------------------------------------- parity scan

def parity_scan(pairs_table: pd.DataFrame, slices: pd.DataFrame, min_edge: float) -> pd.DataFrame:
    """Conversions and reversals with edge > ``min_edge`` (seed 000, strategy 3), best first."""
    p = pairs_table.merge(slices[SLICE_KEYS + ["t", "forward", "discount", "forward_method"]],
                          left_on="slice_id", right_index=True)
    p = p[np.isfinite(p["forward"])]
    conversion, reversal = parity.conversion_reversal_edges(
        p["strike"].to_numpy(), p["forward"].to_numpy(), p["discount"].to_numpy(), p["call_bid"].to_numpy(),
        p["call_ask"].to_numpy(), p["put_bid"].to_numpy(), p["put_ask"].to_numpy())
    legs = [  # strategy, call side and price, put side and price, forward side, edge, tradable
        ("conversion", "sell", p["call_bid"], "buy", p["put_ask"], "long", conversion, p["call_bid"] > 0),
        ("reversal", "buy", p["call_ask"], "sell", p["put_bid"], "short", reversal, p["put_bid"] > 0),
    ]
    keys = SLICE_KEYS + ["strike", "t", "forward", "discount", "forward_method"]
    frames = [p[keys].assign(strategy=name, call_side=cs, call_price=cp.to_numpy(), put_side=ps,
                             put_price=pp.to_numpy(), forward_side=fs, edge=edge)[ok.to_numpy()]
              for name, cs, cp, ps, pp, fs, edge, ok in legs]
    scan = pd.concat(frames, ignore_index=True)
    scan = scan[scan["edge"] > min_edge].sort_values("edge", ascending=False, kind="stable")
    scan["edge_bp"] = 1e4 * scan["edge"] / (scan["discount"] * scan["forward"])
    scan["rank"] = np.arange(1, len(scan) + 1, dtype=np.int64)
    return scan.reset_index(drop=True)


# --------------------------------------------------------------------------- summary

def summarise(quotes: pd.DataFrame, slices: pd.DataFrame, scan: pd.DataFrame) -> pd.DataFrame:
    """Long table of counts per snapshot: quotes, statuses, forward methods, rate statuses, scan hits."""
    rows = []

    def add(snapshot, group, counts):
        rows.extend({**dict(zip(SNAPSHOT_KEYS, snapshot)), "group": group, "name": str(n), "value": float(v)}
                    for n, v in counts.items())

    for snapshot, q in quotes.groupby(SNAPSHOT_KEYS, sort=True):
        two_sided = q["bid"] > 0
        solved = int((two_sided & (q["quote_status"] == QuoteStatus.OK)).sum())
        add(snapshot, "quotes", {"rows": len(q), "two_sided": int(two_sided.sum()), "two_sided_solved": solved,
                                 "pct_two_sided_solved": 100.0 * solved / max(int(two_sided.sum()), 1)})
        add(snapshot, "quote_status", q["quote_status"].value_counts().sort_index())
        for side in IV_SIDES:
            labels = q[f"{side}_iv_status"].astype(object).fillna("not_solved")
            add(snapshot, f"{side}_iv_status", labels.value_counts().sort_index())
    for snapshot, s in slices.groupby(SNAPSHOT_KEYS, sort=True):
        add(snapshot, "forward_method", s["forward_method"].value_counts().sort_index())
        add(snapshot, "rate_status", s["rate_status"].value_counts().sort_index())
    for snapshot, s in scan.groupby(SNAPSHOT_KEYS, sort=True):
        add(snapshot, "parity_scan", s["strategy"].value_counts().sort_index())
    return pd.DataFrame(rows, columns=SNAPSHOT_KEYS + ["group", "name", "value"])


# --------------------------------------------------------------------------- stage

def compute(chains: pd.DataFrame, section: ImpliedVolsSettings | dict) -> dict[str, pd.DataFrame]:
    """The stage's four tables from a chains table (as ``results/ingest/chains.parquet``)."""
    s = ImpliedVolsSettings.of(section)
    slices, slice_id, pairs_table = slice_forwards(chains, s)
    quotes = quote_vols(chains, slices, slice_id)
    add_atm_vols(slices, quotes, slice_id)
    scan = parity_scan(pairs_table, slices, float(s.scan.min_edge))
    if len(quotes) != len(chains):
        raise RuntimeError(f"implied_vols: rows not conserved: {len(chains)} quotes in, {len(quotes)} out")
    return {"forwards": slices, "quotes": quotes, "parity_scan": scan, "summary": summarise(quotes, slices, scan)}


def run(inputs: dict, outputs: dict, params: dict) -> None:
    chains = pd.read_parquet(inputs["chains"])
    tables = compute(chains, params["section"])
    for name, schema in (("forwards", implied_vols_schema.IV_FORWARDS), ("quotes", implied_vols_schema.IV_QUOTES),
                         ("parity_scan", implied_vols_schema.PARITY_SCAN), ("summary", implied_vols_schema.IV_SUMMARY)):
        pq.write_table(to_table(tables[name], schema), outputs[name])
    q, f = tables["quotes"], tables["forwards"]
    two_sided = int((q["bid"] > 0).sum())
    solved = int(((q["bid"] > 0) & (q["quote_status"] == QuoteStatus.OK)).sum())
    log.info("implied_vols: %d quotes in = %d out; %d slices %s; mid IV solved for %d of %d two-sided quotes "
             "(%.2f%%); quote_status %s; %d parity-scan hits", len(chains), len(q), len(f),
             f["forward_method"].value_counts().to_dict(), solved, two_sided, 100.0 * solved / max(two_sided, 1),
             q["quote_status"].value_counts().to_dict(), len(tables["parity_scan"]))
