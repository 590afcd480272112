# Implied vols: forwards and discount factors from put-call parity, IVs and Greeks per quote,
# and the conversion/reversal scan (jaxmm.pricing.parity, jaxmm.pricing.iv, jaxmm.stages.implied_vols).

_IV_CODE = ("jaxmm/pricing/parity.py", "jaxmm/pricing/iv.py", "jaxmm/pricing/black.py", "jaxmm/stages/implied_vols",
            "jaxmm/io/schemas.py", "jaxmm/io/labels.py", "jaxmm/settings.py", "jaxmm/io/conventions.py")


rule implied_vols:
    input:
        chains=rules.ingest_chains.output.chains,
    output:
        forwards=results("implied_vols", "forwards.parquet"),
        quotes=results("implied_vols", "quotes.parquet"),
        parity_scan=results("implied_vols", "parity_scan.parquet"),
        summary=results("implied_vols", "summary.parquet"),
    params:
        stage="jaxmm.stages.implied_vols:run",
        section=config["implied_vols"],
        jax=jax_options(),
        code_version=code_version(*_IV_CODE),
    log:
        logs("implied_vols"),
    benchmark:
        bench("implied_vols")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule implied_vols_report:
    input:
        forwards=rules.implied_vols.output.forwards,
        quotes=rules.implied_vols.output.quotes,
        parity_scan=rules.implied_vols.output.parity_scan,
        summary=rules.implied_vols.output.summary,
    output:
        section=report_section("implied_vols"),
        figures=directory(results("report", "figures", "implied_vols")),
    params:
        stage="jaxmm.stages.implied_vols:report",
        section=config["implied_vols"],
        code_version=code_version("jaxmm/stages/implied_vols", "jaxmm/pricing/parity.py", "jaxmm/report"),
    log:
        logs("implied_vols_report"),
    benchmark:
        bench("implied_vols_report")
    threads: 1
    script:
        SCRIPT
