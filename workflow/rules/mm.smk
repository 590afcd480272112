# Market making: batched Avellaneda-Stoikov / GLFT quoting studies with the paper's table,
# and a prediction market quoted around its call-spread fair value (jaxmm.mm, jaxmm.stages.mm).

_MM_CODE = ("jaxmm/mm", "jaxmm/_src/chunking.py", "jaxmm/_src/random_numbers.py", "jaxmm/stats/moments.py", "jaxmm/stages/frames.py", "jaxmm/pricing/black.py",
            "jaxmm/pricing/normalised_black.py", "jaxmm/stages/mm.py", "jaxmm/io/schemas.py")
_MM_TABLES = ["as_summary", "as_paper_table", "as_sample_path", "as_pnl_hist", "fv_series", "fv_deltas",
              "fv_hedging", "fv_sample_path"]


rule mm:
    input:
        daily=rules.ingest_daily.output.daily,
    output:
        **{name: results("mm", f"{name}.parquet") for name in _MM_TABLES},
    params:
        stage="jaxmm.stages.mm:run",
        section=config["mm"],
        jax=jax_options(),
        code_version=code_version(*_MM_CODE),
    log:
        logs("mm"),
    benchmark:
        bench("mm")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule mm_report:
    input:
        **{name: rules.mm.output[name] for name in _MM_TABLES},
    output:
        section=report_section("mm"),
        figures=directory(results("report", "figures", "mm")),
    params:
        stage="jaxmm.stages.mm:report",
        code_version=code_version("jaxmm/stages/mm.py", "jaxmm/report"),
    log:
        logs("mm_report"),
    benchmark:
        bench("mm_report")
    threads: 1
    script:
        SCRIPT
