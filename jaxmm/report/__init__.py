"""Report sections and the HTML report.

A stage builds a :class:`Section` (text, tables, figures) and writes it as JSON next to
its PNG figures; the report stage renders every section into one self-contained
``index.html`` (figures embedded), ordered by ``Section.order``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
from pathlib import Path

import pandas as pd


class Section:
    """One stage's part of the report."""

    def __init__(self, title: str, order: int, figure_dir: str | Path):
        self.title = title
        self.order = order
        self.figure_dir = Path(figure_dir)
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        self.blocks: list[dict] = []

    def text(self, paragraph: str) -> None:
        """A paragraph of plain text (escaped when rendered)."""
        self.blocks.append({"kind": "text", "text": paragraph})

    def table(self, frame: pd.DataFrame, caption: str, max_rows: int = 60, float_format: str = "{:.4g}", *,
              units: dict[str, str] | None = None, formats: dict[str, str] | None = None,
              max_columns: int = 12, full: str | None = None) -> None:
        """A table made for reading: numbers to ``float_format`` (4 significant digits unless
        a column has its own entry in ``formats``), ``units`` in the headers ("vol (decimal)"),
        at most ``max_rows`` rows and ``max_columns`` columns, with a note saying what was
        left out and, where ``full`` is given, a link to the whole table (a parquet path
        relative to the report's index.html, e.g. ``../surfaces/svi_params.parquet``)."""
        units, formats = units or {}, formats or {}
        cols = list(frame.columns)[:max_columns]
        shown = frame.head(max_rows)[cols]
        rows = [[_cell(v, formats.get(str(c), float_format)) for c, v in zip(cols, row)]
                for row in shown.itertuples(index=False)]
        headers = [f"{c} ({units[str(c)]})" if str(c) in units else str(c) for c in cols]
        self.blocks.append({"kind": "table", "caption": caption, "columns": headers, "rows": rows,
                            "total_rows": int(len(frame)), "total_columns": int(len(frame.columns)),
                            "full": full})

    def figure(self, fig, name: str, caption: str) -> Path:
        """Save a matplotlib figure as PNG and reference it."""
        path = self.figure_dir / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        self.blocks.append({"kind": "figure", "path": str(path), "caption": caption})
        return path

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"title": self.title, "order": self.order,
                                          "blocks": self.blocks}, indent=1))


def captions(stage: str) -> dict[str, str]:
    """The named prose blocks of ``jaxmm/report/captions/<stage>.md``: each block starts with
    a ``## name`` line and runs to the next; a stage fills its ``{placeholders}`` with
    ``str.format`` (``captions("surfaces")["intro"].format(...)``). Lines of ``<!-- ... -->``
    are comments; a block's lines are joined into one paragraph, blank lines start a new one."""
    from importlib import resources

    text = resources.files("jaxmm.report").joinpath("captions", f"{stage}.md").read_text()
    blocks: dict[str, list[str]] = {}
    name = None
    for line in text.splitlines():
        if line.startswith("<!--"):
            continue
        if line.startswith("## "):
            name = line[3:].strip()
            blocks[name] = []
        elif name is not None:
            blocks[name].append(line.strip())
    out = {}
    for key, lines in blocks.items():
        paragraphs = "\n".join(lines).strip().split("\n\n")
        out[key] = "\n\n".join(" ".join(p.split("\n")) for p in paragraphs)
    return out


def _cell(value, float_format: str) -> str:
    """A table cell: empty for null; under a significant-digits format (``{:.4g}``), whole
    numbers and numbers of 10^4 or more as plain integers (a strike 10400, not 1.04e+04)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        if float_format.endswith("g}") and abs(value) < 1e15 and value not in (float("inf"), float("-inf")):
            if value == int(value) or abs(value) >= 1e4:
                return f"{value:.0f}"
        return float_format.format(value)
    return str(value)


def new_figure(*args, **kwargs):
    """A matplotlib figure on the non-interactive Agg backend (jobs have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #333} h2{margin-top:2em;border-bottom:1px solid #aaa}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right} th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left} caption{text-align:left;font-weight:600;padding:4px 0}
figure{margin:1em 0} figcaption{font-size:13px;color:#555} img{max-width:100%}
nav li{margin:.2em 0} .meta{color:#666;font-size:13px}
"""


def render_html(sections: list[dict], title: str, provenance: dict) -> str:
    """One self-contained HTML page from section dicts (as written by ``Section.write``)."""
    sections = sorted(sections, key=lambda s: (s["order"], s["title"]))
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
           f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
           "<p class='meta'>" + " · ".join(f"{html.escape(k)}: {html.escape(str(v))}"
                                           for k, v in provenance.items()) + "</p>", "<nav><ol>"]
    out += [f"<li><a href='#s{i}'>{html.escape(s['title'])}</a></li>" for i, s in enumerate(sections)]
    out.append("</ol></nav>")
    for i, s in enumerate(sections):
        out.append(f"<section id='s{i}'><h2>{html.escape(s['title'])}</h2>")
        for block in s["blocks"]:
            out.append(_render_block(block))
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)


def _render_block(block: dict) -> str:
    kind = block["kind"]
    if kind == "text":
        return "".join(f"<p>{html.escape(p)}</p>" for p in block["text"].split("\n\n"))
    if kind == "table":
        head = "".join(f"<th>{html.escape(c)}</th>" for c in block["columns"])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in block["rows"])
        notes = []
        if block["total_rows"] > len(block["rows"]):
            notes.append(f"first {len(block['rows'])} of {block['total_rows']} rows")
        if block.get("total_columns", len(block["columns"])) > len(block["columns"]):
            notes.append(f"{len(block['columns'])} of {block['total_columns']} columns")
        note = f" ({', '.join(notes)})" if notes else ""
        link = ""
        if block.get("full"):
            link = f" <a href='{html.escape(block['full'])}'>full table: {html.escape(block['full'])}</a>"
        return (f"<table><caption>{html.escape(block['caption'] + note)}{link}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if kind == "figure":
        data = base64.b64encode(Path(block["path"]).read_bytes()).decode()
        return (f"<figure><img alt='{html.escape(block['caption'])}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(block['caption'])}</figcaption></figure>")
    raise ValueError(f"unknown report block kind {kind!r}")


def provenance() -> dict:
    """Who/what/when of a run, printed at the top of the report."""
    import platform
    import subprocess
    from importlib import metadata

    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        rev = "unknown"
    return {"generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "git": rev, "jaxmm": metadata.version("jaxmm"), "python": platform.python_version()}
