"""Report section of the implied vols stage (``results/report/sections/implied_vols.json``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jaxmm.pricing import parity
from jaxmm.report import captions
from jaxmm.stages.implied_vols.compute import QuoteStatus, SNAPSHOT_KEYS, parity_settings

TEXT = captions("implied_vols")   # this section's prose: jaxmm/report/captions/implied_vols.md


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
    sec.text(TEXT["text_forward_f_discount_factor"].format(max_rate_se=settings.max_rate_se, low=low, high=high))
    if not len(forwards):
        sec.text(TEXT["text_chain_quotes_nothing_show"])
        sec.write(outputs["section"])
        return

    counts = summary[summary["group"] == "quotes"].pivot_table(index=SNAPSHOT_KEYS, columns="name", values="value")
    sec.table(counts.reset_index(), TEXT["table_quotes_snapshot_two_sided"])
    statuses = summary[summary["group"].isin(["quote_status", "mid_iv_status", "forward_method", "rate_status"])]
    sec.table(statuses.groupby(["group", "name"])["value"].sum().astype(int).rename("count").reset_index(),
              TEXT["table_status_counts_all_snapshots"])
    cols = ["source", "root", "quote_date", "expiry", "t", "forward", "discount", "rate", "n_pairs",
            "forward_method", "atm_iv"]
    sec.table(forwards[cols], TEXT["table_forwards_discount_factors_atm"], max_rows=40,
              units={"t": "years", "rate": "per year"},
              formats={"t": "{:.3f}", "forward": "{:.2f}", "discount": "{:.5f}", "rate": "{:.2%}",
                       "atm_iv": "{:.1%}"}, full="../implied_vols/forwards.parquet")
    flagged = forwards[(forwards["rate_status"] != parity.RateStatus.OK.value)
                       | (forwards["forward_method"] != parity.ForwardMethod.REGRESSION.value)]
    if len(flagged):
        sec.table(flagged[["source", "root", "quote_date", "expiry", "t", "n_pairs", "regression_rate",
                           "regression_rate_se", "rate_status", "rate", "forward_method"]],
                  TEXT["table_flagged_expiries_regression_s"], max_rows=60,
                  units={"t": "years", "regression_rate": "per year", "regression_rate_se": "per year",
                         "rate": "per year"},
                  formats={"t": "{:.3f}", "regression_rate": "{:.2%}", "regression_rate_se": "{:.2%}",
                           "rate": "{:.2%}"}, full="../implied_vols/forwards.parquet")
    else:
        sec.text(TEXT["text_every_expiry_s_forward"])
    _rate_figure(sec, forwards, (low, high))
    _term_structure_figure(sec, forwards)
    _smiles_figure(sec, quotes)
    if len(scan):
        sec.table(scan[["rank", "source", "quote_date", "expiry", "strike", "strategy", "call_price", "put_price",
                        "forward", "edge", "edge_bp"]],
                  TEXT["table_parity_scan_conversions_reversals"], max_rows=20,
                  units={"call_price": "USD", "put_price": "USD", "edge": "USD", "edge_bp": "bp"},
                  formats={"strike": "{:g}", "forward": "{:.2f}", "edge": "{:.3f}", "edge_bp": "{:.1f}"},
                  full="../implied_vols/parity_scan.parquet")
    else:
        sec.text(TEXT["text_parity_scan_conversion_reversal"])
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
    sec.figure(fig, "term_structure", TEXT["figure_term_structure"])


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
    sec.figure(fig, "smiles", TEXT["figure_smiles"].format(source=source, quote_date=last['quote_date'].iloc[0]))
