"""The ``jaxmm`` command (jaxmm/cli.py): argument handling, and a real dry run."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from jaxmm import cli


def _printed(capsys, *argv: str) -> list[str]:
    assert cli.main([argv[0], "--print", *argv[1:]]) == 0
    return shlex.split(capsys.readouterr().out.strip())


def test_run_defaults_match_make_run(capsys, repo):
    cmd = _printed(capsys, "run", "--directory", str(repo))
    assert cmd[0].endswith("snakemake")
    assert cmd[1:] == ["--cores", "all", "--profile", "workflow/profiles/default"]   # the profile's config files


def test_options_profiles_and_passthrough(capsys, repo):
    cmd = _printed(capsys, "run", "--directory", str(repo), "--profile", "gpu", "--cores", "2",
                   "--config", "my.yaml", "--", "--forcerun", "mm")
    assert cmd[1:] == ["--cores", "2", "--configfile", "my.yaml", "--profile", "workflow/profiles/gpu",
                       "--forcerun", "mm"]
    cmd = _printed(capsys, "run", "--directory", str(repo), "--profile", "none", "--keep-going")
    assert "--profile" not in cmd and cmd[-1] == "--keep-going"
    cmd = _printed(capsys, "run", "--directory", str(repo), "--profile", "/elsewhere/prof")
    assert cmd[cmd.index("--profile") + 1] == "/elsewhere/prof"


def test_stage_dry_run_and_report(capsys, repo):
    assert _printed(capsys, "stage", "surfaces", "--directory", str(repo))[-1] == "surfaces"
    cmd = _printed(capsys, "stage", "mm", "mm_report", "--force", "--directory", str(repo))
    assert cmd[-5:] == ["mm", "mm_report", "--forcerun", "mm", "mm_report"]
    assert _printed(capsys, "dry-run", "--directory", str(repo))[-1] == "-n"
    assert cli.main(["report", "--snakemake-report", "r.html", "--print", "--directory", str(repo)]) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert shlex.split(first)[-1] == "report"
    assert shlex.split(second)[-3:] == ["report", "--report", "r.html"]


def test_errors_and_help(capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli.main([])  # a command is required
    with pytest.raises(SystemExit, match="no Snakefile"):
        cli.main(["run", "--directory", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("run", "stage", "dry-run", "report", "check", "files"):
        assert command in out


def test_repository_found_from_a_subfolder(monkeypatch, repo):
    monkeypatch.chdir(repo / "workflow" / "rules")
    assert cli.find_repository() == repo


def test_check_and_files_pass_through(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "--help"])
    assert exc.value.code == 0 and "chain_check" in capsys.readouterr().out
    assert cli.main(["files", "jaxmm.stages.report:run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "jaxmm/stages/report.py" in out and "workflow/scripts/stage.py" in out


def test_dry_run_for_real(repo):
    """``jaxmm dry-run`` runs Snakemake's dry run on the repository's pipeline."""
    proc = subprocess.run([sys.executable, "-m", "jaxmm.cli", "dry-run", "--cores", "1",
                           "--directory", str(repo)], capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "dry-run" in out and ("Job stats" in out or "Nothing to be done" in out)


def test_gpu_profile_keeps_its_config_files(capsys, repo):
    """Without --config no --configfile is passed, so the gpu profile's own list
    (config.yaml + gpu.yaml) stays in force."""
    cmd = _printed(capsys, "run", "--directory", str(repo), "--profile", "gpu")
    assert "--configfile" not in cmd and cmd[cmd.index("--profile") + 1] == "workflow/profiles/gpu"
