"""Delta-hedging Monte Carlo throughput: ``jaxmm.hedging.delta_hedge.simulate_hedge`` on a
hedge vol x actual vol x cost grid against the same model vectorised with numpy, in the
same run.

Work unit: hedge steps = paths x rebalancing steps x grid points. jaxmm runs the 3 x 3 x 3
grid (hedge vol {15, 20, 25%} x actual vol {15, 20, 30%} x one-way cost {0, 5, 10 bp}),
short ATM call, ``N = 252``, ``--paths`` paths per grid point (compile excluded, best of
``--repeat``), P&L only (``decompose=False``: the target's work); the record also has the
rate with the P&L decomposition and in float32. The numpy version (vectorised over grid
points and paths, a Python loop over steps, ``scipy.special.ndtr`` for the delta) runs
``--numpy-paths`` paths of the whole grid. Target of the issue (2-core CPU): 100 million
hedge steps per second.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np

from bench.common import best_of, record, start_jax

TARGET_RATE = 100e6
N_STEPS = 252
SETUP = dict(s0=100.0, strike=100.0, T=1.0, r=0.0, implied_vol=0.2, position=-1.0)
HEDGE_VOLS = (0.15, 0.2, 0.25)
ACTUAL_VOLS = (0.15, 0.2, 0.3)
COSTS = (0.0, 0.0005, 0.001)


def grid_arrays():
    cells = list(itertools.product(HEDGE_VOLS, ACTUAL_VOLS, COSTS))
    return tuple(np.array(x) for x in zip(*cells))


def numpy_hedge(n_paths: int, rng: np.random.Generator) -> np.ndarray:
    """The same model with numpy: (G, n_paths) P&L of the short call hedged at every step."""
    from scipy.special import ndtr

    s0, k, T, r, iv, pos = (SETUP[x] for x in ("s0", "strike", "T", "r", "implied_vol", "position"))
    hv, av, cost = (x[:, None] for x in grid_arrays())
    dt = T / N_STEPS
    premium = s0 * (2.0 * ndtr(0.5 * iv * math.sqrt(T)) - 1.0)       # ATM call, r = 0
    g = hv.shape[0]
    x = np.full((g, n_paths), math.log(s0))
    s = np.exp(x)
    h = np.zeros((g, n_paths))
    cash = np.full((g, n_paths), -pos * premium)
    for i in range(N_STEPS):
        tau = T - i * dt
        sd = hv * math.sqrt(tau)
        d1 = (x - math.log(k) + 0.5 * hv * hv * tau) / sd
        target = -pos * ndtr(d1)
        dh = target - h
        cash -= dh * s + cost * np.abs(dh) * s
        h = target
        x = x + (-0.5 * av * av * dt) + av * math.sqrt(dt) * rng.standard_normal(n_paths)
        s = np.exp(x)
    return cash + h * s + pos * np.maximum(s - k, 0.0)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_hedge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=100_000, help="jaxmm paths per grid point")
    ap.add_argument("--numpy-paths", type=int, default=5_000, help="numpy paths per grid point")
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu", "cuda"])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    platform, width = start_jax(args.device, 1)
    import jax
    import jax.numpy as jnp

    from jaxmm.hedging.delta_hedge import HedgeParams, simulate_hedge

    hv, av, cost = grid_arrays()
    g = hv.size
    key = jax.random.PRNGKey(0)
    work = g * args.paths * N_STEPS

    def grid(dtype):
        return HedgeParams(**SETUP, hedge_vol=jnp.asarray(hv, dtype), actual_vol=jnp.asarray(av, dtype),
                           cost=jnp.asarray(cost, dtype))

    def runner(dtype, decompose):
        return lambda: jax.block_until_ready(simulate_hedge(grid(dtype), key, args.paths, N_STEPS,
                                                            decompose=decompose, dtype=dtype))

    main_run = runner(jnp.float64, False)
    t0 = time.perf_counter()
    res = main_run()
    first = time.perf_counter() - t0
    seconds = best_of(main_run, args.repeat)
    rates = {}
    for name, dtype, decompose in (("float64_decomposed", jnp.float64, True), ("float32", jnp.float32, False)):
        run = runner(dtype, decompose)
        run()
        rates[name] = work / best_of(run, args.repeat)

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    ref = numpy_hedge(args.numpy_paths, rng)
    numpy_seconds = time.perf_counter() - t0
    numpy_rate = g * args.numpy_paths * N_STEPS / numpy_seconds

    pnl = np.asarray(res.pnl)
    table = {f"hv {a:.2f} av {b:.2f} cost {c:.4f}": {
        "mean_pnl": float(pnl[i].mean()), "sd_pnl": float(pnl[i].std()),
        "numpy_mean_pnl": float(ref[i].mean()), "numpy_sd_pnl": float(ref[i].std())}
        for i, (a, b, c) in enumerate(zip(hv, av, cost))}
    rate = work / seconds
    rec = record("hedge", "simulate_hedge: short ATM call, N = 252, hedge vol x actual vol x cost grid (27 points), "
                 "P&L only, float64", work, "hedge steps", seconds,
                 "numpy + scipy.special.ndtr vectorised over grid x paths (same model), rate extrapolated",
                 work / numpy_rate, {
                     "hedge_steps_per_s": rate, "speedup_vs_numpy": rate / numpy_rate,
                     "numpy_hedge_steps_per_s": numpy_rate, "hedge_steps_per_s_by_variant": rates,
                     "paths": args.paths, "numpy_paths": args.numpy_paths, "grid_points": g, "n_steps": N_STEPS,
                     "compile_and_first_run_seconds": first, "xla_cpu_prefer_vector_width": width,
                     "platform": platform, "table": table,
                     "targets": {"hedge_steps_per_s": TARGET_RATE, "met": bool(rate >= TARGET_RATE),
                                 "note": "target for the 2-core CPU"}})
    return rec


if __name__ == "__main__":
    main()
