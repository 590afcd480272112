"""Kurtosis-aware standard errors of standard deviations (jaxmm.stats.moments).

The statistical test draws 4000 samples of 500 from a Laplace law (kurtosis 6) and
compares the spread of their sample sds with se(sd) = sd/2 sqrt((kappa - 1)/n); the
spread of 4000 sds is known to ~2.5% here, the tolerance is 10%, and the Gaussian form
sd/sqrt(2n) is 1.58x too small, so the test fails if the formula reverts to it.
"""

import math

import numpy as np
import pytest

from jaxmm.stats.moments import sample_kurtosis, sd_se, var_se


def test_gaussian_kurtosis_gives_the_usual_form():
    assert sd_se(2.0, 3.0, 800) == pytest.approx(2.0 / math.sqrt(2 * 800), rel=1e-15)
    assert var_se(4.0, 3.0, 800) == pytest.approx(4.0 * math.sqrt(2.0 / 800), rel=1e-15)
    x = np.random.default_rng(0).standard_normal(400_000)
    assert sample_kurtosis(x) == pytest.approx(3.0, abs=0.03)
    assert np.isnan(sample_kurtosis(np.ones(5)))


def test_sd_se_matches_the_spread_of_sample_sds_for_fat_tails():
    rng = np.random.default_rng(1)
    n, reps = 500, 4000
    x = rng.laplace(size=(reps, n))
    sds = x.std(axis=1, ddof=1)
    kappa = sample_kurtosis(x.ravel())
    assert kappa == pytest.approx(6.0, rel=0.05)
    se = sd_se(sds.mean(), kappa, n)
    assert sds.std(ddof=1) == pytest.approx(se, rel=0.10)
    assert sds.std(ddof=1) > 1.4 * sds.mean() / math.sqrt(2 * n)       # the Gaussian form understates it
