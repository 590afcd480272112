"""GLFT closed-form policy (config name ``"glft_approx"``): Guéant-Lehalle-Fernandez-Tapia's
stationary approximation ``delta_b = h + c q``, ``delta_a = h - c q``
(``jaxmm.mm.glft.approx_coefficients``)."""

from __future__ import annotations

from jaxmm.mm.glft import approx_coefficients
from jaxmm.mm.policies.base import AffinePolicy, policy_pytree


@policy_pytree()
class GLFTApprox(AffinePolicy):
    name = "glft_approx"

    def half_skew(self, p, tau):
        return approx_coefficients(p.gamma, p.sigma, p.k, p.A)
