"""Volatility surfaces: raw SVI, jump-wings and SSVI with their no-arbitrage tests
(:mod:`~jaxmm.surfaces.svi`) and batched calibration (:mod:`~jaxmm.surfaces.fit`)
(numerics core, no pandas)."""

from jaxmm._src.lazy import lazy_exports

__all__ = ["svi", "fit", "RawSVI", "SliceData", "FitSettings", "FitStatus", "fit_svi", "fit_ssvi"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "svi": "", "fit": "",
    "RawSVI": ".svi",
    "SliceData": ".fit", "FitSettings": ".fit", "FitStatus": ".fit",
    "fit_svi": ".fit", "fit_ssvi": ".fit",
})
