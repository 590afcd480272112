"""The JAX-free keys and labels of jaxmm.io.labels agree with the numerics' enums."""

import subprocess
import sys

from jaxmm.io import labels as common


def test_iv_status_labels_are_the_enum():
    from jaxmm.pricing.iv import IVStatus

    assert common.IV_STATUS_LABELS == tuple(s.label for s in sorted(IVStatus))
    assert [int(s) for s in sorted(IVStatus)] == list(range(len(common.IV_STATUS_LABELS)))
    assert common.IV_OK == IVStatus.OK.label


def test_fit_status_labels_are_the_enum():
    from jaxmm.surfaces.fit import FitStatus

    assert [(int(c), c.label) for c in FitStatus] == list(enumerate(common.FIT_STATUS_LABELS))


def test_parity_labels_are_the_enums():
    from jaxmm.pricing.parity import DiscountSource, ForwardMethod, RateStatus

    assert common.RATE_STATUS_LABELS == tuple(s.value for s in RateStatus)
    assert common.FORWARD_METHODS == tuple(s.value for s in ForwardMethod)
    assert common.DISCOUNT_SOURCES == tuple(s.value for s in DiscountSource)


def test_common_and_settings_import_without_jax():
    code = ("import sys, jaxmm.io.labels, jaxmm.settings, jaxmm.io.schemas; "
            "assert 'jax' not in sys.modules, sorted(m for m in sys.modules if m.startswith('jax.'))[:5]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_slice_keys_defined_once():
    from jaxmm.stages.implied_vols import schema as iv_schema

    assert common.SLICE_KEYS == ["source", "underlying", "root", "quote_date", "expiry"]
    assert iv_schema.IV_FORWARDS.names[:5] == common.SLICE_KEYS
