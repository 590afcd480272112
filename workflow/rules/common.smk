# Helpers shared by the .smk files: config validation, code versions, report registry.
import glob as _glob
from pathlib import Path

from snakemake.exceptions import WorkflowError

from jaxmm._src import import_graph as _import_graph
from jaxmm.config import ConfigError, validate_config

try:
    validate_config(config, Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml"))
except ConfigError as _err:
    raise WorkflowError(str(_err)) from None

RESULTS = config["results_dir"]
SCRIPT = "../scripts/stage.py"


def results(*parts):
    return str(Path(RESULTS, *parts))


def logs(name):
    return results("logs", f"{name}.log")


def bench(name):
    return results("benchmarks", f"{name}.tsv")


def stage_params(stage):
    """``params: **stage_params("jaxmm.stages.x:run"), ...``: the stage a job runs and its
    code version, a hash of the jaxmm sources that stage imports (found by walking its
    import graph: jaxmm/_src/import_graph.py), the runner and workflow/scripts/stage.py.

    Snakemake tracks params, not library files: a changed hash reruns the job (and what
    depends on it); an edit to a module the stage does not import reruns nothing.
    """
    return {"stage": stage, "code_version": code_version(stage)}


def code_version(stage):
    return _import_graph.code_version(stage, workflow.basedir)


def check_code_versions(rules):
    """Every job that runs a stage carries that stage's computed code version (so a file
    cannot forget it, or hand-keep one): called at the end of the Snakefile."""
    for r in rules:
        stage = r.params.get("stage") if hasattr(r.params, "get") else None
        if stage is None:
            continue
        if r.params.get("code_version") != code_version(stage):
            raise WorkflowError(f"{r.name}: params need **stage_params({stage!r}), which "
                                "adds the stage's computed code_version")


def source_files(paths):
    """Input files of a data source: globs expanded now, plain paths kept so that Snakemake
    can find the rule that makes them (e.g. the synthetic stage)."""
    out = []
    for p in paths:
        if any(ch in p for ch in "*?["):
            matches = sorted(_glob.glob(p))
            if not matches:
                raise ValueError(f"config: the glob {p!r} matches no file")
            out.extend(matches)
        else:
            out.append(p)
    return out


def ingest_inputs(section):
    """The files of every source of an ingest section."""
    return [f for src in section["sources"] for f in source_files(src["paths"])]


def jax_options(x64=True):
    return {"x64": x64, "platform": config["runtime"]["jax_platform"]}


# Jobs of JAX stages claim the card (resources gpu=GPU_JOB) when they run on a GPU;
# the gpu profile offers gpu=1, so two such jobs never share it.
GPU_JOB = 1 if config["runtime"]["jax_platform"] in ("cuda", "gpu") else 0


# Report sections: each stage's rule file calls report_section(name) for the JSON it
# writes; the report rule takes every registered section, so no central list to edit.
REPORT_SECTIONS = []


def report_section(name):
    path = results("report", "sections", f"{name}.json")
    REPORT_SECTIONS.append(path)
    return path
