"""The single entry point of every rule: ``workflow/scripts/stage.py`` calls
:func:`run_snakemake_job`, which sets up the log and the JAX environment *before* the
stage module (and so JAX) is imported, then calls ``stage(inputs, outputs, params)``.
"""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

from jaxmm._src.runtime import configure_jax

log = logging.getLogger("jaxmm")


def _named(namedlist) -> dict:
    return {name: namedlist[name] for name in namedlist.keys()}


def run_stage(stage: str, inputs: dict, outputs: dict, params: dict, *,
              threads: int = 1, jax_options: dict | None = None, log_file: str | None = None) -> None:
    """Run ``stage`` ("module:function") with its JAX settings and logging."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    configure_jax(threads=threads, **(jax_options or {}))
    module_name, func_name = stage.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    for path in outputs.values():
        for p in ([path] if isinstance(path, str) else path):
            Path(p).parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    log.info("stage %s: start (threads=%d)", stage, threads)
    try:
        func(inputs=inputs, outputs=outputs, params=params)
    except Exception:
        log.exception("stage %s failed", stage)
        raise
    log.info("stage %s: done in %.2f s", stage, time.perf_counter() - start)


def run_snakemake_job(smk) -> None:
    params = _named(smk.params)
    stage = params.pop("stage")
    jax_options = params.pop("jax", None)
    params.pop("code_version", None)  # only there to make Snakemake rerun on code edits
    run_stage(stage, _named(smk.input), _named(smk.output), params, threads=smk.threads,
              jax_options=jax_options, log_file=smk.log[0] if smk.log else None)
