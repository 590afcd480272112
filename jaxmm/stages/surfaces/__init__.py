"""Surfaces stage: SVI slices and SSVI surfaces fitted to the implied vols, checks against

A package: ``compute`` (the tables and ``run``), ``report`` (the report section) and
``schema`` (the output schemas). The rules call ``jaxmm.stages.surfaces:run`` and ``:report``.
"""

from jaxmm.stages.surfaces.compute import *  # noqa: F401,F403
from jaxmm.stages.surfaces.report import report  # noqa: F401
