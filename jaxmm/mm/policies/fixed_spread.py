"""A constant spread centred on the mid, whatever gamma: the symmetric benchmark of the
A-S 2006 preprint, whose text quotes a constant $1.29 spread (its gamma 0.1 inventory
policy's average spread) for every gamma. ``spread`` is a leaf: changing it does not
recompile. Not a config strategy name (it needs its spread); ``jaxmm.stages.mm`` builds
it for the preprint's rows."""

from __future__ import annotations

from jaxmm.mm.policies.base import AffinePolicy, policy_pytree


@policy_pytree()
class FixedSpread(AffinePolicy):
    spread: float = 1.29
    name = "fixed_spread"

    def half_skew(self, p, tau):
        return 0.5 * self.spread + 0.0 * p.gamma, None
