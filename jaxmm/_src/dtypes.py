"""Dtype handling shared by the numerics: one float dtype for all inputs of a call."""

from __future__ import annotations

import contextlib

import jax.numpy as jnp


def float_inputs(*args):
    """Cast all inputs to one float dtype: that of the float arrays given (Python scalars
    and integer arrays follow them), else JAX's default float."""
    floats = [a for a in args if hasattr(a, "dtype") and jnp.issubdtype(a.dtype, jnp.floating)]
    dtype = jnp.result_type(*floats) if floats else jnp.result_type(float)
    return [jnp.asarray(a, dtype=dtype) for a in args]


class Float64Required(RuntimeError):
    """Raised where a computation needs float64 and JAX's x64 mode is off."""


def require_x64(what: str) -> None:
    """Raise :class:`Float64Required` naming ``what`` when ``jax_enable_x64`` is off:
    implied vols and calibration in float32 lose the accuracy they promise, and JAX
    would otherwise hand back float32 without a word."""
    import jax

    if not jax.config.jax_enable_x64:
        raise Float64Required(
            f"{what} need float64 but JAX's x64 mode is off (results would silently be float32). "
            "Call jaxmm.configure_jax() before importing JAX, or jax.config.update('jax_enable_x64', True) "
            "before any computation.")


@contextlib.contextmanager
def x64_enabled():
    """Switch JAX's x64 mode on for the ``with`` block and restore the caller's setting
    after it (for code that needs float64 internally, such as the synthetic generator,
    without changing the process's dtype behind the user's back)."""
    import jax

    before = bool(jax.config.jax_enable_x64)
    if not before:
        jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        if not before:
            jax.config.update("jax_enable_x64", False)
