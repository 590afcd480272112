"""Pipeline stages: one function per Snakemake rule, ``run(inputs, outputs, params)``.

Stages are the tier between the numerics core and the rules: they read and write
parquet/JSON with pandas/pyarrow and call the core. ``jaxmm.stages.runner`` is the one
entry point the rules use.

Layout: a stage with tables of its own is a package, ``compute.py`` (the tables and
``run``), ``report.py`` (its report section, prose in ``jaxmm/report/captions/<stage>.md``)
and ``schema.py`` (its output schemas); statistics also has one module a study. The ingest
stage is a module: its tables are the readers' (``jaxmm.io.schemas``). Each stage builds its
typed settings (``jaxmm.settings``) from ``params["section"]`` first thing; shared keys and
status labels are in ``jaxmm.io.labels``; every table is written by
``jaxmm.stages.frames.to_table``; ``jaxmm.stages.tables`` lists every output (docs/outputs.md).
"""
