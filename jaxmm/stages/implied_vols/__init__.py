"""Implied-vol stage: forwards and discount factors per chain snapshot, IVs and Greeks per

A package: ``compute`` (the tables and ``run``), ``report`` (the report section) and
``schema`` (the output schemas). The rules call ``jaxmm.stages.implied_vols:run`` and ``:report``.
"""

from jaxmm.stages.implied_vols.compute import *  # noqa: F401,F403
from jaxmm.stages.implied_vols.report import report  # noqa: F401
