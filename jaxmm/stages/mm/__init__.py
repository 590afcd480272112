"""Market-making stage: batched A-S / GLFT quoting studies and fair-value market making.

A package: ``compute`` (the tables and ``run``), ``report`` (the report section) and
``schema`` (the output schemas). The rules call ``jaxmm.stages.mm:run`` and ``:report``.
"""

from jaxmm.stages.mm.compute import *  # noqa: F401,F403
from jaxmm.stages.mm.report import report  # noqa: F401
