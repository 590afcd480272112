"""jaxmm: a research pipeline for options market making on JAX.

Tiers (imports point one way only):
  numerics core (``jaxmm.black`` ...; no pandas)  <-  stages (``jaxmm.stages``,
  ``jaxmm.io``, ``jaxmm.synthetic``; pandas/pyarrow at the boundary)  <-
  Snakemake rules (``workflow/rules``; thin).

Importing ``jaxmm`` does not import JAX: IO-only stages stay light and jobs can set
their JAX environment (``jaxmm.runtime``) before JAX loads.
"""

__version__ = "0.1.0"
