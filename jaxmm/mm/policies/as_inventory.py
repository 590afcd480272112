"""Avellaneda-Stoikov inventory policy (config name ``"inventory"``): the reservation
price ``r = s - q gamma sigma^2 tau`` and the optimal spread ``gamma sigma^2 tau + (2 /
gamma) ln(1 + gamma / k)`` (``jaxmm.mm.avellaneda_stoikov``), i.e.
``delta_b = h + c q``, ``delta_a = h - c q`` with ``h`` half that spread and
``c = gamma sigma^2 tau``."""

from __future__ import annotations

from jaxmm.mm.avellaneda_stoikov import optimal_spread
from jaxmm.mm.policies.base import AffinePolicy, policy_pytree


@policy_pytree()
class ASInventory(AffinePolicy):
    name = "inventory"

    def half_skew(self, p, tau):
        return 0.5 * optimal_spread(tau, p.gamma, p.sigma, p.k), p.gamma * p.sigma * p.sigma * tau
