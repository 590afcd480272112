# Every rule runs this script; the work is in jaxmm.stages (see jaxmm/stages/runner.py).
from jaxmm.stages.runner import run_snakemake_job

run_snakemake_job(snakemake)  # noqa: F821  (injected by Snakemake)
