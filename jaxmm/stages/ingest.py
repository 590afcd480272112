"""Ingest stage: raw chains, futures and daily series -> canonical parquet tables.

Each ``run_*`` reads every configured source of one dataset, writes the canonical table,
the quarantine (every rejected row with its reason, file and line) and a summary with
rows in / kept / quarantined per file, and checks that rows in = kept + quarantined.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jaxmm.io import labels
from jaxmm.io import schemas
from jaxmm.io.common import ReadResult
from jaxmm.io.errors import Quarantine
from jaxmm.report import captions
from jaxmm.settings import ChainSource, ChainsSettings, DailySettings, FuturesSettings

log = logging.getLogger(__name__)
TEXT = captions("ingest")   # the report section's prose: jaxmm/report/captions/ingest.md


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables([t.cast(schema) for t in tables]) if tables else schema.empty_table()


def quarantine_table(quarantines: list[Quarantine]) -> pa.Table:
    rows = [{"dataset": r.dataset, "source_file": r.source_file, "line": r.line,
             "reason": r.reason.value, "detail": r.detail, "raw": r.raw}
            for q in quarantines for r in q.rows]
    return pa.Table.from_pylist(rows, schema=schemas.QUARANTINE)


def _write_outputs(dataset: str, results: list[ReadResult], tables: dict[str, pa.Table],
                   kept_rows: int, outputs: dict) -> None:
    """Write tables, quarantine and summary; fail loudly if any row went missing.

    ``kept_rows`` is the number of kept input records found in ``tables`` (the unit the
    readers' summaries count in).
    """
    summary = pa.Table.from_pylist([row for r in results for row in r.summary], schema=schemas.SUMMARY)
    quarantine = quarantine_table([r.quarantine for r in results])
    rows_in, kept, n_quarantined = (int(pc.sum(summary.column(c)).as_py() or 0)
                                    for c in ("rows_in", "kept", "quarantined"))
    if rows_in != kept + n_quarantined or n_quarantined != quarantine.num_rows or kept != kept_rows:
        raise RuntimeError(
            f"ingest {dataset}: rows not conserved: in={rows_in}, kept={kept} (tables hold {kept_rows}), "
            f"quarantined={n_quarantined} (quarantine table holds {quarantine.num_rows})")
    for name, table in tables.items():
        pq.write_table(table, outputs[name])
    pq.write_table(quarantine, outputs["quarantine"])
    pq.write_table(summary, outputs["summary"])
    by_reason = pd.Series(quarantine.column("reason").to_pylist(), dtype=object).value_counts().to_dict()
    log.info("ingest %s: %d rows in, %d kept, %d quarantined %s", dataset, rows_in, kept, n_quarantined, by_reason)


def read_chain_source(src: dict, chains: ChainsSettings | dict, where: str) -> ReadResult:
    """Read one chain source (an ``ingest.chains.sources[]`` entry), then give its quotes
    their as-of and settlement times (``jaxmm.io.conventions.apply``: expired expiries are
    quarantined there). ``chains`` is the ``ingest.chains`` section (its ``timezone``; a dict
    may leave out ``sources``). ``where`` names the source's config key in errors."""
    from jaxmm.io import conventions
    from jaxmm.io.chains import read_chains

    if isinstance(chains, dict):
        chains = ChainsSettings.of({"sources": [src], **chains})
    source = ChainSource.of(src)
    read = read_chains(list(source.paths), source.format, source.name,
                       timezone=source.timezone or chains.timezone,
                       root=source.root, snapshot_time=source.snapshot_time)
    # conventions read the entry itself: an absent key (the venue's default) and null differ
    return conventions.apply(read, src, where)


def run_chains(inputs: dict, outputs: dict, params: dict) -> None:
    """Read each chain source into chains.parquet (see :func:`read_chain_source`)."""
    section = params["section"]
    chains = ChainsSettings.of(section)
    results = [read_chain_source(src, chains, f"ingest.chains.sources[{i}]")
               for i, src in enumerate(section["sources"])]
    table = _concat([r.table for r in results], schemas.CHAINS)
    _write_outputs("chains", results, {"chains": table}, table.num_rows, outputs)


def run_futures(inputs: dict, outputs: dict, params: dict) -> None:
    from jaxmm.io.conventions import checked_calendar
    from jaxmm.io.futures import continuous_tenors, read_settlements, read_wide_curve

    s = FuturesSettings.of(params["section"])
    results, contracts, tenors = [], [], []
    kept_rows = 0
    for i, src in enumerate(s.sources):
        if src.format == "settlements":
            calendar = checked_calendar(src.calendar, f"ingest.futures.sources[{i}].calendar")
            r = read_settlements(list(src.paths), src.name)
            contracts.append(r.table)
            tenors.append(continuous_tenors(r.table, s.n_tenors, s.roll_business_days, calendar))
            kept_rows += r.table.num_rows
        else:  # a wide curve has no contracts: its kept records are its dates
            r = read_wide_curve(list(src.paths), src.name)
            tenors.append(r.table)
            kept_rows += len(set(r.table.column("date").to_pylist()))
        results.append(r)
    tables = {"futures_contracts": _concat(contracts, schemas.FUTURES_CONTRACTS),
              "futures_tenors": _concat(tenors, schemas.FUTURES_TENORS)}
    _write_outputs("futures", results, tables, kept_rows, outputs)


def run_daily(inputs: dict, outputs: dict, params: dict) -> None:
    from jaxmm.io.daily import read_daily

    s = DailySettings.of(params["section"])
    results = [read_daily(list(src.paths), src.name, date_column=src.date_column,
                          columns=None if src.columns is None else list(src.columns),
                          positive=None if src.positive is None else list(src.positive))
               for src in s.sources]
    daily = _concat([r.table for r in results], schemas.DAILY)
    _write_outputs("daily", results, {"daily": daily}, daily.num_rows, outputs)


def report(inputs: dict, outputs: dict, params: dict) -> None:
    """Report section: rows by reason, snapshots (expiries, strikes), quotes, futures curve."""
    from jaxmm.report import Section

    sec = Section("Ingest: validated inputs", order=10, figure_dir=outputs["figures"])
    summary = pd.concat([pd.read_parquet(p) for p in inputs["summaries"]], ignore_index=True)
    quarantine = pd.concat([pd.read_parquet(p) for p in inputs["quarantines"]], ignore_index=True)
    totals = summary.groupby(["dataset", "source"], sort=False)[["rows_in", "kept", "quarantined"]].sum()
    sec.text(TEXT["text_every_input_record_either"])
    sec.table(totals.reset_index(), TEXT["table_rows_kept_quarantined_source"])
    if len(quarantine):
        reasons = quarantine.groupby(["dataset", "reason"]).size().rename("rows").reset_index()
        sec.table(reasons, TEXT["table_quarantined_rows_reason"])
        sec.table(quarantine[["dataset", "source_file", "line", "reason", "detail"]],
                  TEXT["table_quarantined_rows"], max_rows=25)
    else:
        sec.text(TEXT["text_row_was_quarantined"])

    chains = pd.read_parquet(inputs["chains"])
    if len(chains):
        _chain_section(sec, chains)
    tenors = pd.read_parquet(inputs["tenors"])
    if len(tenors):
        _futures_section(sec, tenors)
    daily = pd.read_parquet(inputs["daily"])
    if len(daily):
        spans = daily.groupby(["source", "field"]).agg(first=("date", "min"), last=("date", "max"),
                                                        observations=("value", "size")).reset_index()
        sec.table(spans, TEXT["table_daily_series"])
    sec.write(outputs["section"])


def _chain_section(sec, chains: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    snap = chains.groupby(["source", "quote_date"]).agg(
        as_of=("quote_time", "max"), downloaded=("download_time", "max"), snapshot=("snapshot", "first"),
        underlying=("underlying_price", "median"), roots=("root", "nunique"), expiries=("expiry", "nunique"),
        strikes=("strike", "nunique"), quotes=("strike", "size")).reset_index()
    sec.text(TEXT["text_snapshot_taken_outside_session"])
    sec.table(snap, TEXT["table_chain_snapshots_as_download"], units={"underlying": "median price"})
    per_expiry = chains.groupby(labels.SLICE_KEYS).agg(
        settlement=("settlement", "first"), settlement_time=("settlement_time", "first"),
        expiry_flag=("expiry_flag", "first"), strikes=("strike", "nunique"), min_strike=("strike", "min"),
        max_strike=("strike", "max"), quotes=("strike", "size"),
        two_sided=("bid", lambda b: int((b > 0).sum()))).reset_index()
    sec.table(per_expiry.drop(columns=["underlying"]), TEXT["table_quotes_expiry_root_settlement"], max_rows=40,
              full="../ingest/chains.parquet")

    # Latest snapshot of the first source: out-of-the-money mids by expiry.
    source = chains["source"].iloc[0]
    last = chains[(chains["source"] == source) & (chains["quote_date"] == chains.loc[chains["source"] == source, "quote_date"].max())]
    fig, (ax1, ax2) = new_figure(1, 2, figsize=(12, 4.2))
    counts = last.groupby(["expiry", "right"]).size().unstack(fill_value=0)
    counts.plot.bar(ax=ax1, width=0.8)
    ax1.set_title(f"{source} {last['quote_date'].iloc[0]}: quotes by expiry")
    ax1.set_xlabel("expiry"); ax1.set_ylabel("quotes kept")
    otm = last[((last["right"] == "C") & (last["strike"] >= last["underlying_price"]))
               | ((last["right"] == "P") & (last["strike"] < last["underlying_price"]))]
    for (expiry, root), g in otm.groupby(["expiry", "root"]):
        g = g.sort_values("strike")
        ax2.semilogy(g["strike"], ((g["bid"] + g["ask"]) / 2).clip(lower=1e-3), ".-", ms=3, lw=0.7,
                     label=f"{expiry} {root}")
    ax2.set_title("out-of-the-money mid prices by expiry and root"); ax2.set_xlabel("strike"); ax2.set_ylabel("mid (USD, log)")
    ax2.legend(fontsize=6, ncol=2)
    sec.figure(fig, "chain_quotes_by_expiry", TEXT["figure_chain_quotes_by_expiry"])


def _futures_section(sec, tenors: pd.DataFrame) -> None:
    from jaxmm.report import new_figure

    for source, t in tenors.groupby("source"):
        wide = t.pivot_table(index="date", columns="tenor", values="settle")
        rolls = t[t["rolled"]].groupby("tenor").size()
        sec.table(pd.DataFrame({"tenor": wide.columns, "first": [wide[c].first_valid_index() for c in wide],
                                "last": [wide[c].last_valid_index() for c in wide],
                                "days": [int(wide[c].notna().sum()) for c in wide],
                                "rolls": [int(rolls.get(c, 0)) for c in wide]}),
                  TEXT["table_continuous_tenors"].format(source=source))
        fig, (ax1, ax2) = new_figure(1, 2, figsize=(12, 4.2))
        for tenor in sorted({1, 3, 6, 12, int(wide.columns.max())} & set(wide.columns)):
            ax1.plot(pd.to_datetime(wide.index), wide[tenor], lw=0.8, label=f"M{tenor}")
        ax1.set_title(f"{source}: continuous tenors through time"); ax1.set_ylabel("settle"); ax1.legend()
        ax1.tick_params(axis="x", labelrotation=30)
        dates = wide.index[np.linspace(0, len(wide) - 1, 6).astype(int)]
        for d in dates:
            ax2.plot(wide.columns, wide.loc[d], "o-", ms=3, label=str(d))
        ax2.set_title("curve snapshots"); ax2.set_xlabel("tenor (months)"); ax2.set_ylabel("settle"); ax2.legend(fontsize=7)
        sec.figure(fig, f"futures_curve_{source}", TEXT["figure_futures_curve"].format(source=source))
