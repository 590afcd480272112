"""Reruns are computed, not listed: editing a jaxmm module reruns exactly the rules whose
stage imports it, and what depends on them (jaxmm/_src/import_graph.py, common.smk).

Nothing is run. The pipeline is copied to a temporary folder, every output is created
empty and ``snakemake --touch`` records it as up to date; then

* for every jaxmm module, in-process: a comment appended to it changes the code version
  of exactly the rules whose stage files hold it (the hash is of those files, no more);
* for a few representative modules, Snakemake's own dry run lists the jobs that would
  rerun: those rules and their downstream dependents, nothing else;
* the static walk finds at least what Python imports when the stage module loads, and at
  least what the former hand-kept lists named.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jaxmm._src import import_graph

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")

# What a rule read from the parsed workflow: its stage, code version, files and inputs.
_RULES_SCRIPT = textwrap.dedent("""
    import json
    from pathlib import Path
    from snakemake.api import SnakemakeApi
    from snakemake.io import is_flagged
    from snakemake.settings.types import OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(snakefile=Path("Snakefile"), resource_settings=ResourceSettings(cores=1))
        out = {}
        for r in wf._workflow.rules:
            params = r.params if hasattr(r.params, "get") else {}
            out[r.name] = {
                "stage": params.get("stage"),
                "code_version": params.get("code_version"),
                "outputs": [[str(f), bool(is_flagged(f, "directory"))] for f in r.output],
                "inputs": [str(f) for f in r.input],
            }
    print("RULES=" + json.dumps(out))
""")

# The files the hand-kept lists named before the walk replaced them (stage -> files), with the
# stage modules split since into packages (compute/report/schema): the walk must find them all.
_FORMER_LISTS = {
    "jaxmm.stages.backtest:run": ["jaxmm/backtest/option_writing.py", "jaxmm/stages/frames.py",
                                  "jaxmm/pricing/black.py", "jaxmm/pricing/normalised_black.py",
                                  "jaxmm/stages/backtest/compute.py", "jaxmm/stages/backtest/schema.py"],
    "jaxmm.stages.hedging:run": ["jaxmm/hedging/delta_hedge.py", "jaxmm/hedging/time_spread.py",
                                 "jaxmm/hedging/vol_path_hedge.py", "jaxmm/_src/random_numbers.py",
                                 "jaxmm/pricing/black.py", "jaxmm/stages/hedging/compute.py", "jaxmm/stages/hedging/schema.py"],
    "jaxmm.stages.implied_vols:run": ["jaxmm/pricing/parity.py", "jaxmm/pricing/iv.py", "jaxmm/pricing/black.py",
                                      "jaxmm/stages/implied_vols/compute.py", "jaxmm/stages/implied_vols/schema.py",
                                      "jaxmm/io/conventions.py"],
    "jaxmm.stages.implied_vols:report": ["jaxmm/stages/implied_vols/report.py", "jaxmm/pricing/parity.py",
                                         "jaxmm/report/__init__.py"],
    "jaxmm.stages.surfaces:run": ["jaxmm/surfaces/svi.py", "jaxmm/surfaces/fit.py", "jaxmm/pricing/black.py",
                                  "jaxmm/stages/surfaces/compute.py", "jaxmm/stages/surfaces/schema.py"],
    "jaxmm.stages.surfaces:report": ["jaxmm/stages/surfaces/report.py", "jaxmm/surfaces/svi.py",
                                     "jaxmm/report/__init__.py"],
    "jaxmm.stages.mm:run": ["jaxmm/mm/avellaneda_stoikov.py", "jaxmm/mm/simulate.py", "jaxmm/mm/fair_value.py",
                            "jaxmm/stages/frames.py", "jaxmm/stages/mm/compute.py", "jaxmm/stages/mm/schema.py"],
    "jaxmm.stages.statistics:run": ["jaxmm/stages/frames.py", "jaxmm/stages/statistics/compute.py",
                                    "jaxmm/stages/statistics/schema.py"],
    "jaxmm.stages.ingest:run_chains": ["jaxmm/io/chains.py", "jaxmm/stages/ingest.py", "jaxmm/io/schemas.py"],
    "jaxmm.stages.synthetic:run": ["jaxmm/synthetic/__init__.py", "jaxmm/synthetic/chains.py",
                                   "jaxmm/pricing/black.py", "jaxmm/io/conventions.py",
                                   "jaxmm/stages/synthetic.py"],
    "jaxmm.stages.report:run": ["jaxmm/report/__init__.py", "jaxmm/stages/report.py"],
}


def _snakemake(workdir: Path, *args: str) -> str:
    proc = subprocess.run([SNAKEMAKE, "--cores", "1", *args], cwd=workdir, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return out


def _jobs(dry_run_output: str) -> set[str]:
    """The rules a dry run would run, from its 'Job stats' table."""
    if "Nothing to be done" in dry_run_output:
        return set()
    lines = dry_run_output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Job stats"))
    jobs = set()
    for line in lines[start + 3:]:
        name = line.split()[0] if line.split() else "total"
        if name == "total":
            break
        jobs.add(name)
    return jobs


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The pipeline copied to a temporary folder, every output present and up to date."""
    work = tmp_path_factory.mktemp("reruns")
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(REPO / name, work / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("workflow", "jaxmm", "data"):
        shutil.copytree(REPO / name, work / name, ignore=ignore)
    proc = subprocess.run([sys.executable, "-c", _RULES_SCRIPT], cwd=work, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rules = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("RULES="))[6:])
    for info in rules.values():
        for path, is_dir in info["outputs"]:
            p = work / path
            if is_dir:
                p.mkdir(parents=True, exist_ok=True)
            else:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.touch()
    # --forceall: every job "runs" (touches its files) and so records its metadata (params).
    _snakemake(work, "--touch", "--forceall", "--quiet", "all")
    assert _jobs(_snakemake(work, "-n")) == set(), "the touched pipeline should be up to date"
    return work, rules


def _downstream(rules: dict, direct: set[str]) -> set[str]:
    producer = {path: name for name, info in rules.items() for path, _ in info["outputs"]}
    users: dict[str, set[str]] = {}
    for name, info in rules.items():
        for path in info["inputs"]:
            if path in producer:
                users.setdefault(producer[path], set()).add(name)
    out, todo = set(direct), list(direct)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in out:
                out.add(user)
                todo.append(user)
    return out


def _edited(path: Path):
    """Append a comment to ``path``; the restore puts back its bytes and its mtime (Snakemake
    reruns a script rule when the script is newer than its outputs)."""
    original, stat = path.read_bytes(), path.stat()
    path.write_bytes(original + b"\n# edited by test_workflow_reruns\n")

    def restore():
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return restore


def _importers(work: Path, rules: dict, rel: str) -> set[str]:
    return {name for name, info in rules.items()
            if info["stage"] and rel in import_graph.stage_files(info["stage"], work)}


def test_every_rule_carries_its_computed_code_version(pipeline):
    work, rules = pipeline
    for name, info in rules.items():
        if name == "all":
            continue
        assert info["stage"], f"{name} runs no stage"
        assert info["code_version"] == import_graph.code_version(info["stage"], work), name


def test_each_module_edit_changes_exactly_its_importers(pipeline):
    """For every jaxmm module: the rules whose code version changes are the rules whose
    stage imports it (and every module some stage imports changes at least one)."""
    work, rules = pipeline
    stages = {name: info["stage"] for name, info in rules.items() if info["stage"]}
    before = {name: import_graph.code_version(stage, work) for name, stage in stages.items()}
    files = {name: set(import_graph.stage_files(stage, work)) for name, stage in stages.items()}
    modules = sorted(p.relative_to(work).as_posix() for p in (work / "jaxmm").rglob("*.py"))
    assert len(modules) > 50
    unused = []
    for rel in [*modules, "workflow/scripts/stage.py"]:
        restore = _edited(work / rel)
        try:
            changed = {name for name, stage in stages.items()
                       if import_graph.code_version(stage, work) != before[name]}
        finally:
            restore()
        assert changed == {name for name in stages if rel in files[name]}, rel
        if not changed:
            unused.append(rel)
    # Modules no stage runs: the CLI helpers, the synthetic CLI, unused helpers.
    assert "jaxmm/chain_check.py" in unused
    for always in ("workflow/scripts/stage.py", "jaxmm/stages/runner.py", "jaxmm/_src/runtime.py",
                   "jaxmm/__init__.py"):
        assert always not in unused and _importers(work, rules, always) == set(stages), always


def test_walk_rules(pipeline):
    """Lazy imports inside functions count; lazy re-exports only when named; a stage
    module's functions other than the entry (and what it names) do not count."""
    work, _ = pipeline
    files = lambda stage: set(import_graph.stage_files(stage, work))  # noqa: E731
    assert {"jaxmm/surfaces/fit.py", "jaxmm/surfaces/svi.py", "jaxmm/surfaces/__init__.py"} <= files(
        "jaxmm.stages.surfaces:run")
    assert "jaxmm/mm/simulate.py" in files("jaxmm.stages.mm:run")
    # A stage module's other functions do not count: ingest's report does not read chains.
    assert "jaxmm/io/chains.py" in files("jaxmm.stages.ingest:run_chains")
    assert "jaxmm/io/chains.py" not in files("jaxmm.stages.ingest:report")
    # A stage package's entry is found through its re-exports (from .compute import *); its
    # report module imports the compute module (TABLES), so the report reruns with it.
    assert {"jaxmm/stages/surfaces/compute.py", "jaxmm/stages/surfaces/__init__.py"} <= files(
        "jaxmm.stages.surfaces:run")
    assert "jaxmm/stages/mm/report.py" in files("jaxmm.stages.mm:report")
    # Report prose is read at import (captions("surfaces")): its file counts too.
    assert "jaxmm/report/captions/surfaces.md" in files("jaxmm.stages.surfaces:report")
    assert "jaxmm/report/captions/ingest.md" in files("jaxmm.stages.ingest:report")
    # jaxmm/__init__.py lazily re-exports pricing, surfaces, ...: not dragged in.
    report = files("jaxmm.stages.report:run")
    assert not any(f.startswith(("jaxmm/pricing/", "jaxmm/surfaces/", "jaxmm/mm/")) for f in report)
    # from jaxmm.pricing import parity: the submodule; black alone is not parity.
    iv = files("jaxmm.stages.implied_vols:run")
    assert {"jaxmm/pricing/parity.py", "jaxmm/pricing/iv.py", "jaxmm/pricing/__init__.py"} <= iv


def test_lazy_names_resolve_to_their_modules(tmp_path):
    """``from pkg import lazy_name`` and ``jm.lazy_name`` count the defining module only."""
    pkg = tmp_path / "jaxmm"
    shutil.copytree(REPO / "jaxmm", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "stages" / "probe.py").write_text(textwrap.dedent("""
        import jaxmm as jm
        from jaxmm.pricing import implied_vol

        def run(inputs, outputs, params):
            from . import frames
            return jm.fit_svi, jm.stats.rolling, implied_vol, frames
    """))
    mods = set(import_graph.imported_modules("jaxmm.stages.probe:run", tmp_path))
    assert {"jaxmm.surfaces.fit", "jaxmm.stats.rolling", "jaxmm.pricing.iv", "jaxmm.stages.frames"} <= mods
    assert not mods & {"jaxmm.pricing.parity", "jaxmm.mm.simulate", "jaxmm.hedging.delta_hedge"}


def test_walk_finds_what_python_imports(pipeline):
    """Lower bounds: what Python loads with the stage module, and the former hand lists."""
    work, rules = pipeline
    stage_modules = sorted({info["stage"].split(":")[0] for info in rules.values() if info["stage"]})
    probe = textwrap.dedent(f"""
        import importlib, json, sys
        out = {{}}
        for name in {stage_modules!r}:
            for m in [m for m in sys.modules if m == "jaxmm" or m.startswith("jaxmm.")]:
                del sys.modules[m]
            importlib.import_module(name)
            out[name] = sorted(m for m in sys.modules if m == "jaxmm" or m.startswith("jaxmm."))
        print("LOADED=" + json.dumps(out))
    """)
    env = {**os.environ, "PYTHONPATH": str(work), "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=work, capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("LOADED="))[7:])
    for info in rules.values():
        if not info["stage"]:
            continue
        walked = set(import_graph.imported_modules(info["stage"], work))
        missing = set(loaded[info["stage"].split(":")[0]]) - walked
        assert not missing, (info["stage"], missing)
    for stage, former in _FORMER_LISTS.items():
        missing = set(former) - set(import_graph.stage_files(stage, work))
        assert not missing, (stage, missing)


@pytest.mark.parametrize("rel", [
    "jaxmm/surfaces/svi.py",          # surfaces and its report, statistics downstream
    "jaxmm/io/conventions.py",        # ingest, implied vols, synthetic: nearly everything
    "jaxmm/mm/glft.py",               # mm only
    "jaxmm/report/__init__.py",       # every report rule (and compute rules whose package imports report)
    "jaxmm/chain_check.py",           # no rule
])
def test_snakemake_dry_run_reruns_importers_and_downstream(pipeline, rel):
    """Snakemake's own reasoning: after the edit, a dry run lists exactly the rules whose
    stage imports the module and their downstream dependents; undone, nothing."""
    work, rules = pipeline
    direct = _importers(work, rules, rel)
    expected = _downstream(rules, direct)
    restore = _edited(work / rel)
    try:
        assert _jobs(_snakemake(work, "-n")) == expected
    finally:
        restore()
    if rel == "jaxmm/chain_check.py":
        assert expected == set()
    else:
        assert direct and "all" in expected
    if rel == "jaxmm/surfaces/svi.py":  # undone (bytes and mtime): up to date again
        assert _jobs(_snakemake(work, "-n")) == set()
