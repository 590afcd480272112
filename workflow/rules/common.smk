# Helpers shared by the rule files: config validation, code versions, report registry.
import glob as _glob
import hashlib
from pathlib import Path

from snakemake.exceptions import WorkflowError

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


def code_version(*paths):
    """Hash of the jaxmm sources a rule depends on: a param, so editing them reruns it.

    Snakemake tracks params, not library files; every rule passes this as a param.
    """
    root = Path(workflow.basedir)
    digest = hashlib.sha256()
    for rel in paths:
        p = root / rel
        files = sorted(p.rglob("*.py")) if p.is_dir() else [p]
        for f in files:
            digest.update(str(f.relative_to(root)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


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


def jax_options(x64=True):
    return {"x64": x64, "platform": config["runtime"]["jax_platform"]}


# A JAX rule claims the card (resources: gpu=GPU_JOB) when JAX stages run on a GPU;
# the gpu profile offers gpu=1, so two such jobs never share it.
GPU_JOB = 1 if config["runtime"]["jax_platform"] in ("cuda", "gpu") else 0


# Report sections: each stage's rule file calls report_section(name) for the JSON it
# writes; the report rule takes every registered section, so no central list to edit.
REPORT_SECTIONS = []


def report_section(name):
    path = results("report", "sections", f"{name}.json")
    REPORT_SECTIONS.append(path)
    return path
