"""Report sections render into one self-contained HTML page."""

import json

import pandas as pd

from jaxmm.report import Section, new_figure, render_html


def test_section_roundtrip_and_render(tmp_path):
    sec = Section("Stage <B>", order=20, figure_dir=tmp_path / "fig")
    sec.text("rows in = kept + quarantined & more")
    sec.table(pd.DataFrame({"a": [1.23456789, float("nan")], "b": ["x", None]}), "a table", max_rows=1)
    fig, ax = new_figure()
    ax.plot([0, 1], [1, 0])
    png = sec.figure(fig, "line", "a line")
    assert png.read_bytes()[:4] == b"\x89PNG"
    sec.write(tmp_path / "s.json")
    first = Section("First", order=10, figure_dir=tmp_path / "fig")
    first.write(tmp_path / "f.json")

    sections = [json.loads((tmp_path / n).read_text()) for n in ("s.json", "f.json")]
    page = render_html(sections, "Run", {"git": "abc"})
    assert page.index("First") < page.index("Stage &lt;B&gt;")          # ordered, escaped
    assert "rows in = kept + quarantined &amp; more" in page
    assert "<td>1.235</td>" in page and "(first 1 of 2 rows)" in page
    assert "data:image/png;base64," in page                              # figure embedded
    assert "git: abc" in page


def test_tables_for_reading(tmp_path):
    sec = Section("S", order=1, figure_dir=tmp_path / "fig")
    frame = pd.DataFrame({f"c{i}": [0.123456789 * (i + 1)] for i in range(15)})
    sec.table(frame, "wide", units={"c0": "decimal"}, formats={"c1": "{:.1%}"}, max_columns=3,
              full="../stage/wide.parquet")
    sec.write(tmp_path / "s.json")
    page = render_html([json.loads((tmp_path / "s.json").read_text())], "Run", {})
    assert "<th>c0 (decimal)</th>" in page and "<td>24.7%</td>" in page and "<th>c3</th>" not in page
    assert "3 of 15 columns" in page and "href='../stage/wide.parquet'" in page


def test_caption_files_are_packaged_and_named():
    from jaxmm.report import captions

    for stage in ("implied_vols", "surfaces", "statistics", "mm", "hedging", "backtest"):
        blocks = captions(stage)
        assert blocks and all(text.strip() for text in blocks.values()), stage


def test_every_caption_the_reports_use_exists_with_its_placeholders():
    """Each ``TEXT["name"]`` of a report module names a block of its caption file, and its
    ``.format(...)`` keywords are exactly the block's placeholders (no block left unused)."""
    import ast
    import string
    from pathlib import Path

    import jaxmm
    from jaxmm.report import captions

    root = Path(jaxmm.__file__).parent / "stages"
    modules = {p.parent.name: p for p in root.glob("*/report.py")} | {"ingest": root / "ingest.py"}
    for stage, path in modules.items():
        blocks = captions(stage)
        used = set()
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "TEXT"):
                continue
            name = node.slice.value
            assert name in blocks, (stage, name)
            used.add(name)
            fields = {f for _, f, _, _ in string.Formatter().parse(blocks[name]) if f}
            attr = parents.get(node)
            call = parents.get(attr) if isinstance(attr, ast.Attribute) and attr.attr == "format" else None
            given = {k.arg for k in call.keywords} if call is not None else set()
            assert fields == given, (stage, name, fields, given)
        assert used == set(blocks), (stage, set(blocks) - used)
