"""The docs' generated references stay equal to the code they describe, and every
relative link in README.md and docs/ resolves."""

import re

import pytest

from jaxmm.config import reference_table
from jaxmm.stages.tables import markdown_tables
from jaxmm.synthetic.config import schema_fragment_yaml


def test_outputs_tables_match_the_schemas(repo):
    assert markdown_tables() in (repo / "docs" / "outputs.md").read_text()


def test_config_reference_matches_the_schema(repo):
    assert reference_table() in (repo / "docs" / "config.md").read_text()


def test_synthetic_schema_fragment_is_current(repo):
    assert (repo / "workflow" / "schemas" / "synthetic.fragment.yaml").read_text() == schema_fragment_yaml()


def test_readme_quickstart_has_the_two_commands(repo):
    text = (repo / "README.md").read_text()
    quick = text[text.index("## Quickstart"):text.index("## The pipeline")]
    assert "make run" in quick and "make test" in quick


def test_readme_is_a_front_page(repo):
    text = (repo / "README.md").read_text()
    assert len(text.splitlines()) < 500
    assert "## Where to go next" in text


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _markdown_files(repo):
    return [repo / "README.md", *sorted((repo / "docs").rglob("*.md"))]


@pytest.mark.parametrize("name", ["README.md", "docs"])
def test_relative_links_resolve(repo, name):
    files = [repo / "README.md"] if name == "README.md" else sorted((repo / "docs").rglob("*.md"))
    assert files
    broken = []
    for path in files:
        text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
        for target in _LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.exists():
                broken.append(f"{path.relative_to(repo)} -> {target}")
    assert not broken, broken
