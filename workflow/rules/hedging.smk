# Hedging: batched delta hedging validated against Derman-Kamal, Ahmad & Wilmott and Leland;
# Black vs effective delta when vol moves with spot; gamma-neutral time spreads across
# futures tenors (jaxmm.hedging, jaxmm.stages.hedging).

_HEDGE_CODE = ("jaxmm/hedging", "jaxmm/_src/random_numbers.py", "jaxmm/stats/moments.py", "jaxmm/_src/chunking.py", "jaxmm/pricing/black.py",
               "jaxmm/pricing/normalised_black.py", "jaxmm/stages/hedging.py", "jaxmm/stages/frames.py", "jaxmm/io/schemas.py")
_HEDGE_TABLES = ["delta_grid", "validation", "pnl_hist", "vol_path", "time_spread"]


rule hedging:
    input:   # the statistics stage's vol betas only where a slope is taken from them
        vol_beta=[rules.statistics.output.vol_beta] if config["hedging"]["vol_path"].get("from_statistics") else [],
    output:
        **{name: results("hedging", f"{name}.parquet") for name in _HEDGE_TABLES},
    params:
        stage="jaxmm.stages.hedging:run",
        section=config["hedging"],
        jax=jax_options(),
        code_version=code_version(*_HEDGE_CODE),
    log:
        logs("hedging"),
    benchmark:
        bench("hedging")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule hedging_report:
    input:
        **{name: rules.hedging.output[name] for name in _HEDGE_TABLES},
    output:
        section=report_section("hedging"),
        figures=directory(results("report", "figures", "hedging")),
    params:
        stage="jaxmm.stages.hedging:report",
        code_version=code_version("jaxmm/stages/hedging.py", "jaxmm/report"),
    log:
        logs("hedging_report"),
    benchmark:
        bench("hedging_report")
    threads: 1
    script:
        SCRIPT
