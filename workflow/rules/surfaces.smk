# Surfaces: raw SVI per expiry and SSVI per snapshot fitted to the implied vols, arbitrage
# checks, and a fair value for every option (jaxmm.surfaces.svi, jaxmm.surfaces.fit, jaxmm.stages.surfaces).

_SURFACES_CODE = ("jaxmm/surfaces/svi.py", "jaxmm/surfaces/fit.py", "jaxmm/pricing/black.py", "jaxmm/stages/surfaces", "jaxmm/stages/implied_vols/schema.py",
                  "jaxmm/io/schemas.py", "jaxmm/io/labels.py", "jaxmm/settings.py")


rule surfaces:
    input:
        quotes=rules.implied_vols.output.quotes,
        forwards=rules.implied_vols.output.forwards,
    output:
        svi_params=results("surfaces", "svi_params.parquet"),
        ssvi_params=results("surfaces", "ssvi_params.parquet"),
        fair_values=results("surfaces", "fair_values.parquet"),
        rich_cheap=results("surfaces", "rich_cheap.parquet"),
    params:
        stage="jaxmm.stages.surfaces:run",
        section=config["surfaces"],
        jax=jax_options(),
        code_version=code_version(*_SURFACES_CODE),
    log:
        logs("surfaces"),
    benchmark:
        bench("surfaces")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule surfaces_report:
    input:
        svi_params=rules.surfaces.output.svi_params,
        ssvi_params=rules.surfaces.output.ssvi_params,
        fair_values=rules.surfaces.output.fair_values,
        rich_cheap=rules.surfaces.output.rich_cheap,
    output:
        section=report_section("surfaces"),
        figures=directory(results("report", "figures", "surfaces")),
    params:
        stage="jaxmm.stages.surfaces:report",
        code_version=code_version("jaxmm/stages/surfaces", "jaxmm/stages/implied_vols/schema.py", "jaxmm/surfaces/svi.py", "jaxmm/report"),
    log:
        logs("surfaces_report"),
    benchmark:
        bench("surfaces_report")
    threads: 1
    script:
        SCRIPT
