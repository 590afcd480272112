"""Pricing: Black-76 / Black-Scholes prices and Greeks on the normalised Black function,
implied vols, and forwards and discount factors from put-call parity (numerics core, no
pandas).

Modules: :mod:`~jaxmm.pricing.black` (prices, Greeks, rules of thumb),
:mod:`~jaxmm.pricing.normalised_black` (the core), :mod:`~jaxmm.pricing.iv` (implied
vols), :mod:`~jaxmm.pricing.parity` (implied forwards).
"""

from jaxmm._src.lazy import lazy_exports

__all__ = ["black", "normalised_black", "iv", "parity",
           "implied_vol", "IVStatus", "implied_forwards", "ParitySettings"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "black": "", "normalised_black": "", "iv": "", "parity": "",
    "implied_vol": ".iv", "IVStatus": ".iv",
    "implied_forwards": ".parity", "ParitySettings": ".parity",
})
