"""Backtest stage: covered calls and cash-secured puts on real and synthetic daily series.

A package: ``compute`` (the tables and ``run``), ``report`` (the report section) and
``schema`` (the output schemas). The rules call ``jaxmm.stages.backtest:run`` and ``:report``.
"""

from jaxmm.stages.backtest.compute import *  # noqa: F401,F403
from jaxmm.stages.backtest.report import report  # noqa: F401
