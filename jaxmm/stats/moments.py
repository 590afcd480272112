"""Standard errors of sample standard deviations that account for the tails.

Numerics core (numpy; used at the stage boundary on simulated samples). For ``n``
independent draws with standard deviation ``sd`` and (non-excess) kurtosis
``kappa = E[(x - mu)^4] / sd^4``, the sample variance has variance
``sd^4 (kappa - 1) / n`` to leading order, so by the delta method ::

    se(var) = sd^2 sqrt((kappa - 1) / n),      se(sd) = sd / 2 sqrt((kappa - 1) / n).

For Gaussian data ``kappa = 3`` and ``se(sd) = sd / sqrt(2 n)``, the usual form; simulated
P&L here has ``kappa`` 4.5-4.8 (excess 1.5-1.8), where the Gaussian form understates
``se(sd)`` by 1.3-1.4x. Reference: e.g. Kendall & Stuart, The Advanced Theory of
Statistics, vol. 1, 10.5 (variance of the sample variance); Cramer (1946) 27.7.

Example::

    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(100_000)
    >>> round(float(sample_kurtosis(x)), 1)
    3.0
    >>> bool(abs(sd_se(1.0, 3.0, 50) - 0.1) < 1e-15)
    True
"""

from __future__ import annotations

import numpy as np


def sample_kurtosis(x, axis=-1):
    """Non-excess sample kurtosis ``m4 / m2^2`` along ``axis`` (3 for a Gaussian); NaN
    where the sample has no spread."""
    x = np.asarray(x, float)
    d = x - x.mean(axis=axis, keepdims=True)
    m2 = (d * d).mean(axis=axis)
    m4 = (d * d * d * d).mean(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m2 > 0, m4 / np.where(m2 > 0, m2 * m2, 1.0), np.nan)


def sd_se(sd, kurtosis, n):
    """``se(sd) = sd / 2 sqrt((kappa - 1) / n)`` (module doc); ``kappa = 3`` gives
    ``sd / sqrt(2 n)``."""
    return 0.5 * np.asarray(sd, float) * np.sqrt((np.asarray(kurtosis, float) - 1.0) / n)


def var_se(var, kurtosis, n):
    """``se(var) = var sqrt((kappa - 1) / n)`` (module doc)."""
    return np.asarray(var, float) * np.sqrt((np.asarray(kurtosis, float) - 1.0) / n)


__all__ = ["sample_kurtosis", "sd_se", "var_se"]
