"""Benchmark records: what, size, seconds, rate, device, jax version, git revision and
the baseline measured in the same run (results/bench/<name>.json)."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import time
from pathlib import Path

OUT_DIR = Path("results/bench")


def best_of(fn, repeat: int = 3) -> float:
    """Fastest wall time of ``repeat`` calls (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _device() -> str:
    try:
        import jax

        d = jax.devices()[0]
        return f"{d.platform}:{d.device_kind}"
    except Exception:  # noqa: BLE001 - a benchmark without JAX still records its host
        return f"cpu:{platform.processor() or platform.machine()}"


def record(name: str, what: str, size: int, unit: str, seconds: float,
           baseline_name: str, baseline_seconds: float, extra: dict | None = None) -> dict:
    try:
        import jax

        jax_version = jax.__version__
    except ImportError:
        jax_version = None
    rec = {
        "name": name, "what": what, "size": size, "unit": unit,
        "seconds": seconds, "rate_per_s": size / seconds,
        "baseline": baseline_name, "baseline_seconds": baseline_seconds,
        "ratio_vs_baseline": seconds / baseline_seconds,
        "device": _device(), "jax_version": jax_version, "python": platform.python_version(),
        "git_revision": _git_rev(), "date": dt.date.today().isoformat(), **(extra or {}),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / f"{name}.json").write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec))
    return rec
