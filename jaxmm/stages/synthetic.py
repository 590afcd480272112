"""Synthetic-data stage: writes the default run's inputs and their ground truth."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def run(inputs: dict, outputs: dict, params: dict) -> None:
    from jaxmm.synthetic import generate

    out_dir = Path(outputs["chains"]).parent
    written = generate(dict(params["section"]), out_dir)
    for kind, files in written.items():
        log.info("synthetic %s: %d files", kind, len(files))
    for key, path in outputs.items():
        if not Path(path).exists():
            raise RuntimeError(f"synthetic stage did not write its output {key}: {path}")
