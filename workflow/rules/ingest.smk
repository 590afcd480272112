# Ingest: raw inputs -> canonical parquet tables, quarantine and summary (jaxmm.io).

_INGEST_CODE = ("jaxmm/io", "jaxmm/stages/ingest.py", "jaxmm/settings.py")


def _ingest_inputs(section):
    return [f for src in section["sources"] for f in source_files(src["paths"])]


for _dataset, _outputs in {
    "chains": ["chains"],
    "futures": ["futures_contracts", "futures_tenors"],
    "daily": ["daily"],
}.items():

    rule:
        name:
            f"ingest_{_dataset}"
        input:
            _ingest_inputs(config["ingest"][_dataset]),
        output:
            **{name: results("ingest", f"{name}.parquet") for name in _outputs},
            quarantine=results("ingest", f"{_dataset}_quarantine.parquet"),
            summary=results("ingest", f"{_dataset}_summary.parquet"),
        params:
            stage=f"jaxmm.stages.ingest:run_{_dataset}",
            section=config["ingest"][_dataset],
            code_version=code_version(*_INGEST_CODE),
        log:
            logs(f"ingest_{_dataset}"),
        benchmark:
            bench(f"ingest_{_dataset}")
        threads: 1
        script:
            SCRIPT


rule ingest_report:
    input:
        chains=rules.ingest_chains.output.chains,
        contracts=rules.ingest_futures.output.futures_contracts,
        tenors=rules.ingest_futures.output.futures_tenors,
        daily=rules.ingest_daily.output.daily,
        summaries=[rules.ingest_chains.output.summary, rules.ingest_futures.output.summary,
                   rules.ingest_daily.output.summary],
        quarantines=[rules.ingest_chains.output.quarantine, rules.ingest_futures.output.quarantine,
                     rules.ingest_daily.output.quarantine],
    output:
        section=report_section("ingest"),
        figures=directory(results("report", "figures", "ingest")),
    params:
        stage="jaxmm.stages.ingest:report",
        code_version=code_version("jaxmm/stages/ingest.py", "jaxmm/report"),
    log:
        logs("ingest_report"),
    benchmark:
        bench("ingest_report")
    threads: 1
    script:
        SCRIPT
