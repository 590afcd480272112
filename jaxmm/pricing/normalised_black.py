"""The normalised Black function and erfcx: the shared numerics under prices and implied vols.

With ``x = ln(F/K) <= 0`` (an out-of-the-money call; a put maps to ``-x``), ``s = vol sqrt(t)``,
``h = x/s`` and ``t' = s/2`` (P. Jäckel, "Let's be rational", Wilmott (2015) 40-53)::

    b(x, s) = e^{x/2} N(h + t') - e^{-x/2} N(h - t'),   0 <= b < e^{x/2}
    OTM price = D sqrt(F K) b(-|x|, s)

``normalised_black_otm`` returns ``b``, its complement ``u = e^{x/2} - b`` (the distance to
the upper bound, which the implied-vol solver needs with full relative accuracy near the
maximum) and the vega ``db/ds``, each to a few ulps relative in Jäckel's four regions:

* ``h < -10`` (and small ``t'``): an asymptotic expansion (Abramowitz & Stegun 26.2.12);
* ``t' < 0.21``: a Taylor series in ``t'`` (no cancellation at small vol);
* ``h + t' > 0.85``: ``u`` as a sum of two positive tails and ``b = e^{x/2} - u``;
* elsewhere: ``b = exp(-(h^2+t'^2)/2) [erfcx(-(h+t')/sqrt2) - erfcx((t'-h)/sqrt2)] / 2``.

``erfcx(y) = exp(y^2) erfc(y)`` is W. J. Cody's rational approximation ("Rational Chebyshev
approximations for the error function", Math. Comp. 23 (1969) 631-637): JAX's own erfcx is
``exp(y^2) erfc(y)``, a few ulps worse, and the small-t series magnifies that.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

_INV_SQRT_2PI = 0.3989422804014327
_INV_SQRT_2 = 0.7071067811865476
_SQRT_HALF_PI = 1.2533141373155003     # sqrt(pi/2): N(z)/n(z) = sqrt(pi/2) erfcx(-z/sqrt2)



_ETA = -10.0                                        # asymptotic expansion for h < _ETA
_TAU = 2.0 * 2.220446049250313e-16 ** (1.0 / 16)    # 0.2100: small-t series for t < _TAU
_H_FLOOR = -50.0   # b(x, s) <= exp(-(h^2+t^2)/2) underflows beyond (whatever t): clamp h there
_H_CLIP = 1.0e4    # |x/s| clipped for the partials (n and N(-|d|) are 0 long before)


def _asymptotic_coefficients(order=17):
    """Coefficients of ``A(h, t) = (r/t) [Y(h+t) - Y(h-t)]`` (Jäckel's asymptotic sum).

    With ``Y(z) = N(z)/n(z) ~ -1/z sum_n (-1)^n (2n-1)!! z^{-2n}`` (Abramowitz & Stegun
    26.2.12), ``r = h^2 - t^2``, ``q = (h/r)^2`` and ``e = (t/h)^2``::

        A = sum_n (-1)^n (2n-1)!! q^n 2 sum_i C(2n+1, 2i+1) e^i

    (every inner term positive: no cancellation for small ``t``). Exact integers; the list
    of inner polynomials is in ascending powers of ``e``, one per power of ``q``.
    """
    rows = []
    for n in range(order + 1):
        double_factorial = math.prod(range(2 * n - 1, 0, -2))
        rows.append([float((-1) ** n * double_factorial * 2 * math.comb(2 * n + 1, 2 * i + 1))
                     for i in range(n + 1)])
    return rows


def _small_t_coefficients(order=6):
    """Polynomials ``(A_n, C_n)`` in ``h^2`` with ``Y^{(n)}(h) = A_n(h^2) a + C_n(h^2)``.

    ``a = 1 + h Y(h) = Y'(h)``, for odd ``n = 2k + 1``, ``k = 0..order`` (Jäckel's small-t
    series to order 13 in ``t``). From ``Y^{(n+1)} = h Y^{(n)} + n Y^{(n-1)}`` with
    ``Y^{(n)} = P_n(h) Y + Q_n(h)`` and ``Y = (a - 1)/h``: ``A_n = P_n / h``,
    ``C_n = Q_n - P_n / h``; each divided by ``n!``, ascending powers of ``h^2``.
    """
    def add(p, q):
        return [(p[i] if i < len(p) else 0) + (q[i] if i < len(q) else 0) for i in range(max(len(p), len(q)))]

    def shift(p):           # multiply by h
        return [0] + p

    def scale(p, c):
        return [c * v for v in p]

    p_prev, p = [1], [0, 1]          # P_0 = 1, P_1 = h
    q_prev, q = [0], [1]             # Q_0 = 0, Q_1 = 1
    out = []
    for n in range(1, 2 * order + 2):
        if n % 2 == 1:
            a_n = p[1::2]                                  # P_n / h, odd P_n: powers of h^2
            c_n = add(q[0::2], scale(a_n, -1))             # Q_n even
            fact = math.factorial(n)
            out.append(([v / fact for v in a_n], [v / fact for v in c_n]))
        p_prev, p = p, add(shift(p), scale(p_prev, n))
        q_prev, q = q, add(shift(q), scale(q_prev, n))
    return out


_ASYMPTOTIC = _asymptotic_coefficients()
_SMALL_T = _small_t_coefficients()


# W. J. Cody's rational Chebyshev approximations of erfcx (Math. Comp. 23 (1969) 631-637;
# the coefficients as in Jäckel's LetsBeRational, "Copyright 2013-2014 Peter Jäckel.
# Permission to use, copy, modify, and distribute this software is freely granted,
# provided that this notice is preserved."). JAX's erfcx is exp(x^2) erfc(x), a few ulps
# worse, and 1 + h Y(h) in the small-t series magnifies that error.
_CODY_A = (3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947,
           .185777706184603153)
_CODY_B = (23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
_CODY_C = (.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131,
           881.95222124176909, 1712.04761263407058, 2051.07837782607147, 1230.33935479799725,
           2.15311535474403846e-8)
_CODY_D = (15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
           3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942)
_CODY_P = (.305326634961232344, .360344899949804439, .125781726111229246, .0160837851487422766,
           6.58749161529837803e-4, .0163153871373020978)
_CODY_Q = (2.56852019228982242, 1.87295284992346047, .527905102951428412, .0605183413124413191,
           .00233520497626869185)


def erfcx(x):
    """``erfcx(x) = exp(x^2) erfc(x)`` (Cody's three rational ranges; value only).

    A few ulps for ``x >= -0.6`` (all the normalised Black function uses); below, about
    ``x^2`` ulps (the rounding of ``exp(x^2)``), and +inf below about -26.6.
    """
    y = jnp.abs(x)
    ysq = y * y
    num, den = _CODY_A[4] * ysq, ysq
    for i in range(3):
        num, den = (num + _CODY_A[i]) * ysq, (den + _CODY_B[i]) * ysq
    exp_ysq = jnp.exp(ysq)
    small = exp_ysq * (1.0 - x * (num + _CODY_A[3]) / (den + _CODY_B[3]))
    num, den = _CODY_C[8] * y, y
    for i in range(7):
        num, den = (num + _CODY_C[i]) * y, (den + _CODY_D[i]) * y
    middle = (num + _CODY_C[7]) / (den + _CODY_D[7])
    y_big = jnp.maximum(y, 4.0)
    z = 1.0 / (y_big * y_big)
    num, den = _CODY_P[5] * z, z
    for i in range(4):
        num, den = (num + _CODY_P[i]) * z, (den + _CODY_Q[i]) * z
    large = (0.5641895835477563 - z * (num + _CODY_P[4]) / (den + _CODY_Q[4])) / y_big
    positive = jnp.where(y <= 4.0, middle, large)
    # x < 0: erfcx(x) = 2 exp(x^2) - erfcx(|x|). The normalised Black function only needs
    # x >= -0.6 here, where exp(x^2) is exact to an ulp; the error grows like x^2 ulps below.
    negative = 2.0 * exp_ysq - positive
    return jnp.where(y <= 0.46875, small, jnp.where(x < 0, negative, positive))


def _horner(coefficients, z):
    """sum_i c_i z^i (ascending coefficients, Python floats: weak-typed, dtype of z)."""
    acc = jnp.zeros_like(z) + coefficients[-1]
    for c in coefficients[-2::-1]:
        acc = acc * z + c
    return acc


def _gauss(h, t):
    """``exp(-(h^2 + t^2)/2) / sqrt(2 pi)`` = ``e^{x/2} n(h + t)`` = ``db/ds``."""
    return _INV_SQRT_2PI * jnp.exp(-0.5 * (h * h + t * t))


def normalised_black_otm(x, s, asymptotic: bool = True):
    """``(b, u, vega)`` of the normalised Black function for ``x <= 0``, ``s > 0``.

    Args:
      x, s: arrays (broadcast shape); ``x = -|ln(F/K)|``, ``s = vol sqrt(t)``.
      asymptotic: use the asymptotic expansion for ``h < -10``. Without it that region
        falls to the erfcx form, whose relative error there grows like ``|h|/s``; the
        implied-vol solver turns it off (its log objective divides the error by ``h^2``,
        tests/test_iv_accuracy.py) and saves a 17th-order polynomial per evaluation.

    Returns:
      ``b``, ``u = e^{x/2} - b`` and ``vega = db/ds = exp(-(h^2 + t'^2)/2) / sqrt(2 pi)``.
      Value only: differentiate prices through ``jaxmm.pricing.black`` (exact first partials).
    """
    h = jnp.maximum(x / s, _H_FLOOR)
    t = 0.5 * s
    asym = (h < _ETA) & (t < _TAU + _ETA - h) if asymptotic else jnp.zeros(jnp.shape(h), bool)
    small = ~asym & (t < _TAU)
    upper = ~asym & ~small & (h + t > 0.85)
    gauss = _gauss(h, t)
    # Each branch sees safe operands where it is not selected (finite values, no subnormals).
    if asymptotic:
        h1, t1 = jnp.where(asym, h, -20.0), jnp.where(asym, t, 0.1)
        r = (h1 + t1) * (h1 - t1)
        e = (t1 / h1) ** 2
        q = (h1 / r) ** 2
        b_asym = _gauss(h1, t1) * (t1 / r) * _horner([_horner(row, e) for row in _ASYMPTOTIC], q)
    else:
        b_asym = jnp.zeros_like(h)

    h2, t2 = jnp.where(small, h, -1.0), jnp.where(small, t, 0.1)
    a = 1.0 + h2 * _SQRT_HALF_PI * erfcx(-_INV_SQRT_2 * h2)
    hh, w = h2 * h2, t2 * t2
    series = _horner([_horner(a_n, hh) * a + _horner(c_n, hh) for a_n, c_n in _SMALL_T], w)
    b_small = 2.0 * t2 * _gauss(h2, t2) * series

    # e^{x/2} N(-h-t) = g erfcx((h+t)/sqrt2) sqrt(pi/2), e^{-x/2} N(h-t) = g erfcx((t-h)/sqrt2) sqrt(pi/2)
    # with g = exp(-(h^2+t^2)/2)/sqrt(2 pi): one exponential for both tails.
    first = _INV_SQRT_2 * (h + t)
    erfcx_first = erfcx(jnp.where(upper, first, -first))      # argument >= -0.6 either way
    erfcx_second = erfcx(_INV_SQRT_2 * (t - h))
    u_upper = _SQRT_HALF_PI * gauss * (erfcx_first + erfcx_second)
    b_erfcx = _SQRT_HALF_PI * gauss * (erfcx_first - erfcx_second)

    b_max = jnp.exp(0.5 * x)
    b = jnp.where(asym, b_asym, jnp.where(small, b_small, jnp.where(upper, b_max - u_upper, b_erfcx)))
    b = jnp.maximum(b, 0.0)
    u = jnp.where(upper, u_upper, b_max - b)
    return b, u, gauss
