"""Private helpers of jaxmm (random numbers, chunked batches, dtypes, the JAX runtime).

Not a public API: the domain packages import from here; users import from ``jaxmm`` and
its packages.
"""
