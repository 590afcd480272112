"""Per-job JAX environment: JAX_PLATFORMS honoured, threads capped, no GPU prealloc."""

import json
import os
import subprocess
import sys

SNIPPET = """
import json, os, sys
from jaxmm._src.runtime import configure_jax
configure_jax(threads=int(sys.argv[1]), x64=sys.argv[2] == '1', platform=sys.argv[3] or None)
import jax, jax.numpy as jnp
print(json.dumps({k: os.environ.get(k) for k in
      ['JAX_PLATFORMS', 'XLA_PYTHON_CLIENT_PREALLOCATE', 'OMP_NUM_THREADS', 'XLA_FLAGS']}
      | {'dtype': str(jnp.ones(1).dtype), 'backend': jax.default_backend()}))
"""


def _run(threads, x64, platform, env_extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("JAX_PLATFORMS", "XLA_FLAGS", "OMP_NUM_THREADS", "JAX_ENABLE_X64",
                        "XLA_PYTHON_CLIENT_PREALLOCATE")}
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", SNIPPET, str(threads), "1" if x64 else "0", platform or ""],
                         capture_output=True, text=True, env=env, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_single_thread_cpu_x64_job():
    r = _run(1, True, "cpu")
    assert r["JAX_PLATFORMS"] == "cpu" and r["backend"] == "cpu"
    assert r["dtype"] == "float64"
    assert r["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert r["OMP_NUM_THREADS"] == "1" and "--xla_cpu_multi_thread_eigen=false" in r["XLA_FLAGS"]


def test_user_jax_platforms_wins_and_x64_off():
    r = _run(2, False, "cuda", {"JAX_PLATFORMS": "cpu"})
    assert r["JAX_PLATFORMS"] == "cpu" and r["backend"] == "cpu"
    assert r["dtype"] == "float32"
    assert r["OMP_NUM_THREADS"] == "2" and r["XLA_FLAGS"] is None
