"""Fill models: the probability that a resting quote fills within one step.

Numerics core (no pandas). Two different questions, two names:

* ``quote_fill_probability(delta, dt, A, k, fill)`` (A-S / GLFT, ``jaxmm.mm.simulate``):
  a quote at distance ``delta >= 0`` from the mid, arrivals of intensity
  ``lambda(delta) = A exp(-k delta)`` per unit time, over ``dt``; ``fill="linear"``
  (``LinearFill``: ``lambda dt`` clipped to 1, the paper's) or ``"poisson"``
  (``PoissonFill``: ``1 - exp(-lambda dt)``, at least one arrival).
* ``crossing_fill_probability(x, dt_days, A, k)`` (prediction-market quoting around a fair
  value, ``jaxmm.mm.fair_value``): a quote ``x`` on the *wrong* side of the market price
  (``x < 0``: better than the market) over ``dt_days`` business days, always Poisson,
  with the exponent capped so it never overflows.

A fill model is an empty frozen dataclass (hashable: usable as a static jit argument) with
``probability(delta, dt, A, k)`` and ``affine_probabilities(h, x, dt, A, k)``, the
probabilities of the two sides at ``delta_b = h + x``, ``delta_a = h - x`` (``x = None``:
both ``h``), which ``LinearFill`` evaluates with one exponential per path (the
simulator's fill step is mostly these exponentials). ``FILL_MODELS`` maps the config's
``fill`` names to them; a new model is a class here and an entry there.

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> round(float(quote_fill_probability(1.0, 0.005, 140.0, 1.5)), 6)
    0.156191
    >>> round(float(quote_fill_probability(1.0, 0.005, 140.0, 1.5, "poisson")), 6)
    0.144604
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp

_MAX_KX = 80.0        # |k x| clamp of the skew factor: exp(80) is finite in float32, and 80 saturates any probability
_MAX_EXPONENT = 60.0  # crossing fills: exp(-k x) capped, so A = 0 gives 0, not 0 x inf = NaN


@dataclasses.dataclass(frozen=True)
class LinearFill:
    """``min(A exp(-k delta) dt, 1)`` (Avellaneda-Stoikov section 3.3)."""

    name = "linear"

    def probability(self, delta, dt, A, k):
        return jnp.clip(A * jnp.exp(-k * delta) * dt, 0.0, 1.0)

    def affine_probabilities(self, h, x, dt, A, k):
        scale = A * dt * jnp.exp(-k * h)
        if x is None:
            pb = jnp.clip(scale, 0.0, 1.0)
            return pb, pb
        e = jnp.exp(-jnp.clip(k * x, -_MAX_KX, _MAX_KX))
        return jnp.clip(scale * e, 0.0, 1.0), jnp.clip(scale / e, 0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class PoissonFill:
    """``1 - exp(-A exp(-k delta) dt)``: at least one arrival of a Poisson process."""

    name = "poisson"

    def probability(self, delta, dt, A, k):
        return -jnp.expm1(-(A * jnp.exp(-k * delta) * dt))

    def affine_probabilities(self, h, x, dt, A, k):
        db, da = (h, h) if x is None else (h + x, h - x)
        return self.probability(db, dt, A, k), self.probability(da, dt, A, k)


FILL_MODELS = {m.name: m for m in (LinearFill(), PoissonFill())}


def fill_model(fill: str):
    """The fill model named ``fill`` (``FILL_MODELS``); ValueError naming the choices."""
    try:
        return FILL_MODELS[fill]
    except (KeyError, TypeError):
        raise ValueError(f"fill: expected one of {', '.join(FILL_MODELS)}; got {fill!r}") from None


def quote_fill_probability(delta, dt, A, k, fill: str = "linear"):
    """Probability that a quote at distance ``delta`` from the mid fills within ``dt``
    (intensity ``A exp(-k delta)``; module doc)."""
    return fill_model(fill).probability(delta, dt, A, k)


def crossing_fill_probability(x, dt_days, A, k):
    """``1 - exp(-A exp(-k x) dt_days)``: a quote ``x`` on the wrong side of the market fills
    within ``dt_days`` business days (``x < 0``: better than the market, fills more often)."""
    return -jnp.expm1(-A * jnp.exp(jnp.minimum(-k * x, _MAX_EXPONENT)) * dt_days)


__all__ = ["FILL_MODELS", "LinearFill", "PoissonFill", "crossing_fill_probability", "fill_model",
           "quote_fill_probability"]
