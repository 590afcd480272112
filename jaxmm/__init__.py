"""jaxmm: a research pipeline for options market making on JAX.

Packages (imports point one way: numerics <- io <- stages <- Snakemake rules):

* ``jaxmm.pricing``   Black-76 prices and Greeks, implied vols, parity forwards
* ``jaxmm.surfaces``  SVI / SSVI smiles, no-arbitrage checks, batched fits
* ``jaxmm.stats``     rolling vol, beta, hedge ratios, tenor Greeks, vol beta, event vol
* ``jaxmm.mm``        Avellaneda-Stoikov, GLFT, fair-value quoting simulations
* ``jaxmm.hedging``   delta-hedging, time-spread and vol-path hedging simulations
* ``jaxmm.backtest``  option-writing backtests on daily series
* ``jaxmm.io``        readers, validation, quarantine, output schemas (no JAX)
* ``jaxmm.synthetic`` synthetic inputs with known truth
* ``jaxmm.stages``    one module per pipeline stage (compute + report)
* ``jaxmm.notebook``  pandas in, pandas out: implied vols, Greeks, smile fits, hedge
  ratios and simulation summaries of DataFrames / Series, index kept
* ``jaxmm._src``      private helpers (random numbers, chunking, dtypes, runtime)

The most used names are re-exported flat (``jm.implied_vol``, ``jm.fit_svi``, ...).
Importing ``jaxmm`` does not import JAX: names load on first use, so IO-only stages
stay light and jobs can set their JAX environment (:func:`configure_jax`) first.
"""

from jaxmm._src.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    # packages
    "pricing": "", "surfaces": "", "stats": "", "mm": "", "hedging": "", "backtest": "",
    "io": "", "synthetic": "", "stages": "", "notebook": "",
    # pricing
    "black": "jaxmm.pricing", "implied_vol": "jaxmm.pricing.iv", "IVStatus": "jaxmm.pricing.iv",
    "implied_forwards": "jaxmm.pricing.parity", "ParitySettings": "jaxmm.pricing.parity",
    # surfaces
    "RawSVI": "jaxmm.surfaces.svi", "SliceData": "jaxmm.surfaces.fit",
    "FitSettings": "jaxmm.surfaces.fit", "FitStatus": "jaxmm.surfaces.fit",
    "fit_svi": "jaxmm.surfaces.fit", "fit_ssvi": "jaxmm.surfaces.fit",
    # statistics
    "log_returns": "jaxmm.stats.rolling", "realised_vol": "jaxmm.stats.rolling",
    "rolling_regression": "jaxmm.stats.rolling", "hedge_ratio": "jaxmm.stats.rolling",
    "vol_beta": "jaxmm.stats.vol_path",
    # simulations
    "ASParams": "jaxmm.mm.avellaneda_stoikov", "simulate_grid": "jaxmm.mm.simulate",
    "HedgeParams": "jaxmm.hedging.delta_hedge", "simulate_hedge": "jaxmm.hedging.delta_hedge",
    # runtime and config
    "configure_jax": "jaxmm._src.runtime", "load_config": "jaxmm.config",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
