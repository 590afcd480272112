"""GLFT exact policy (config name ``"glft"``): Guéant-Lehalle-Fernandez-Tapia's quotes for
the inventory bound ``bound`` (static: it sets the table's shape), time dependent, from
the matrix exponential (``jaxmm.mm.glft.exact_quotes``), tabulated on ``q = -bound ..
bound`` for every step before the time loop; no bid at ``+bound``, no ask at ``-bound``."""

from __future__ import annotations

import jax.numpy as jnp

from jaxmm.mm.glft import exact_quotes
from jaxmm.mm.policies.base import TabulatedPolicy, policy_pytree


@policy_pytree("bound")
class GLFTExact(TabulatedPolicy):
    bound: int = 30
    name = "glft"

    @classmethod
    def from_options(cls, glft_bound: int = 30, **options):
        return cls(bound=glft_bound)

    def __post_init__(self):
        if not isinstance(self.bound, int) or isinstance(self.bound, bool) or self.bound < 1:
            raise ValueError(f"glft_bound: expected an int >= 1 (the GLFT inventory bound); got {self.bound!r}")

    def tabulate(self, p, n_steps: int, fill, dtype):
        """Exact ``(delta_b, delta_a)`` and their fill probabilities per step, each
        ``(n_steps, 2 bound + 1)``, at the steps' tau (in float64 whatever the paths'
        dtype: the matrix exponential needs it)."""
        p = type(p)(*(jnp.asarray(x, jnp.float64) for x in p))
        dt = p.T / n_steps
        tau = p.T - jnp.arange(n_steps, dtype=jnp.float64) * dt
        db, da = exact_quotes(tau, p.gamma, p.sigma, p.k, p.A, self.bound)
        # The NaN of the unquoted edge sides would poison 0 x quote; lookup masks those sides.
        db, da = jnp.nan_to_num(db), jnp.nan_to_num(da)
        pb, pa = (fill.probability(d, dt, p.A, p.k) for d in (db, da))
        return tuple(x.astype(dtype) for x in (db, da, pb, pa))

    def offsets(self, p, q, tau, s=None):
        """Exact ``(delta_b, delta_a)`` at inventory ``q`` (integer in ``[-bound, bound]``)
        and time to go ``tau`` (scalar); NaN on the side not quoted."""
        db, da = exact_quotes(tau, p.gamma, p.sigma, p.k, p.A, self.bound)
        idx = jnp.clip(jnp.asarray(q) + self.bound, 0, 2 * self.bound).astype(jnp.int32)
        return db[..., idx], da[..., idx]
