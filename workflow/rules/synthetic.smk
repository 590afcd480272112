# Synthetic inputs with known ground truth, in the real input formats (jaxmm.synthetic).
# Real daily series shipped by the `arch` package (jaxmm.stages.package_data).


rule synthetic:
    output:
        chains=directory(results("synthetic", "chains")),
        settlements=results("synthetic", "futures", "settlements.csv"),
        spot_vol=results("synthetic", "daily", "spot_vol.csv"),
        etf=results("synthetic", "daily", "etf.csv"),
        prediction=results("synthetic", "daily", "prediction.csv"),
        truth=directory(results("synthetic", "truth")),
    params:
        **stage_params("jaxmm.stages.synthetic:run"),
        section=config["synthetic"],
        jax=jax_options(),
    log:
        logs("synthetic"),
    benchmark:
        bench("synthetic")
    threads: 1
    resources:
        gpu=GPU_JOB,
    script:
        SCRIPT


rule package_data:
    output:
        **{name: results("package_data", f"{name}.csv") for name in config["package_data"]["series"]},
        licences=results("package_data", "LICENCES.md"),
    params:
        **stage_params("jaxmm.stages.package_data:run"),
        section=config["package_data"],
    log:
        logs("package_data"),
    benchmark:
        bench("package_data")
    threads: 1
    script:
        SCRIPT
