"""Pipeline stages: one function per Snakemake rule, ``run(inputs, outputs, params)``.

Stages are the tier between the numerics core and the rules: they read and write
parquet/JSON with pandas/pyarrow and call the core. ``jaxmm.stages.runner`` is the one
entry point the rules use.
"""
