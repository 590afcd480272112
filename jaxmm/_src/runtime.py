"""Per-job JAX settings. Call :func:`configure_jax` before ``import jax``.

Snakemake may run several JAX jobs side by side on a small machine, so every job states
its thread budget and platform instead of letting each XLA client take every core and,
on a GPU box, 75% of the GPU memory.
"""

from __future__ import annotations

import os
import sys

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def configure_jax(*, threads: int = 1, x64: bool = True, platform: str | None = "cpu",
                  preallocate_gpu: bool = False) -> None:
    """Set the environment of a JAX job.

    Args:
      threads: CPU threads this job may use (Snakemake's ``threads``).
      x64: enable float64 (pricing, implied vols and calibration need it).
      platform: ``"cpu"``, ``"cuda"``/``"gpu"`` or ``None`` (JAX chooses). A
        ``JAX_PLATFORMS`` already in the environment always wins: the user's choice.
      preallocate_gpu: let XLA grab most of the GPU memory up front (only for a GPU
        stage that runs alone); otherwise memory is allocated on demand.
    """
    if "jax" in sys.modules:
        # Too late for environment variables; still honour x64 (safe before first use).
        import jax

        jax.config.update("jax_enable_x64", x64)
        return
    if platform and "JAX_PLATFORMS" not in os.environ:
        os.environ["JAX_PLATFORMS"] = platform
    if not preallocate_gpu:
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    threads = max(1, int(threads))
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false"
                                       " intra_op_parallelism_threads=1").strip()
    os.environ["JAX_ENABLE_X64"] = "1" if x64 else "0"
