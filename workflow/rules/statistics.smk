# Statistics: hedge ratio h and h2 between futures tenors, tenor-weighted portfolio risk,
# vol beta, effective deltas, event vol, IV vs RV, ETF premia (jaxmm.stats, jaxmm.stages.statistics).

_STATS_CODE = ("jaxmm/stats", "jaxmm/stages/frames.py", "jaxmm/pricing/black.py", "jaxmm/pricing/normalised_black.py", "jaxmm/stages/statistics",
               "jaxmm/io/schemas.py", "jaxmm/io/labels.py", "jaxmm/settings.py", "jaxmm/io/tabular.py")
_STATS = config["statistics"]
_STATS_TABLES = ["hedge_ratios", "hedge_summary", "portfolio_risk", "vol_beta", "effective_deltas",
                 "event_vol", "vol_premium", "etf_premium"]


rule statistics:
    input:
        tenors=rules.ingest_futures.output.futures_tenors,
        daily=rules.ingest_daily.output.daily,
        forwards=rules.implied_vols.output.forwards,
        quotes=rules.implied_vols.output.quotes,
        svi_params=rules.surfaces.output.svi_params,
        positions=[_STATS["positions"]["path"]] if _STATS["positions"].get("path") else [],
    output:
        **{name: results("statistics", f"{name}.parquet") for name in _STATS_TABLES},
    params:
        stage="jaxmm.stages.statistics:run",
        section=_STATS,
        jax=jax_options(),
        code_version=code_version(*_STATS_CODE),
    log:
        logs("statistics"),
    benchmark:
        bench("statistics")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule statistics_report:
    input:
        **{name: rules.statistics.output[name] for name in _STATS_TABLES},
    output:
        section=report_section("statistics"),
        figures=directory(results("report", "figures", "statistics")),
    params:
        stage="jaxmm.stages.statistics:report",
        code_version=code_version("jaxmm/stages/statistics", "jaxmm/report"),
    log:
        logs("statistics_report"),
    benchmark:
        bench("statistics_report")
    threads: 1
    script:
        SCRIPT
