"""Symmetric benchmark of the published A-S paper (config name ``"symmetric"``): the time
average over ``[0, T]`` of the inventory policy's spread, ``gamma sigma^2 T / 2 + (2 /
gamma) ln(1 + gamma / k)``, centred on the mid (no skew)."""

from __future__ import annotations

from jaxmm.mm.avellaneda_stoikov import average_spread
from jaxmm.mm.policies.base import AffinePolicy, policy_pytree


@policy_pytree()
class Symmetric(AffinePolicy):
    name = "symmetric"

    def half_skew(self, p, tau):
        return 0.5 * average_spread(p.T, p.gamma, p.sigma, p.k), None
