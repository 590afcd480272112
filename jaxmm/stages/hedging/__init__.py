"""Hedging stage: batched delta-hedging studies, vol-path hedging and tenor time spreads.

A package: ``compute`` (the tables and ``run``), ``report`` (the report section) and
``schema`` (the output schemas). The rules call ``jaxmm.stages.hedging:run`` and ``:report``.
"""

from jaxmm.stages.hedging.compute import *  # noqa: F401,F403
from jaxmm.stages.hedging.report import report  # noqa: F401
