"""The README's generated references stay equal to the code they describe."""

from jaxmm.config import reference_table
from jaxmm.stages.tables import markdown_tables
from jaxmm.synthetic.config import schema_fragment_yaml


def test_readme_outputs_tables_match_the_schemas(repo):
    assert markdown_tables() in (repo / "README.md").read_text()


def test_readme_config_reference_matches_the_schema(repo):
    assert reference_table() in (repo / "README.md").read_text()


def test_synthetic_schema_fragment_is_current(repo):
    assert (repo / "workflow" / "schemas" / "synthetic.fragment.yaml").read_text() == schema_fragment_yaml()


def test_readme_quickstart_has_the_two_commands(repo):
    text = (repo / "README.md").read_text()
    quick = text[text.index("## Quickstart"):text.index("## The pipeline")]
    assert "make run" in quick and "make test" in quick
