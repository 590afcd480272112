# Option writing: covered calls and cash-secured puts with modelled option prices on the
# daily series, metrics against buy & hold, book Greeks and seed 000's inventory rules
# (jaxmm.backtest, jaxmm.stages.backtest).

_BT_CODE = ("jaxmm/backtest", "jaxmm/stages/frames.py", "jaxmm/stats/rolling.py", "jaxmm/pricing/black.py", "jaxmm/pricing/normalised_black.py",
            "jaxmm/stages/backtest", "jaxmm/io/schemas.py", "jaxmm/io/labels.py", "jaxmm/settings.py")
_BT_TABLES = ["equity", "metrics", "crisis", "greeks", "breaches"]


rule backtest:
    input:
        daily=rules.ingest_daily.output.daily,
    output:
        **{name: results("backtest", f"{name}.parquet") for name in _BT_TABLES},
    params:
        stage="jaxmm.stages.backtest:run",
        section=config["backtest"],
        jax=jax_options(),
        code_version=code_version(*_BT_CODE),
    log:
        logs("backtest"),
    benchmark:
        bench("backtest")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule backtest_report:
    input:
        **{name: rules.backtest.output[name] for name in _BT_TABLES},
    output:
        section=report_section("backtest"),
        figures=directory(results("report", "figures", "backtest")),
    params:
        stage="jaxmm.stages.backtest:report",
        section=config["backtest"],
        code_version=code_version("jaxmm/stages/backtest", "jaxmm/report"),
    log:
        logs("backtest_report"),
    benchmark:
        bench("backtest_report")
    threads: 1
    script:
        SCRIPT
