"""Rolling term-structure statistics: ``jaxmm.stats.rolling.hedge_ratio`` against pandas.

Work (issue 5): 1,000 synthetic price series x 5,000 days (1% of prices missing, a roll
every 21 days masked), taken as 500 front/back pairs (series i and i + 500): log returns
(NaN across rolls), 20-day realised vols of both legs, 20-day rolling correlation, beta,
price ratio, h, h^2, 1/h -- the eight ``HedgeRatio`` fields. Size unit: series-days
(5,000,000).

Baseline: the same recipe with pandas on two 5,000 x 500 DataFrames (columns = series):
``np.log(df).diff()`` masked at rolls, ``.rolling(20).std()``, ``.rolling(20).corr(other)``
(column-aligned pairs) and the arithmetic, i.e. what one writes in a notebook.

Timing: compile excluded; jaxmm (one XLA device), jaxmm split over the cores (the pairs cut
into one contiguous share per XLA host device, ``--cpu-devices``, dispatched asynchronously
as in bench_iv) and pandas are timed in turn, ``--repeat`` rounds, so that they share the
machine's load; best and median of the rounds are recorded, the headline is the best split
time against the best pandas time. Process settings, made before JAX starts and recorded:
XLA's SIMD width (``--cpu-vector-width``: 512 bits on AVX-512) and the C allocator
(``--malloc tuned``: one glibc arena that keeps freed memory, ``mallopt``). The allocator
matters on this VM: every call allocates its 8 x 20 MB of outputs, glibc returns them to the
kernel when they are freed, and first-touch page faults then cost as much as the arithmetic
(20-120 ms a call). pandas runs in the same process with the same allocator.

Accuracy, recorded: max relative difference of h against pandas over all dates (dominated by
windows with correlation ~1e-7, where h ~ 0 and the last bits of both implementations differ,
pandas' more), the same over |corr| >= 1e-3, and the relative error of jaxmm and of pandas
against an 80-bit (numpy longdouble) two-pass evaluation of 2,000 random windows.

Measured 2026-11-21 (``results/bench/rolling.json`` holds the last run), 2-core AMD EPYC
(Zen 5, AVX-512) VM, jax 0.10.2 CPU, float64, best of 10 rounds, compile excluded, with
other engineers' jobs intermittently on the same 2 cores (runs taken when ``top`` showed the
machine idle; the spread below is run-to-run):

- jaxmm split over 2 XLA devices: 17.0-20.0 ms; pandas 185-199 ms. Best-of-10 speedup in
  12 runs of the final code: 11.45, 11.06, 10.82, 10.51, 10.36, 10.25, 10.20, 10.18, 10.17,
  9.95, 9.71, 9.60 (median 10.2x); median-of-10 speedup 8.3-10.5x. The issue's 10x is met
  by the best-of-10 figure in 9 of 12 runs and missed by < 5% in the others: met, without
  margin (and not with one core taken by other work: ~32 ms, ~6x).
- jaxmm on one XLA device (XLA still splits each loop across both cores): 17.4-23.3 ms,
  8.3-11.3x; ``--cpu-devices 1``: 19.4 ms (9.7x).
- XLA's default 256-bit SIMD instead of 512: 27.2 ms (7.1x).
- glibc's default allocator: split 21.1-24.6 ms (8.3-9.7x), one device 42-55 ms best,
  86-142 ms median (3.7-4.9x): page faults on freshly mapped output buffers.
- before this change (12 ``lax.reduce_window`` sums, XLA's scalar libm ``log``), same
  harness and settings: 155 ms (1.3x); 224 ms (0.93x) with the default allocator (the
  0.245 s this benchmark first recorded).

Where the time goes (final code, one device, 2 threads, quiet machine; parts timed as
separate jitted functions, best of 10): log returns 6.0-6.3 ms for both legs (NaN-padding
the prices, one copy, and the ratio/log/mask loop), window kernels 7.1 ms (two vols 1.5 ms
each, correlation 4.0 ms), the five elementwise outputs 5.8 ms (memory bound: 14 passes of
20 MB; writing 8 arrays of 20 MB alone takes 7.2 ms). XLA:CPU has no multi-output fusion,
so each of the eight outputs is its own loop and the three window kernels read the returns
three times; that memory traffic, not arithmetic, is the floor of this design.

Run: ``python -m bench rolling`` (defaults) or ``python -m bench.bench_rolling --repeat 20
--cpu-devices 1 --malloc default``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from bench.common import cpu_vector_width, record

TARGET_SPEEDUP = 10.0  # x pandas (issue 5)


def _tune_malloc() -> bool:
    """One glibc malloc arena that keeps freed memory (no munmap / trim): repeated calls
    reuse the pages of the previous call's outputs instead of faulting in fresh ones."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8
    return bool(libc.mallopt(m_arena_max, 1) and libc.mallopt(m_mmap_threshold, 1 << 30)
                and libc.mallopt(m_trim_threshold, 2**31 - 1))


def make_prices(n_series: int, n_days: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = 70.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n_series, n_days)), axis=-1))
    p[rng.random(p.shape) < 0.01] = np.nan
    rolled = np.zeros(p.shape, bool)
    rolled[:, 21::21] = True
    half = n_series // 2
    return p[:half], p[half:2 * half], rolled[:half]


def exact_h(front, back, rolled, window, cells):
    """h at (pair, date) cells in numpy longdouble (80-bit on x86), two-pass moments."""
    ld = np.longdouble
    out = np.empty(len(cells))
    for j, (i, t) in enumerate(cells):
        pf, pb = front[i, t - window:t + 1].astype(ld), back[i, t - window:t + 1].astype(ld)
        rf, rb = np.log(pf[1:] / pf[:-1]), np.log(pb[1:] / pb[:-1])
        df, db = rf - rf.mean(), rb - rb.mean()
        beta = (df * db).sum() / (df * df).sum()
        out[j] = float(beta * pb[-1] / pf[-1])
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_rolling", description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=1000, help="price series (pairs = series / 2; default 1,000)")
    ap.add_argument("--days", type=int, default=5000, help="dates (default 5,000)")
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=10, help="timed rounds; best and median recorded (default 10)")
    ap.add_argument("--cpu-devices", type=int, default=os.cpu_count() or 1,
                    help="XLA host devices for the split run (default: all cores)")
    ap.add_argument("--cpu-vector-width", default="auto",
                    help="XLA's preferred SIMD width in bits (auto: 512 with AVX-512; 0: XLA's default)")
    ap.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                    help="glibc allocator: tuned (one arena, keep freed memory) or default")
    args = ap.parse_args(argv)

    # process settings before JAX (and numpy's first big allocation)
    malloc_tuned = args.malloc == "tuned" and _tune_malloc()
    width = cpu_vector_width(args.cpu_vector_width)
    flags = [f"--xla_force_host_platform_device_count={max(args.cpu_devices, 1)}"]
    if width:
        flags.append(f"--xla_cpu_prefer_vector_width={width}")
    os.environ["XLA_FLAGS"] = " ".join([os.environ.get("XLA_FLAGS", "")] + flags).strip()

    import jax

    jax.config.update("jax_enable_x64", True)
    import pandas as pd

    from jaxmm.stats.rolling import hedge_ratio

    w = args.window
    front, back, rolled = make_prices(args.series, args.days)
    half = front.shape[0]
    valid = ~rolled
    devices = jax.devices("cpu")
    dev0 = devices[0]
    one = [jax.device_put(a, dev0) for a in (front, back, valid)]
    shares = np.array_split(np.arange(half), len(devices))
    parts = [[jax.device_put(a[idx], d) for a in (front, back, valid)] for idx, d in zip(shares, devices)]

    def run_one():
        jax.block_until_ready(hedge_ratio(one[0], one[1], w, 252.0, one[2], one[2]))

    def run_split():
        jax.block_until_ready([hedge_ratio(f, b, w, 252.0, v, v) for f, b, v in parts])

    df, db, mask = pd.DataFrame(front.T), pd.DataFrame(back.T), pd.DataFrame(rolled.T)

    def run_pandas():
        rf = np.log(df).diff().mask(mask)
        rb = np.log(db).diff().mask(mask)
        vf = rf.rolling(w).std() * np.sqrt(252.0)
        vb = rb.rolling(w).std() * np.sqrt(252.0)
        corr = rb.rolling(w).corr(rf)
        beta = corr * vb / vf
        h = beta * db / df
        return vf, vb, corr, beta, h, h * h, 1.0 / h

    t0 = time.perf_counter()
    run_one()                                          # compile
    compile_s = time.perf_counter() - t0
    run_split()
    hr = hedge_ratio(one[0], one[1], w, 252.0, one[2], one[2])
    ref = run_pandas()
    h_jax = np.asarray(hr.h)
    h_split = np.concatenate([np.asarray(hedge_ratio(f, b, w, 252.0, v, v).h) for f, b, v in parts])
    h_pd, corr_pd = ref[4].to_numpy().T, ref[2].to_numpy().T
    both = np.isfinite(h_pd)
    same_nan = bool(np.array_equal(np.isnan(h_jax), np.isnan(h_pd)))
    rel = np.abs(h_jax[both] - h_pd[both]) / np.abs(h_pd[both])
    big = np.abs(corr_pd[both]) >= 1e-3
    rng = np.random.default_rng(1)
    cells = np.argwhere(both)[rng.choice(int(both.sum()), 2000, replace=False)]
    hx = exact_h(front, back, rolled, w, cells)
    err_jax = np.abs(h_jax[tuple(cells.T)] - hx) / np.abs(hx)
    err_pd = np.abs(h_pd[tuple(cells.T)] - hx) / np.abs(hx)

    times = {"one": [], "split": [], "pandas": []}
    fns = {"one": run_one, "split": run_split, "pandas": run_pandas}
    for _ in range(args.repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in times.items()}
    med = {k: float(np.median(v)) for k, v in times.items()}
    size = 2 * half * args.days
    extra = {
        "speedup_vs_baseline": best["pandas"] / best["split"],
        "target_speedup": TARGET_SPEEDUP,
        "one_device_seconds": best["one"], "one_device_speedup": best["pandas"] / best["one"],
        "median_seconds": {k: med[k] for k in med}, "median_speedup_split": med["pandas"] / med["split"],
        "repeat": args.repeat, "compile_and_first_run_seconds": compile_s,
        "cpu_devices": len(devices), "cpu_vector_width": width or "xla default", "malloc_tuned": malloc_tuned,
        "max_rel_diff_h_vs_pandas": float(rel.max()),
        "max_abs_diff_corr_vs_pandas": float(np.nanmax(np.abs(np.asarray(hr.corr) - corr_pd))),
        "max_rel_diff_h_vs_pandas_abs_corr_ge_1e-3": float(rel[big].max()),
        "split_equals_one_device": bool(np.array_equal(h_split, h_jax, equal_nan=True)),
        "nan_pattern_equals_pandas": same_nan,
        "rel_err_h_vs_longdouble_2000_windows": {"jaxmm_max": float(err_jax.max()), "jaxmm_median": float(np.median(err_jax)),
                                                 "pandas_max": float(err_pd.max()), "pandas_median": float(np.median(err_pd))},
    }
    return record("rolling", f"hedge_ratio: {half} front/back pairs x {args.days} days, window {w}",
                  size, "series-days", best["split"], "pandas rolling std/corr on DataFrames", best["pandas"],
                  extra=extra)


if __name__ == "__main__":
    main(sys.argv[1:])
