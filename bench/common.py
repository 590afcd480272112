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


def cpu_vector_width(choice: str) -> int | None:
    """Bits for --xla_cpu_prefer_vector_width (None: leave XLA's default, 256 on x86);
    ``auto``: 512 where the CPU has AVX-512."""
    if choice != "auto":
        return int(choice) or None
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return 512 if " avx512f" in flags else None


def start_jax(device: str, cpu_devices: int, vector_width_choice: str = "auto"):
    """Set XLA's CPU flags (host devices, SIMD width) before JAX starts, then start it
    with float64. Returns (platform, vector_width)."""
    import os

    from jaxmm._src.runtime import configure_jax

    platform_name = "cuda" if device in ("gpu", "cuda") else "cpu"
    width = cpu_vector_width(vector_width_choice) if platform_name == "cpu" else None
    if platform_name == "cpu":
        flags = os.environ.get("XLA_FLAGS", "")
        if cpu_devices > 1:
            flags += f" --xla_force_host_platform_device_count={cpu_devices}"
        if width:
            flags += f" --xla_cpu_prefer_vector_width={width}"
        os.environ["XLA_FLAGS"] = flags.strip()
    configure_jax(threads=os.cpu_count() or 1, x64=True, platform=platform_name)
    import jax

    jax.config.update("jax_enable_x64", True)
    return platform_name, width


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
