"""Implied vols: ``jaxmm.pricing.iv.implied_vol`` on one batch of quotes against vollib.

Measured (issue 3 targets: >= 5 million IVs/s on the 2-core CPU, >= 100x vollib):

- ``iv``: ``jax.jit(implied_vol)`` on ``--size`` random quotes (default 10 million) as one
  float64 batch on ``--device`` (cpu by default; ``gpu`` where one is lent), best of
  ``--repeat`` (3) after a warm-up call that compiles (compile time recorded apart).
  On the CPU the batch is split into one contiguous share per core, each solved on its
  own XLA host device (``--cpu-devices``, default all cores), and XLA is asked for
  512-bit SIMD where the CPU has AVX-512 (``--cpu-vector-width``); both are recorded.
  Quotes: F log-uniform in 1..1000, t log-uniform 1 day..5 years, vol log-uniform
  5%..150%, log-moneyness ``z * vol sqrt(t)`` with z uniform in (-3, 3), calls and puts
  half each, D = exp(-r t) with r uniform in 0..5%; prices by ``jaxmm.pricing.black.price``.
  Size unit: implied vols.
- Baseline: vollib's ``implied_volatility`` (Jäckel's LetsBeRational in pure Python, the
  py_lets_be_rational package), one Python call per quote, on a random subset
  (``--vollib-size``, default 100,000) of the SAME quotes, timed once. Its time is
  extrapolated to the full batch (per-quote time x size) for ``baseline_seconds`` and the
  ratio; the JSON says so (``baseline_subset_size``, ``baseline_subset_seconds``).
- Accuracy of the batch, recorded with the timing: relative error against the generating
  vol (max, 99.9th percentile, count above 1e-12) and the count per status. The error
  against the generating vol includes the effect of rounding the price to float64 (a
  vol's sensitivity to its price grows without bound near the upper bound), so it is an
  upper bound on the solver's error; the exact-inverse accuracy is the next item.
- ``iv_accuracy``: the accuracy grid of ``tests/_iv_reference.py`` (float64 prices with
  their exact inverse from mpmath at 50 digits; deep OTM down to 1e-20 F, 1 hour to 30
  years, time value down to 1e-12 F, vols 0.1% to 500%): max and median relative error per
  regime, written to results/bench/iv_accuracy.json and, as the README's table,
  results/bench/iv_accuracy.md (``--no-accuracy`` skips it).

Run: ``python -m bench iv`` (defaults) or ``python -m bench.bench_iv --size 200000
--device gpu --vollib-size 20000``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import OUT_DIR, best_of, record, start_jax

TARGET_RATE = 5e6        # IVs/s on the 2-core CPU (issue 3)
TARGET_SPEEDUP = 100.0   # x vollib
TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"


def make_quotes(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random quotes (module docstring) as numpy float64 arrays; ``price`` from jaxmm.pricing.black."""
    import jax

    from jaxmm.pricing import black

    rng = np.random.default_rng(seed)
    F = np.exp(rng.uniform(0.0, math.log(1000.0), n))
    t = np.exp(rng.uniform(math.log(1 / 365), math.log(5.0), n))
    sigma = np.exp(rng.uniform(math.log(0.05), math.log(1.5), n))
    K = F * np.exp(rng.uniform(-3.0, 3.0, n) * sigma * np.sqrt(t))
    is_call = rng.random(n) < 0.5
    D = np.exp(-rng.uniform(0.0, 0.05, n) * t)
    price = np.asarray(jax.jit(black.price)(F, K, t, sigma, is_call, D))
    return {"price": price, "forward": F, "strike": K, "t": t, "is_call": is_call, "discount": D, "sigma": sigma}


def time_jaxmm(q: dict, device, repeat: int) -> dict:
    import jax

    from jaxmm.pricing.iv import IVStatus, implied_vol

    names = ("price", "forward", "strike", "t", "is_call", "discount")
    devices = jax.devices(device.platform) if device.platform == "cpu" else [device]
    # One XLA host device per core (--cpu-devices): each solves a contiguous share of the
    # batch; the calls are dispatched asynchronously and run side by side.
    shares = np.array_split(np.arange(q["price"].size), len(devices))
    parts = [[jax.device_put(q[k][idx], dev) for k in names] for idx, dev in zip(shares, devices)]
    solve = jax.jit(implied_vol)

    def fn():
        outs = [solve(*part) for part in parts]
        return (np.concatenate([np.asarray(o[0]) for o in jax.block_until_ready(outs)]),
                np.concatenate([np.asarray(o[1]) for o in outs]))

    def run():
        jax.block_until_ready([solve(*part) for part in parts])

    t0 = time.perf_counter()
    vol, status = fn()                                         # compile + first run
    first = time.perf_counter() - t0
    seconds = best_of(run, repeat)
    err = np.abs(vol - q["sigma"]) / q["sigma"]
    ok = status == IVStatus.OK
    e_ok = err[ok] if ok.any() else np.array([np.inf])
    counts = {IVStatus(int(s)).name: int(c) for s, c in zip(*np.unique(status, return_counts=True))}
    return {
        "seconds": seconds, "compile_and_first_run_seconds": first, "vol": vol, "status": status,
        "accuracy_vs_generating_vol": {
            "max_rel_err": float(e_ok.max()), "p99_9_rel_err": float(np.percentile(e_ok, 99.9)),
            "median_rel_err": float(np.median(e_ok)), "n_above_1e-12": int((e_ok > 1e-12).sum()),
            "n_not_ok": int((~ok).sum()), "status_counts": counts,
            "note": "relative error of OK vols vs the vol that generated the float64 price; includes "
                    "the price's rounding (see iv_accuracy.json for the error vs the exact inverse)",
        },
    }


def time_vollib(q: dict, idx: np.ndarray) -> dict:
    """One vollib call per quote of the subset ``idx`` (timed once: a Python loop)."""
    from py_lets_be_rational.exceptions import AboveMaximumException, BelowIntrinsicException
    from vollib.black.implied_volatility import implied_volatility

    p, F, K, t, D = (q[k][idx].tolist() for k in ("price", "forward", "strike", "t", "discount"))
    r = [-math.log(d) / tt for d, tt in zip(D, t)]
    flag = ["c" if c else "p" for c in q["is_call"][idx]]
    out = np.full(idx.size, np.nan)

    def run():
        for i in range(idx.size):
            try:
                out[i] = implied_volatility(p[i], F[i], K[i], r[i], t[i], flag[i])
            except (AboveMaximumException, BelowIntrinsicException):
                out[i] = np.nan

    t0 = time.perf_counter()
    run()
    return {"seconds": time.perf_counter() - t0, "vol": out}


def accuracy_report(device) -> dict:
    """The exact-inverse accuracy table (tests/_iv_reference.py) -> iv_accuracy.json/.md."""
    import jax

    from jaxmm.pricing.iv import IVStatus, implied_vol

    sys.path.insert(0, str(TESTS_DIR))
    import _iv_reference as ref

    grid = ref.accuracy_grid()
    g = grid.ok
    fn = jax.jit(implied_vol)
    args = [jax.device_put(a, device) for a in (g.price, g.forward, g.strike, g.t, g.is_call, g.discount)]
    vol, status = (np.asarray(a) for a in fn(*args))
    rows = ref.accuracy_table(g, vol, 1e-12)
    at_max = grid.at_max
    vm, sm = (np.asarray(a) for a in fn(*(jax.device_put(a, device) for a in (
        at_max.price, at_max.forward, at_max.strike, at_max.t, at_max.is_call, at_max.discount))))
    rep = {
        "name": "iv_accuracy", "what": "implied_vol vs the exact inverse (mpmath, 50 digits) of float64 prices",
        "tolerance": 1e-12, "n_cases": len(g), "reference_build_seconds": grid.build_seconds,
        "n_not_ok": int((status != IVStatus.OK).sum()),
        "n_at_upper_bound": len(at_max),
        "n_at_upper_bound_with_status_at_maximum": int(((sm == IVStatus.AT_MAXIMUM) & (vm == np.inf)).sum()),
        "regimes": rows, "device": f"{jax.devices()[0].platform}", "date": time.strftime("%Y-%m-%d"),
        "grid": "tests/_iv_reference.py (docstring): F in {1, 100}; t in {1h, 1d, 1w, 0.1, 1, 5, 30}y; vol in "
                "{0.1%, 1%, 10%, 30%, 100%, 200%, 500%}; ln(K/F) = z vol sqrt(t), |z| <= 9, and +-{0.001, 0.1, 1, 3}; "
                "calls and puts; kept: OTM price >= 1e-20 F, ITM time value >= 1e-12 F, price < upper bound",
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "iv_accuracy.json").write_text(json.dumps(rep, indent=1))
    md = (f"Relative error of `implied_vol` against the exact inverse of {len(g)} float64 prices "
          f"(mpmath, 50 digits; grid in `tests/_iv_reference.py`), {rep['n_not_ok']} not OK; "
          f"{rep['n_at_upper_bound_with_status_at_maximum']} of {len(at_max)} prices that round to the upper "
          f"bound give AT_MAXIMUM.\n\n" + ref.format_table(rows, 1e-12) + "\n")
    (OUT_DIR / "iv_accuracy.md").write_text(md)
    print(md)
    return rep


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_iv", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000_000, help="quotes in the batch (default 10,000,000)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "gpu", "cuda"], help="JAX platform (default cpu)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many timed runs (default 3)")
    ap.add_argument("--vollib-size", type=int, default=100_000,
                    help="vollib subset (default 100,000; 0 skips the baseline, as does vollib not installed)")
    ap.add_argument("--cpu-devices", type=int, default=os.cpu_count() or 1,
                    help="XLA host devices on the CPU, one per core (default: all cores); the batch is "
                         "split evenly between them")
    ap.add_argument("--cpu-vector-width", default="auto",
                    help="XLA's preferred SIMD width on the CPU in bits (auto: 512 where the CPU has "
                         "AVX-512, else XLA's default; 0: XLA's default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-accuracy", action="store_true", help="skip the exact-inverse accuracy table")
    args = ap.parse_args(argv)

    platform, vector_width = start_jax(args.device, args.cpu_devices, args.cpu_vector_width)
    import jax

    device = jax.devices(platform)[0]

    t0 = time.perf_counter()
    q = make_quotes(args.size, args.seed)
    gen_seconds = time.perf_counter() - t0
    res = time_jaxmm(q, device, args.repeat)

    m = min(args.vollib_size, args.size)
    idx = np.sort(np.random.default_rng(args.seed + 1).choice(args.size, m, replace=False))
    try:
        base = time_vollib(q, idx) if m > 0 else None
    except ImportError as exc:          # e.g. a GPU image without vollib: time jaxmm alone
        print(f"vollib baseline skipped: {exc}", flush=True)
        base = None
    if base is not None:
        per_quote = base["seconds"] / m
        both = np.isfinite(base["vol"]) & (res["status"][idx] == 0)
        diff = np.abs(res["vol"][idx][both] - base["vol"][both]) / base["vol"][both]
        vs_vollib = {"n_both_vols": int(both.sum()), "max_rel_diff": float(diff.max()) if diff.size else None,
                     "n_vollib_raised": int((~np.isfinite(base["vol"])).sum())}
    else:
        per_quote, m, vs_vollib = math.nan, 0, None
    rate = args.size / res["seconds"]
    speedup = per_quote * args.size / res["seconds"]
    record("iv", "jit(implied_vol) on one float64 batch of random Black-76 quotes", args.size, "implied vols",
           res["seconds"], "vollib.black.implied_volatility (py_lets_be_rational), one Python call per quote"
           + ("" if base else " [skipped]"), per_quote * args.size, {
               "baseline_extrapolated": True, "baseline_subset_size": m,
               "baseline_subset_seconds": base["seconds"] if base else None,
               "baseline_rate_per_s": 1 / per_quote, "speedup_vs_baseline": speedup,
               "compile_and_first_run_seconds": res["compile_and_first_run_seconds"],
               "cpu_devices": args.cpu_devices if platform == "cpu" else None,
               "xla_cpu_prefer_vector_width": vector_width,
               "quote_generation_seconds": gen_seconds, "repeat": args.repeat, "seed": args.seed,
               "accuracy_vs_generating_vol": res["accuracy_vs_generating_vol"],
               "vs_vollib_on_subset": vs_vollib,
               "quotes": "F log-U(1, 1000), t log-U(1d, 5y), vol log-U(5%, 150%), ln(K/F) = U(-3, 3) vol sqrt t, "
                         "call/put 50/50, D = exp(-U(0, 5%) t); price = jaxmm.pricing.black.price",
               "targets": {"rate_per_s": TARGET_RATE, "speedup_vs_baseline": TARGET_SPEEDUP,
                           "met": bool(rate >= TARGET_RATE and speedup >= TARGET_SPEEDUP),
                           "note": "targets are for the 2-core CPU"},
           })
    if not args.no_accuracy:
        try:
            accuracy_report(device)
        except ImportError as exc:      # mpmath missing (e.g. a bare GPU image)
            print(f"accuracy table skipped: {exc}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
