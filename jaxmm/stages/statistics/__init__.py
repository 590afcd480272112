"""Statistics stage: term-structure and volatility statistics on the ingested data.

A package: one module a study (``hedge``: hedge ratios and their summary, ``portfolio``,
``vol_beta``, ``vol_premium``, ``effective_deltas``, ``event_vol``, ``etf``), the positions
reader (``positions``), the array plumbing they share (``arrays``), ``compute`` (every table
and ``run``), ``report`` (the report section) and ``schema`` (the output schemas). The rules
call ``jaxmm.stages.statistics:run`` and ``:report``.
"""

from jaxmm.stages.statistics.arrays import vol_frame  # noqa: F401
from jaxmm.stages.statistics.compute import TABLES, compute, run  # noqa: F401
from jaxmm.stages.statistics.effective_deltas import effective_deltas  # noqa: F401
from jaxmm.stages.statistics.etf import etf_premium  # noqa: F401
from jaxmm.stages.statistics.event_vol import EVENT_INPUTS, event_vol  # noqa: F401
from jaxmm.stages.statistics.hedge import HEDGE_STATISTICS, hedge_ratios, hedge_summary, option_days  # noqa: F401
from jaxmm.stages.statistics.portfolio import portfolio_risk  # noqa: F401
from jaxmm.stages.statistics.positions import POSITION_COLUMNS, read_positions  # noqa: F401
from jaxmm.stages.statistics.report import report  # noqa: F401
from jaxmm.stages.statistics.vol_beta import vol_beta  # noqa: F401
from jaxmm.stages.statistics.vol_premium import SPOT_TOLERANCE, chain_atm_vols, vol_premium  # noqa: F401
