"""Avellaneda-Stoikov simulation throughput: ``jaxmm.mm.simulate.simulate_grid``
against (a) seed 003's loop (one path at a time, a Python step loop with scalar
``np.random.random`` draws and a per-step state record) and (b) a straightforward numpy
version vectorised over paths, all on the same model: the paper's section 3.3 set-up
(s 100, T 1, sigma 2, k 1.5, A 140, 200 steps of dt 0.005), binary mid, linear fills.

Work unit: path-steps. jaxmm runs the gamma grid {0.1, 0.01, 0.5} for both strategies,
``--paths`` paths each (compile excluded, best of ``--repeat``); the numpy version runs
``--numpy-paths`` paths of one grid point, the loop ``--loop-paths`` paths; rates are per
path-step, so the ratios compare the same work. Target of issue 6 (2-core CPU): 200
million path-steps per second for the A-S grid. The record also has each policy's own rate
on the same grid, the GLFT policies (exact and closed form) included.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from bench.common import best_of, record, start_jax

TARGET_RATE = 200e6
SETUP = dict(s0=100.0, T=1.0, sigma=2.0, k=1.5, A=140.0)
N_STEPS = 200
GAMMAS = (0.1, 0.01, 0.5)


def seed_loop(n_paths: int, gamma: float, rng: np.random.Generator) -> np.ndarray:
    """Seed 003's structure: per path, per step, scalar quotes, two scalar fill draws and a
    state record appended to a history list; returns the final profits."""
    s0, T, sigma, k, A = (SETUP[x] for x in ("s0", "T", "sigma", "k", "A"))
    dt = T / N_STEPS
    out = np.empty(n_paths)
    for p in range(n_paths):
        s, q, cash, history = s0, 0, 0.0, []
        for t in range(N_STEPS):
            tau = T - t * dt
            r = s - q * gamma * sigma**2 * tau
            spread = gamma * sigma**2 * tau + 2.0 / gamma * math.log(1.0 + gamma / k)
            bid, ask = r - spread / 2.0, r + spread / 2.0
            if rng.random() < A * math.exp(-k * (s - bid)) * dt:
                q, cash = q + 1, cash - bid
            if rng.random() < A * math.exp(-k * (ask - s)) * dt:
                q, cash = q - 1, cash + ask
            s += sigma * math.sqrt(dt) * (1.0 if rng.random() < 0.5 else -1.0)
            history.append((t, s, q, cash, bid, ask, cash + q * s))
        out[p] = cash + q * s
    return out


def numpy_vectorised(n_paths: int, gamma: float, rng: np.random.Generator) -> np.ndarray:
    """The same model vectorised over paths with numpy (a loop over steps)."""
    s0, T, sigma, k, A = (SETUP[x] for x in ("s0", "T", "sigma", "k", "A"))
    dt = T / N_STEPS
    s, q, cash = np.full(n_paths, s0), np.zeros(n_paths), np.zeros(n_paths)
    for t in range(N_STEPS):
        tau = T - t * dt
        r = s - q * gamma * sigma**2 * tau
        half = 0.5 * (gamma * sigma**2 * tau + 2.0 / gamma * math.log1p(gamma / k))
        bid, ask = r - half, r + half
        u = rng.random((3, n_paths))
        bought = u[0] < A * np.exp(-k * (s - bid)) * dt
        sold = u[1] < A * np.exp(-k * (ask - s)) * dt
        cash += np.where(sold, ask, 0.0) - np.where(bought, bid, 0.0)
        q += bought.astype(float) - sold
        s += sigma * math.sqrt(dt) * np.where(u[2] < 0.5, 1.0, -1.0)
    return cash + q * s


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_mm", description=__doc__.split("\n\n")[0])
    ap.add_argument("--paths", type=int, default=500_000, help="jaxmm paths per grid point and strategy")
    ap.add_argument("--numpy-paths", type=int, default=100_000)
    ap.add_argument("--loop-paths", type=int, default=100)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu", "cuda"])
    ap.add_argument("--cpu-devices", type=int, default=1, help="XLA host devices; chunks alternate between them")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    platform, width = start_jax(args.device, args.cpu_devices)
    import jax
    import jax.numpy as jnp

    from jaxmm.mm.avellaneda_stoikov import ASParams
    from jaxmm.mm.simulate import simulate_grid

    dtype = jnp.float64 if args.dtype == "float64" else jnp.float32
    grid = ASParams(**SETUP, gamma=jnp.asarray(GAMMAS, dtype))
    key = jax.random.PRNGKey(0)
    devices = jax.devices()[:args.cpu_devices] if platform == "cpu" else None
    runs = {s: (lambda k, s=s: simulate_grid(grid, k, args.paths, N_STEPS, strategy=s, dtype=dtype,
                                             devices=devices))
            for s in ("inventory", "symmetric", "glft", "glft_approx")}

    def run_jax():   # the target's work: the A-S grid, both A-S strategies
        jax.block_until_ready([runs[s](key) for s in ("inventory", "symmetric")])

    t0 = time.perf_counter()
    run_jax()
    first = time.perf_counter() - t0
    seconds = best_of(run_jax, args.repeat)
    work = 2 * len(GAMMAS) * args.paths * N_STEPS
    per_strategy = {s: work / 2 / best_of(lambda f=f: jax.block_until_ready(f(key)), args.repeat)
                    for s, f in runs.items()}
    stats = {s: runs[s](key) for s in ("inventory", "symmetric")}

    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    numpy_vectorised(args.numpy_paths, 0.1, rng)
    numpy_rate = args.numpy_paths * N_STEPS / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    seed_loop(args.loop_paths, 0.1, rng)
    loop_rate = args.loop_paths * N_STEPS / (time.perf_counter() - t0)

    rate = work / seconds
    table = {f"{s} gamma {g}": {"mean_profit": float(stats[s].profit[i].mean()),
                                "std_profit": float(stats[s].profit[i].std()),
                                "mean_final_q": float(stats[s].final_q[i].mean()),
                                "std_final_q": float(stats[s].final_q[i].std()),
                                "mean_spread": float(stats[s].mean_spread[i].mean())}
             for s in stats for i, g in enumerate(GAMMAS)}
    rec = record("mm", "simulate_grid: A-S section 3.3 set-up, gamma grid x 2 strategies", work, "path-steps",
                 seconds, "numpy vectorised over paths (same model), rate extrapolated", work / numpy_rate, {
                     "path_steps_per_s": rate, "speedup_vs_numpy": rate / numpy_rate,
                     "path_steps_per_s_by_strategy": per_strategy,
                     "seed_loop_path_steps_per_s": loop_rate, "speedup_vs_seed_loop": rate / loop_rate,
                     "numpy_path_steps_per_s": numpy_rate, "dtype": args.dtype, "paths": args.paths,
                     "compile_and_first_run_seconds": first, "xla_cpu_prefer_vector_width": width,
                     "cpu_devices": args.cpu_devices,
                     "table": table, "targets": {"path_steps_per_s": TARGET_RATE, "met": bool(rate >= TARGET_RATE),
                                                 "note": "target for the 2-core CPU"}})
    print(rec)
    return rec


if __name__ == "__main__":
    main()
