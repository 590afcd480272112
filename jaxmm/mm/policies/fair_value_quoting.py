"""Quoting around a fair value with a linear inventory skew (seed 001's prediction-market
market maker, ``jaxmm.mm.fair_value``): ``bid = fair - half_spread - skew q``,
``ask = fair + half_spread - skew q``, i.e. ``delta_b = half_spread + skew q``,
``delta_a = half_spread - skew q`` measured from the fair value (not the market price).
``half_spread`` and ``skew`` are ``FairValueParams`` fields (leaves of the simulation's
parameters), so the policy itself has no fields."""

from __future__ import annotations

from jaxmm.mm.policies.base import AffinePolicy, policy_pytree


@policy_pytree()
class FairValueQuoting(AffinePolicy):
    name = "fair_value"

    def half_skew(self, p, tau):
        return p.half_spread, p.skew

    def quotes(self, fair, q, p):
        """``(bid, ask)`` around ``fair`` at inventory ``q`` (``p``: ``FairValueParams``)."""
        return fair - p.half_spread - p.skew * q, fair + p.half_spread - p.skew * q
