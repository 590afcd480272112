"""The ``jaxmm`` command: a thin front over Snakemake for the pipeline of this repository.

::

    jaxmm run [--profile P] [--config FILE] [--cores N] [snakemake args...]
    jaxmm stage NAME [...]       run one rule and what it needs (jaxmm stage surfaces)
    jaxmm dry-run [...]          what would run, and why (snakemake -n)
    jaxmm report [...]           build the pipeline's HTML report (results/report/index.html)
    jaxmm check FILE...          check real chain files (python -m jaxmm.chain_check)
    jaxmm files STAGE            the files a stage's code version hashes

Each pipeline command runs the venv's ``snakemake`` in the repository root (the folder
holding the Snakefile: ``--directory``, else the current folder or a parent, else the
checkout this package is installed from) with the same defaults as ``make run``:
``--profile workflow/profiles/default --configfile config.yaml --cores all``. Arguments
the command does not know are passed to Snakemake unchanged (after ``--`` if they could
be mistaken for the command's own). ``--print`` shows the command instead of running it.
See docs/cli.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_PROFILE = "default"
DEFAULT_CONFIG = "config.yaml"


def find_repository(directory: str | None = None) -> Path:
    """The pipeline's root: ``directory`` if given, else the current folder or a parent
    holding a Snakefile, else the checkout this package is installed from."""
    if directory is not None:
        root = Path(directory).resolve()
        if not (root / "Snakefile").is_file():
            raise SystemExit(f"jaxmm: no Snakefile in {root} (--directory)")
        return root
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "Snakefile").is_file() and (folder / "workflow").is_dir():
            return folder
    installed = Path(__file__).resolve().parents[1]
    if (installed / "Snakefile").is_file():
        return installed
    raise SystemExit("jaxmm: no Snakefile in the current folder, its parents or the installed "
                     "checkout; pass --directory REPO")


def snakemake_executable() -> list[str]:
    """The snakemake beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "snakemake"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("snakemake")
    if found:
        return [found]
    return [sys.executable, "-m", "snakemake"]


def _profile(root: Path, profile: str | None) -> str | None:
    if profile in (None, "", "none"):
        return None
    named = root / "workflow" / "profiles" / profile
    return str(named.relative_to(root)) if named.is_dir() else profile


def snakemake_command(args: argparse.Namespace, extra: list[str], root: Path) -> list[str]:
    """The Snakemake command line for a pipeline subcommand (run, stage, dry-run, report)."""
    cmd = [*snakemake_executable(), "--cores", str(args.cores)]
    if args.config:  # else the profile's configfile list (gpu: config.yaml + gpu.yaml) or the Snakefile's
        cmd += ["--configfile", args.config]
    profile = _profile(root, args.profile)
    if profile:
        cmd += ["--profile", profile]
    if args.command == "dry-run":
        cmd.append("-n")
    elif args.command == "stage":
        cmd += list(args.rules)
        if args.force:
            cmd += ["--forcerun", *args.rules]
    elif args.command == "report":
        cmd.append("report")
    cmd += [e for e in extra if e != "--"]
    return cmd


def _add_pipeline_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", default=DEFAULT_PROFILE,
                   help="a profile in workflow/profiles (default, gpu, slurm) or a profile folder; "
                        "'none' for no profile (default: %(default)s)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help=f"the run's config file (default: the profile's, else {DEFAULT_CONFIG}; a file given "
                        "here replaces the profile's list, e.g. the gpu profile's gpu.yaml)")
    p.add_argument("--cores", default="all", metavar="N",
                   help="cores Snakemake may use, or 'all' (default: %(default)s)")
    p.add_argument("--directory", default=None, metavar="REPO",
                   help="repository root holding the Snakefile (default: found from the current "
                        "folder, else the installed checkout)")
    p.add_argument("--print", action="store_true", dest="print_only",
                   help="print the snakemake command instead of running it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxmm",
        description="Run the jaxmm research pipeline (a thin front over Snakemake; `make run` "
                    "does the same as `jaxmm run`). Unknown arguments go to snakemake.",
        epilog="Examples: jaxmm run --cores 2 | jaxmm stage surfaces | jaxmm dry-run | "
               "jaxmm run --config my.yaml -- --forcerun mm | jaxmm check data/spx_20251001. "
               "See docs/cli.md.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run the whole pipeline (what `make run` does)",
                       description="Run the whole pipeline: snakemake with the profile, config and "
                                   "cores given; other arguments go to snakemake.")
    _add_pipeline_options(p)

    p = sub.add_parser("stage", help="run one rule and what it needs (e.g. jaxmm stage surfaces)",
                       description="Run the named rules (e.g. surfaces, mm_report) and the jobs they "
                                   "need; `snakemake --list-rules` lists the names.")
    p.add_argument("rules", nargs="+", metavar="NAME", help="rule name(s): synthetic, ingest_chains, "
                   "implied_vols, surfaces, statistics, mm, hedging, backtest, report, *_report, ...")
    p.add_argument("--force", action="store_true", help="rerun the named rules even if up to date")
    _add_pipeline_options(p)

    p = sub.add_parser("dry-run", help="show what would run and why (snakemake -n)",
                       description="A dry run: the jobs Snakemake would run and the reason for each.")
    _add_pipeline_options(p)

    p = sub.add_parser("report", help="build the HTML report (results/report/index.html)",
                       description="Build the pipeline's HTML report (rule `report`, and every stage "
                                   "it needs). --snakemake-report FILE also writes Snakemake's own "
                                   "report (provenance, runtimes) to FILE (.html or .zip).")
    p.add_argument("--snakemake-report", default=None, metavar="FILE",
                   help="also run snakemake --report FILE after the build")
    _add_pipeline_options(p)

    p = sub.add_parser("check", help="check real chain files (python -m jaxmm.chain_check)",
                       description="Check real option-chain files: the arguments go to "
                                   "`python -m jaxmm.chain_check` (see its --help).",
                       add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER, help="FILE... [--format F] [--config FILE] [--n-sd X]")

    p = sub.add_parser("files", help="list the files a stage's code version hashes",
                       description="The jaxmm files (and workflow script) a stage runs, found by its "
                                   "import walk; the last line is the code version.")
    p.add_argument("stage", help='"module:function" or a stage module, e.g. jaxmm.stages.surfaces:run')
    p.add_argument("--directory", default=None, metavar="REPO", help="repository root")
    return parser


def _run(cmd: list[str], root: Path, print_only: bool) -> int:
    if print_only:
        print(shlex.join(cmd))
        return 0
    print(f"jaxmm: {shlex.join(cmd)}  (in {root})", file=sys.stderr)
    return subprocess.run(cmd, cwd=root, env=os.environ.copy()).returncode


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "check":  # everything after `check` belongs to chain_check
        from jaxmm import chain_check

        chain_check.main(argv[1:] or ["--help"])
        return 0
    args, extra = parser.parse_known_args(argv)
    if args.command == "files":
        from jaxmm._src import import_graph

        root = find_repository(args.directory) if args.directory else import_graph.package_root()
        return import_graph.main([args.stage, "--root", str(root)])
    root = find_repository(args.directory)
    status = _run(snakemake_command(args, extra, root), root, args.print_only)
    if status == 0 and args.command == "report" and args.snakemake_report:
        cmd = [*snakemake_command(args, [], root), "--report", args.snakemake_report]
        status = _run(cmd, root, args.print_only)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
