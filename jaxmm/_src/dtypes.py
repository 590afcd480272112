"""Dtype handling shared by the numerics: one float dtype for all inputs of a call."""

from __future__ import annotations

import jax.numpy as jnp


def float_inputs(*args):
    """Cast all inputs to one float dtype: that of the float arrays given (Python scalars
    and integer arrays follow them), else JAX's default float."""
    floats = [a for a in args if hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating)]
    dtype = jnp.result_type(*floats) if floats else jnp.result_type(float)
    return [jnp.asarray(a, dtype=dtype) for a in args]
