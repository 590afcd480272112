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


# ---------------------------------------------------------------------------------------
# Test tiers (docs/development.md). Markers are assigned here, centrally, not in the files:
#   e2e       runs Snakemake on the pipeline (files in _E2E_FILES)
#   realdata  reads the chains in JAXMM_REAL_DATA (uses the real_data fixture, or marked)
#   gpu       needs a GPU (uses the gpu fixture)
#   slow      over ~2 s on the 2-core CI machine, XLA compiles included: every e2e test,
#             and the tests listed in _SLOW (measured with --durations; re-measure and
#             edit the list when a test gets slow, see docs/development.md)
# `make test` runs every tier; `make test-fast` deselects slow, e2e, realdata and gpu.
# ---------------------------------------------------------------------------------------

_E2E_FILES = {"test_pipeline_e2e.py", "test_workflow_reruns.py"}

# file -> test function names (parametrisations included), or "*" for the whole file.
_SLOW: dict[str, set[str] | str] = {}


def _is_slow(item) -> bool:
    entry = _SLOW.get(item.path.name)
    if entry is None:
        return False
    return entry == "*" or getattr(item, "originalname", item.name) in entry


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.path.name in _E2E_FILES:
            item.add_marker(pytest.mark.e2e)
        if "real_data" in fixtures:
            item.add_marker(pytest.mark.realdata)
        if "gpu" in fixtures:
            item.add_marker(pytest.mark.gpu)
        if item.get_closest_marker("e2e") or _is_slow(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def gpu():
    """A JAX GPU device; skip where there is none (the tests run on the CPU by default)."""
    try:
        devices = jax.devices("gpu")
    except RuntimeError:
        devices = []
    if not devices:
        pytest.skip("no GPU visible to JAX (JAX_PLATFORMS=cpu by default in the tests)")
    return devices[0]
