"""Test settings: float64 JAX on the CPU, strict dtype promotion, reproducible hypothesis."""

import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

# Same examples on every run, so a CI failure reproduces locally.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder named by JAXMM_REAL_DATA (holds spx_20251001/); skip where absent."""
    value = os.environ.get("JAXMM_REAL_DATA")
    if not value:
        pytest.skip("JAXMM_REAL_DATA is not set (CI sets it to ../shared/data)")
    path = Path(value)
    if not (path / "spx_20251001").is_dir():
        pytest.skip(f"JAXMM_REAL_DATA={value} has no spx_20251001/ folder")
    return path
