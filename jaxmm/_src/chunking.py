"""The Python driver over chunks of Monte Carlo paths, shared by the batched simulators
(``jaxmm.mm.simulate``, ``jaxmm.hedging``): one jitted call per chunk, memory bounded
whatever the number of paths, chunks alternating between devices, progress logged."""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def run_chunks(run: Callable, inputs, key: jax.Array, n_paths: int, chunk: int, work_per_path: int,
               devices: Sequence[jax.Device] | None, log: logging.Logger, label: str, unit: str) -> list:
    """Call ``run(inputs, fold_in(key, c), size)`` for chunks ``c = 0, 1, ...`` of ``size``
    paths (equal chunks of at most ``chunk``: path ``p`` is path ``p mod size`` of chunk
    ``p // size``), chunk ``c`` on ``devices[c % len(devices)]`` (default: JAX's default
    device), at most one chunk per device in flight. With more than one chunk, each
    finished one is logged on ``log`` (INFO) with the rate in ``unit``/s
    (``work_per_path`` units a path). Returns each output of ``run`` concatenated along
    axis 1 and cut to ``n_paths``; outputs that are None stay None."""
    n_chunks = -(-n_paths // chunk)
    size = -(-n_paths // n_chunks)            # the last chunk wastes fewer than n_chunks paths
    devices = list(devices) if devices else [None]
    placed = [inputs if d is None else jax.device_put(inputs, d) for d in devices]
    pending, done, t0 = [], [], time.perf_counter()
    for c in range(n_chunks):
        slot = c % len(devices)
        chunk_key = jax.random.fold_in(key, c)
        if devices[slot] is not None:
            chunk_key = jax.device_put(chunk_key, devices[slot])
        pending.append(run(placed[slot], chunk_key, size))
        while len(pending) > len(devices) or (c == n_chunks - 1 and pending):
            done.append(jax.device_get(pending.pop(0)))
            if n_chunks > 1:
                rate = len(done) * size * work_per_path / (time.perf_counter() - t0)
                log.info("%s chunk %d/%d: %.0fM %s/s", label, len(done), n_chunks, rate / 1e6, unit)
    return [None if x[0] is None else jnp.asarray(np.concatenate(x, axis=1)[:, :n_paths]) for x in zip(*done)]
