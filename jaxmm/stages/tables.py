"""Every stage's parquet outputs (path -> schema), and docs/outputs.md's per-table column
reference generated from them (``tests/test_docs.py`` keeps docs/outputs.md equal to it)."""

from __future__ import annotations

from jaxmm.io.schemas import CHAINS, DAILY, FUTURES_CONTRACTS, FUTURES_TENORS, QUARANTINE, SUMMARY, doc
from jaxmm.stages.implied_vols import schema as implied_vols_schema
from jaxmm.stages.surfaces import schema as surfaces_schema
from jaxmm.stages.statistics import schema as statistics_schema
from jaxmm.stages.mm import schema as mm_schema
from jaxmm.stages.hedging import schema as hedging_schema
from jaxmm.stages.backtest import schema as backtest_schema

TABLES = {  # docs/outputs.md: path -> schema
    "results/ingest/chains.parquet": CHAINS,
    "results/ingest/futures_contracts.parquet": FUTURES_CONTRACTS,
    "results/ingest/futures_tenors.parquet": FUTURES_TENORS,
    "results/ingest/daily.parquet": DAILY,
    "results/ingest/{chains,futures,daily}_quarantine.parquet": QUARANTINE,
    "results/ingest/{chains,futures,daily}_summary.parquet": SUMMARY,
    "results/implied_vols/forwards.parquet": implied_vols_schema.IV_FORWARDS,
    "results/implied_vols/quotes.parquet": implied_vols_schema.IV_QUOTES,
    "results/implied_vols/parity_scan.parquet": implied_vols_schema.PARITY_SCAN,
    "results/implied_vols/summary.parquet": implied_vols_schema.IV_SUMMARY,
    "results/surfaces/svi_params.parquet": surfaces_schema.SVI_PARAMS,
    "results/surfaces/ssvi_params.parquet": surfaces_schema.SSVI_PARAMS,
    "results/surfaces/fair_values.parquet": surfaces_schema.FAIR_VALUES,
    "results/surfaces/rich_cheap.parquet": surfaces_schema.RICH_CHEAP,
    "results/statistics/hedge_ratios.parquet": statistics_schema.STAT_HEDGE_RATIOS,
    "results/statistics/hedge_summary.parquet": statistics_schema.STAT_HEDGE_SUMMARY,
    "results/statistics/portfolio_risk.parquet": statistics_schema.STAT_PORTFOLIO_RISK,
    "results/statistics/vol_beta.parquet": statistics_schema.STAT_VOL_BETA,
    "results/statistics/effective_deltas.parquet": statistics_schema.STAT_EFFECTIVE_DELTAS,
    "results/statistics/event_vol.parquet": statistics_schema.STAT_EVENT_VOL,
    "results/statistics/vol_premium.parquet": statistics_schema.STAT_VOL_PREMIUM,
    "results/statistics/etf_premium.parquet": statistics_schema.STAT_ETF_PREMIUM,
    "results/mm/as_summary.parquet": mm_schema.MM_AS_SUMMARY,
    "results/mm/as_paper_table.parquet": mm_schema.MM_PAPER_TABLE,
    "results/mm/as_sample_path.parquet": mm_schema.MM_SAMPLE_PATH,
    "results/mm/as_pnl_hist.parquet": mm_schema.MM_PNL_HIST,
    "results/mm/fv_series.parquet": mm_schema.FV_SERIES,
    "results/mm/fv_deltas.parquet": mm_schema.FV_DELTAS,
    "results/mm/fv_hedging.parquet": mm_schema.FV_HEDGING,
    "results/mm/fv_sample_path.parquet": mm_schema.FV_SAMPLE_PATH,
    "results/backtest/equity.parquet": backtest_schema.BT_EQUITY,
    "results/backtest/metrics.parquet": backtest_schema.BT_METRICS,
    "results/backtest/crisis.parquet": backtest_schema.BT_CRISIS,
    "results/backtest/greeks.parquet": backtest_schema.BT_GREEKS,
    "results/backtest/breaches.parquet": backtest_schema.BT_BREACHES,
    "results/hedging/delta_grid.parquet": hedging_schema.HEDGE_DELTA_GRID,
    "results/hedging/validation.parquet": hedging_schema.HEDGE_VALIDATION,
    "results/hedging/pnl_hist.parquet": hedging_schema.HEDGE_PNL_HIST,
    "results/hedging/vol_path.parquet": hedging_schema.HEDGE_VOL_PATH,
    "results/hedging/time_spread.parquet": hedging_schema.HEDGE_TIME_SPREAD,
}


def markdown_tables() -> str:
    """docs/outputs.md's per-table column reference, generated from the schemas above."""
    parts = []
    for path, schema in TABLES.items():
        rows = "\n".join(f"| `{name}` | {type_} | {text} |" for name, type_, text in doc(schema))
        parts.append(f"#### `{path}`\n\n| column | type | meaning, unit |\n|---|---|---|\n{rows}")
    return "\n\n".join(parts)
