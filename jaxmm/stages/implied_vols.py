"""Implied-vol stage: forwards and discount factors per chain snapshot, IVs and Greeks per
quote, and the put-call parity (conversion / reversal) scan.

Per (source, underlying, root, quote_date, expiry) slice (``schemas.SLICE_KEYS``):

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

from jaxmm.pricing import parity
from jaxmm.io import schemas
from jaxmm.settings import ImpliedVolsSettings

log = logging.getLogger(__name__)

SLICE_KEYS = schemas.SLICE_KEYS
SNAPSHOT_KEYS = ["source", "underlying", "quote_date"]
IV_SIDES = ("bid", "mid", "ask")


class QuoteStatus:
    """Values of quotes.parquet's ``quote_status`` (why a quote has, or lacks, a mid IV)."""

    OK = "ok"                  # mid_iv solved (bid_iv / ask_iv carry their own status)
    NO_BID = "no_bid"          # bid 0: one-sided, only ask_iv is solved
    NO_FORWARD = "no_forward"  # the slice's forward failed: nothing solved
    UNSOLVED = "unsolved"      # two-sided but mid_iv_status is not OK (see it)


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
        # Labels by code (schemas.IV_STATUS_LABELS[code]); null (code -1): not attempted.
        q[f"{side}_iv_status"] = pd.Categorical.from_codes(np.where(attempted[i], status[i], -1),
                                                           categories=schemas.IV_STATUS_LABELS)
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

def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


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
    for name, schema in (("forwards", schemas.IV_FORWARDS), ("quotes", schemas.IV_QUOTES),
                         ("parity_scan", schemas.PARITY_SCAN), ("summary", schemas.IV_SUMMARY)):
        pq.write_table(_table(tables[name], schema), outputs[name])
    q, f = tables["quotes"], tables["forwards"]
    two_sided = int((q["bid"] > 0).sum())
    solved = int(((q["bid"] > 0) & (q["quote_status"] == QuoteStatus.OK)).sum())
    log.info("implied_vols: %d quotes in = %d out; %d slices %s; mid IV solved for %d of %d two-sided quotes "
             "(%.2f%%); quote_status %s; %d parity-scan hits", len(chains), len(q), len(f),
             f["forward_method"].value_counts().to_dict(), solved, two_sided, 100.0 * solved / max(two_sided, 1),
             q["quote_status"].value_counts().to_dict(), len(tables["parity_scan"]))


# --------------------------------------------------------------------------- report

def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: forwards and discount curve, implied rates and their flags, ATM term
    structure, smiles, scan. ``params["section"]`` (optional) is config ``implied_vols``, for
    the rate band drawn in the implied-rate figure."""
    from jaxmm.report import Section

    sec = Section("Implied vols and forwards", order=20, figure_dir=outputs["figures"])
    forwards = pd.read_parquet(inputs["forwards"])
    quotes = pd.read_parquet(inputs["quotes"])
    scan = pd.read_parquet(inputs["parity_scan"])
    summary = pd.read_parquet(inputs["summary"])
    settings = parity_settings(params.get("section"))
    low, high = settings.rate_band
    sec.text("Forward F and discount factor D per expiry from put-call parity C - P = D (F - K): a Huber-robust "
             "regression of call-minus-put mids on the strike near the money, weighted by the combined bid-ask "
             "spread (slope -D, intercept D F). Its zero rate r = -ln(D)/t is trusted (rate_status ok, "
             "forward_method regression) when its standard error is at most "
             f"{settings.max_rate_se:g} a year, it lies in the band [{low:g}, {high:g}] and the snapshot's "
             "trusted discount factors do not rise with t (beyond their errors). Other expiries take D from a "
             "curve smoothed through the trusted ones (forward_method ...:smoothed_curve) or, with too few, from "
             "the configured implied_vols.rates (...:rate_curve), and F from parity with D fixed "
             "(regression_fixed_discount; few_strikes: median over fewer than min_pairs pairs; one_sided: no "
             "pair, the underlying carried at the others' carry); failed means no usable forward. "
             "Implied vols are Black-76 on (F, D, t); Greeks at the mid IV (delta and gamma with respect to F).")
    if not len(forwards):
        sec.text("No chain quotes: nothing to show.")
        sec.write(outputs["section"])
        return

    counts = summary[summary["group"] == "quotes"].pivot_table(index=SNAPSHOT_KEYS, columns="name", values="value")
    sec.table(counts.reset_index(), "Quotes per snapshot: two-sided quotes and those with a solved mid IV (%)")
    statuses = summary[summary["group"].isin(["quote_status", "mid_iv_status", "forward_method", "rate_status"])]
    sec.table(statuses.groupby(["group", "name"])["value"].sum().astype(int).rename("count").reset_index(),
              "Status counts (all snapshots): quote_status, mid IV solver status, forward method and rate status "
              "per expiry")
    cols = ["source", "root", "quote_date", "expiry", "t", "forward", "discount", "rate", "n_pairs",
            "n_downweighted", "residual_std", "forward_method", "atm_iv"]
    sec.table(forwards[cols], "Forwards, discount factors and ATM vols per expiry", max_rows=40)
    flagged = forwards[(forwards["rate_status"] != parity.RateStatus.OK.value)
                       | (forwards["forward_method"] != parity.ForwardMethod.REGRESSION.value)]
    if len(flagged):
        sec.table(flagged[["source", "root", "quote_date", "expiry", "t", "n_pairs", "regression_rate",
                           "regression_rate_se", "rate_status", "rate", "forward", "forward_se", "forward_method"]],
                  "Flagged expiries: the regression's rate (with its standard error) was not used, why "
                  "(rate_status), the rate used instead and how the forward was found", max_rows=60)
    else:
        sec.text("Every expiry's forward and discount factor came from its own parity regression (no flag).")
    _rate_figure(sec, forwards, (low, high))
    _term_structure_figure(sec, forwards)
    _smiles_figure(sec, quotes)
    if len(scan):
        sec.table(scan[["rank", "source", "quote_date", "expiry", "strike", "strategy", "call_side", "call_price",
                        "put_side", "put_price", "forward_side", "forward", "discount", "edge", "edge_bp"]],
                  "Parity scan: conversions / reversals with a positive edge after crossing the spreads "
                  "(USD per unit underlying, vs the implied forward), best first", max_rows=20)
    else:
        sec.text("Parity scan: no conversion or reversal beats the implied forward after crossing the bid-ask "
                 "spreads (edge above implied_vols.scan.min_edge).")
    sec.write(outputs["section"])


def _rate_figure(sec, forwards: pd.DataFrame, band: tuple[float, float], max_panels: int = 8) -> None:
    """Implied-rate term structure per snapshot: the regression's rate with 1-se bars (red
    where flagged), the rate used, the band; raw rates beyond the axes drawn at its edge."""
    from matplotlib.ticker import NullFormatter

    from jaxmm.report import new_figure

    snapshots = list(forwards.groupby(SNAPSHOT_KEYS, sort=True))[:max_panels]
    ncols = min(4, len(snapshots))
    nrows = -(-len(snapshots) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.6 * ncols, 2.9 * nrows), squeeze=False, sharey=False)
    low, high = band
    for ax, (key, f) in zip(axes.flat, snapshots):
        f = f.sort_values("t")
        used = f["rate"].to_numpy(float)
        lo = min(low, np.nanmin(used, initial=low)) - 0.02
        hi = max(high, np.nanmax(used, initial=high)) + 0.02
        ax.axhspan(low, high, color="0.92", lw=0, label="rate band")
        ok = (f["rate_status"] == parity.RateStatus.OK.value).to_numpy()
        raw = f["regression_rate"].to_numpy(float)
        shown = np.clip(raw, lo, hi)
        for mask, colour, name in ((ok, "C0", "regression (trusted)"), (~ok, "C3", "regression (flagged)")):
            ax.errorbar(f["t"][mask], shown[mask], yerr=f["regression_rate_se"][mask], fmt="o", ms=3, lw=0.7,
                        color=colour, capsize=2, label=name)
        off = np.isfinite(raw) & (raw != shown)
        ax.plot(f["t"][off], shown[off], "^", color="C3", ms=6, mfc="none", label="beyond the axis")
        ax.plot(f["t"], used, "k.-", lw=0.8, ms=4, label="rate used")
        ax.set_ylim(lo, hi)
        if (f["t"] > 0).all():
            ax.set_xscale("log")                          # days-long expiries apart from years-long ones
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(" ".join(map(str, key)), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(snapshots):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("t (years)"); fig.supylabel("zero rate -ln(D)/t")
    fig.tight_layout()
    more = len(forwards.groupby(SNAPSHOT_KEYS)) - len(snapshots)
    sec.figure(fig, "implied_rates", "Implied-rate term structure per snapshot: the parity regression's rate with "
               "1-standard-error bars (red: flagged, see rate_status; triangles: beyond the axis), the rate used "
               "(black) and the plausibility band (grey)" + (f"; {more} more snapshots not drawn" if more > 0 else ""))


def _term_structure_figure(sec, forwards: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    fig, (ax1, ax2, ax3) = new_figure(1, 3, figsize=(14, 4))
    for (source, day), f in forwards.groupby(["source", "quote_date"]):
        f = f.sort_values("t")
        label = f"{source} {day}"
        ax1.plot(f["t"], f["forward"], "o-", ms=3, lw=0.8, label=label)
        ax2.plot(f["t"], f["discount"], "o-", ms=3, lw=0.8, label=label)
        ax3.plot(f["t"], f["atm_iv"], "o-", ms=3, lw=0.8, label=label)
        odd = f[f["forward_method"] != parity.ForwardMethod.REGRESSION.value]
        ax1.plot(odd["t"], odd["forward"], "rx", ms=7)
    ax1.set_title("implied forward (x: fallback)"); ax1.set_xlabel("t (years)"); ax1.set_ylabel("F (USD)")
    ax2.set_title("discount factor D"); ax2.set_xlabel("t (years)")
    ax3.set_title("ATM implied vol (k = 0)"); ax3.set_xlabel("t (years)")
    ax1.legend(fontsize=6)
    sec.figure(fig, "term_structure", "Implied forwards, discount factors and ATM vols by expiry, per snapshot")


def _smiles_figure(sec, quotes: pd.DataFrame) -> None:
    """Latest snapshot of the first source: OTM mid IVs with bid/ask IV bars, one panel per expiry."""
    from jaxmm.report import new_figure

    source = quotes["source"].iloc[0]
    mine = quotes[quotes["source"] == source]
    last = mine[(mine["quote_date"] == mine["quote_date"].max()) & mine["otm"] & (mine["quote_status"] == QuoteStatus.OK)]
    expiries = sorted(last["expiry"].unique())
    if not expiries:
        return
    ncols = min(4, len(expiries))
    nrows = -(-len(expiries) // ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(3.4 * ncols, 2.8 * nrows), squeeze=False, sharey=False)
    for ax, expiry in zip(axes.flat, expiries):
        g = last[last["expiry"] == expiry].sort_values("log_moneyness")
        lo = (g["mid_iv"] - g["bid_iv"]).clip(lower=0).fillna(0)
        hi = (g["ask_iv"] - g["mid_iv"]).clip(lower=0).fillna(0)
        ax.errorbar(g["log_moneyness"], g["mid_iv"], yerr=[lo, hi], fmt=".", ms=3, lw=0.6, capsize=0, label="mid (bid-ask)")
        ax.plot(g["log_moneyness"], g["vendor_iv"], "x", ms=2.5, color="grey", label="vendor")
        ax.set_title(str(expiry), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.locator_params(axis="x", nbins=4)
    for ax in list(axes.flat)[len(expiries):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("log-moneyness ln(K/F)"); fig.supylabel("implied vol")
    fig.tight_layout()
    sec.figure(fig, "smiles", f"{source} {last['quote_date'].iloc[0]}: out-of-the-money mid IVs with bid/ask IV "
               "bars per expiry (grey x: vendor IV)")
