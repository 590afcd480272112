"""The quoting-policy interface shared by ``jaxmm.mm.policies``' modules.

A policy maps the state ``(q, tau, s)`` and the model ``p`` (``ASParams``) to the
distances of its quotes from the mid, ``(delta_b, delta_a)``: bid ``s - delta_b``, ask
``s + delta_a``. Policies are frozen dataclasses registered as pytrees: numeric fields
(e.g. ``FixedSpread.spread``) are leaves, so changing them does not recompile;
structural fields (e.g. ``GLFTExact.bound``, which sets a table's shape) are static
(``meta_fields``) and part of the jit cache key.

Two kinds, as the simulator uses them:

* ``AffinePolicy``: ``delta_b = h + c q``, ``delta_a = h - c q`` with ``(h, c) =
  half_skew(p, tau)`` the same for every path (``c = None``: no skew). The simulator
  evaluates the fill probabilities of both sides with one exponential per path
  (``jaxmm.mm.fills``).
* ``TabulatedPolicy``: quotes precomputed once per parameter set on an inventory grid
  ``q = -bound .. bound`` for every step (``tabulate``, outside the time loop), looked
  up by ``lookup`` in the loop; the table also holds the fill probabilities, and the
  sides the policy does not quote at an inventory (``can_bid``, ``can_ask``).

A new policy is one module (a class deriving from one of these, decorated with
``policy_pytree``) and an entry in ``jaxmm.mm.policies.POLICIES``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp


def policy_pytree(*static: str):
    """Class decorator: a frozen dataclass registered as a pytree whose fields are leaves
    except those named in ``static`` (aux data: hashed, compared, part of jit's cache key)."""
    def wrap(cls):
        cls = dataclasses.dataclass(frozen=True)(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        jax.tree_util.register_dataclass(cls, data_fields=[n for n in names if n not in static],
                                         meta_fields=[n for n in names if n in static])
        return cls
    return wrap


class AffinePolicy:
    """Quotes ``delta_b = h + c q``, ``delta_a = h - c q`` (module doc)."""

    name = "affine"
    tabulated = False

    @classmethod
    def from_options(cls, **options):
        """The policy from the simulator's options (``glft_bound``, ...); most take none."""
        return cls()

    def half_skew(self, p, tau):
        """``(h, c)``: half spread and skew per unit of inventory at time to go ``tau``
        (``c = None``: no skew)."""
        raise NotImplementedError

    def offsets(self, p, q, tau, s=None):
        """``(delta_b, delta_a)`` at inventory ``q`` and time to go ``tau`` (``s``, the mid,
        is not used by these policies; it is in the signature for those that would)."""
        h, c = self.half_skew(p, tau)
        if c is None:
            return h + 0.0 * q, h + 0.0 * q
        x = q * c
        return h + x, h - x


class TabulatedPolicy:
    """Quotes precomputed on an inventory grid for every step (module doc)."""

    name = "tabulated"
    tabulated = True
    bound: int

    def tabulate(self, p, n_steps: int, fill, dtype):
        """``(delta_b, delta_a, p_bid, p_ask)``, each ``(n_steps, 2 bound + 1)``, for one
        parameter set ``p`` and fill model ``fill`` (``jaxmm.mm.fills``)."""
        raise NotImplementedError

    def lookup(self, table, q, i):
        """``(delta_b, delta_a, p_bid, p_ask, can_bid, can_ask)`` at inventory ``q``
        (integer valued) and step ``i``."""
        idx = jnp.clip(q + self.bound, 0, 2 * self.bound).astype(jnp.int32)
        db, da, pb, pa = (t[i][idx] for t in table)
        return db, da, pb, pa, q < self.bound, q > -self.bound

    def offsets(self, p, q, tau, s=None):
        raise NotImplementedError
