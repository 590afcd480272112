"""Fast per-path random words for the market-making simulators.

``jax.random``'s threefry spends ~20 rounds per 64 bits, and drawing three float64
uniforms per path-step made it ~90% of the A-S simulator's time. Here each (chunk, step)
takes one 64-bit seed per word from ``jax.random`` (a scalar draw: threefry, keyed and
reproducible), and path ``p`` gets SplitMix64's output function of ``seed + p * GOLDEN``:
exactly a SplitMix64 stream (Steele, Lea & Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014; the generator of Java's SplittableRandom, which passes
BigCrush), one stream per (chunk, step, word). Paths of one step are consecutive outputs
of one stream; streams start at independent random points of the 2^64 cycle.

Needs 64-bit integers (``jax_enable_x64``; jaxmm's runtime turns it on, float32 paths
are still fine).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

GOLDEN = 0x9E3779B97F4A7C15        # SplitMix64's increment (odd; 2^64 / golden ratio)
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB


def _u64(x):
    return jnp.asarray(x, jnp.uint64)


def _mix(x):
    x = (x ^ (x >> _u64(30))) * _u64(_MIX1)
    x = (x ^ (x >> _u64(27))) * _u64(_MIX2)
    return x ^ (x >> _u64(31))


def path_words(key: jax.Array, n_words: int, n_paths: int) -> jax.Array:
    """``(n_words, n_paths)`` uint64 random words: word ``j`` of path ``p`` is SplitMix64's
    output for ``seed_j + p GOLDEN``, with ``seed_j`` drawn from ``key``."""
    if not jax.config.jax_enable_x64:
        raise RuntimeError("jaxmm._src.random_numbers needs 64-bit integers: enable jax_enable_x64 "
                           "(jaxmm._src.runtime.configure_jax does; float32 paths are unaffected)")
    seeds = jax.random.bits(key, (n_words, 1), jnp.uint64)
    return _mix(seeds + jnp.arange(n_paths, dtype=jnp.uint64) * _u64(GOLDEN))


def uniform(word: jax.Array, shift: int, bits: int, dtype) -> jax.Array:
    """The uniform on [0, 1) given by ``bits`` bits of ``word`` starting at bit ``shift``
    (independent bit fields of one word are independent uniforms). At most the dtype's
    mantissa bits are used (the field's top ones), so the value stays below 1 exactly."""
    kept = min(bits, jnp.finfo(dtype).nmant + 1)
    field = (word >> _u64(shift + bits - kept)) & _u64((1 << kept) - 1)
    bits = kept
    return field.astype(dtype) * jnp.asarray(2.0 ** -bits, dtype)


def sign(word: jax.Array, dtype) -> jax.Array:
    """+1 or -1 with probability 1/2 each, from bit 0 of ``word``."""
    return jnp.where((word & _u64(1)) == _u64(1), 1.0, -1.0).astype(dtype)


def normal_pair(word: jax.Array, dtype) -> tuple[jax.Array, jax.Array]:
    """Two independent standard normals from one word (Box-Muller on its two 32-bit
    halves; the radius uses ``1 - u`` so it is finite)."""
    u1, u2 = uniform(word, 32, 32, dtype), uniform(word, 0, 32, dtype)
    radius = jnp.sqrt(-2.0 * jnp.log1p(-u1))
    angle = (2.0 * jnp.pi) * u2
    return radius * jnp.cos(angle), radius * jnp.sin(angle)
