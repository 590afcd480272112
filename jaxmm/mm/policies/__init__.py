"""Quoting policies as objects, one module each, and the registry of the config's names.

Numerics core (no pandas). Interface in ``jaxmm.mm.policies.base``: a policy gives the
distances of its quotes from the mid, ``(delta_b, delta_a)``, from the state
``(q, tau, s)`` and the model parameters; affine policies as ``(h, c)`` (``delta_b = h +
c q``, ``delta_a = h - c q``), tabulated ones from a table built before the time loop.

``POLICIES`` maps the config's strategy names (``mm.as.policies``) to policy classes;
``make_policy(name, glft_bound=...)`` builds one. Adding a policy: one new module here and
one entry in ``POLICIES``; the simulator (``jaxmm.mm.simulate``) takes any policy object.

Example::

    >>> import jax; jax.config.update("jax_enable_x64", True)
    >>> from jaxmm.mm.avellaneda_stoikov import ASParams
    >>> db, da = make_policy("inventory").offsets(ASParams(gamma=0.1), q=2.0, tau=1.0)
    >>> round(float(db), 4), round(float(da), 4)
    (1.6454, 0.0454)
"""

from __future__ import annotations

from jaxmm.mm.policies.as_inventory import ASInventory
from jaxmm.mm.policies.base import AffinePolicy, TabulatedPolicy, policy_pytree
from jaxmm.mm.policies.fair_value_quoting import FairValueQuoting
from jaxmm.mm.policies.fixed_spread import FixedSpread
from jaxmm.mm.policies.glft_approx import GLFTApprox
from jaxmm.mm.policies.glft_exact import GLFTExact
from jaxmm.mm.policies.symmetric import Symmetric

POLICIES = {"inventory": ASInventory, "symmetric": Symmetric, "glft": GLFTExact, "glft_approx": GLFTApprox}


def make_policy(name, glft_bound: int = 30):
    """The policy of config name ``name`` (``POLICIES``); a policy object passes through.
    ``glft_bound`` is the GLFT exact policy's inventory bound (ignored by the others)."""
    if isinstance(name, (AffinePolicy, TabulatedPolicy)):
        return name
    if name not in POLICIES:
        raise ValueError(f"strategy: expected one of {', '.join(POLICIES)}; got {name!r}")
    return POLICIES[name].from_options(glft_bound=glft_bound)


__all__ = ["AffinePolicy", "ASInventory", "FairValueQuoting", "FixedSpread", "GLFTApprox", "GLFTExact", "POLICIES",
           "Symmetric", "TabulatedPolicy", "make_policy", "policy_pytree"]
