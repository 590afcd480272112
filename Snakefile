# jaxmm: the research pipeline. `make run` runs it on config.yaml; see README.md.
# Rules are thin: each names its files, params, log and benchmark, and runs one stage
# function of the jaxmm library through workflow/scripts/stage.py.

from snakemake.utils import min_version

min_version("9.0")

configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/implied_vols.smk"
include: "workflow/rules/surfaces.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/mm.smk"
include: "workflow/rules/hedging.smk"
include: "workflow/rules/backtest.smk"
# Stages that add report sections are included above this line.
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.report.output.html,


# Every stage job carries its computed code version (workflow/rules/common.smk).
check_code_versions(workflow.rules)
