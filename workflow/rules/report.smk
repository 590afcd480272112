# The HTML report: every section registered with report_section(), in stage order.


rule report:
    input:
        sections=REPORT_SECTIONS,
    output:
        html=results("report", "index.html"),
    params:
        **stage_params("jaxmm.stages.report:run"),
        title=config["report"]["title"],
        config_used=config,
    log:
        logs("report"),
    benchmark:
        bench("report")
    threads: 1
    script:
        SCRIPT
