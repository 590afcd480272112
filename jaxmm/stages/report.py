"""Report stage: renders every registered section into results/report/index.html."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from jaxmm.report import provenance, render_html

log = logging.getLogger(__name__)


def run(inputs: dict, outputs: dict, params: dict) -> None:
    sections = [json.loads(Path(p).read_text()) for p in inputs["sections"]]
    page = render_html(sections, params["title"], provenance())
    Path(outputs["html"]).write_text(page)
    log.info("report: %d sections -> %s (%.0f kB)", len(sections), outputs["html"], len(page) / 1e3)
