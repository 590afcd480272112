"""Vol paths, vol beta and effective ("vol path") deltas.

Numerics core (no pandas). A *vol path* says how at-the-money implied vol moves when the
underlying moves (Whentech's floating-skew model, as described in the seed
``001_*.txt``, "embedding spot-vol correlation in option deltas")::

    sigma_path(S') = sigma_ATM * (1 + slope * m),     m = (S' - S) / S = S'/S - 1

``m`` is the *simple percentage* move of the underlying from the reference spot ``S`` (not
``log(S'/S)``): the seed's worked example is "SPY ATM vol is 12.4%; if SPY goes up 1%, new
ATM vol = 12.4% x (1 + -1 x 1%) = 12.28%". Read along strikes, the ATM vol the path
predicts for when the spot reaches strike ``K`` is the same formula with ``m = (K - S)/S``.
A slope of -1 is "constant breakeven" (a 1% rally takes 1% *of* the vol away, 20 -> 19.8);
-3 means a 1% rally takes ATM vol from 20% to 19.4% (relative, not vol points).

Effective delta. Assuming (as the seed does) that for a small move every strike's vol
moves by the same proportion as ATM vol, an option with implied vol ``sigma`` has
``sigma(F') = sigma * (1 + slope * (F'/F - 1))`` along the path, so its hedge ratio is the
total derivative of its price along the path::

    effective delta = dV/dF + dV/dsigma * dsigma/dF = delta + vega * sigma * slope / F

The slope is a "vol beta": the regression slope of relative vol changes (e.g. log changes
of VXX or of ATM IV) on spot returns (``vol_beta``); the seed reads -3.25 off a one-year
VXX/SPY regression and -1.5 to -5 off the rolling one-month one.

Reference:
  K. Faria (Moontower), "embedding spot-vol correlation in option deltas" and "sticky vs
  floating strike" (seed 001).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxmm.pricing import black
from jaxmm._src.dtypes import float_inputs
from jaxmm.stats.rolling import rolling_regression

__all__ = [
    "VolBeta",
    "vol_beta",
    "path_moneyness",
    "vol_path",
    "path_vol_sensitivity",
    "effective_delta",
]


class VolBeta(NamedTuple):
    """Rolling vol beta (all arrays of the input's broadcast shape ``(..., T)``).

    Attributes:
      slope: regression slope of vol changes on spot returns (the vol-path slope when the
        vol changes are relative).
      slope_se: its OLS standard error.
      corr: the rolling spot-vol correlation.
      n: number of valid pairs in each window.
    """

    slope: jax.Array
    slope_se: jax.Array
    corr: jax.Array
    n: jax.Array


def vol_beta(vol_changes, spot_returns, window=60, min_periods=None):
    """Rolling spot-vol slope ("vol beta"): OLS of vol changes on spot returns.

    For each series and each time ``t`` regresses ``dvol[t-window+1 .. t]`` on
    ``r[t-window+1 .. t]`` (pairs with a NaN on either side are skipped)::

        dvol = intercept + slope * r + e,    slope = cov(dvol, r) / var(r)

    Units: with relative vol changes (``log(vol_t / vol_{t-1})``, e.g. of VXX, VIX or ATM IV)
    and spot log returns the slope is directly the ``slope`` parameter of ``vol_path``
    (``dvol/vol = slope * dS/S``). With vol changes in vol points (``vol_t - vol_{t-1}``)
    the slope is in vol points per unit return: divide it by the vol level to get the
    vol-path slope.

    Args:
      vol_changes: ``(..., T)`` vol changes, NaN for missing; leading dims are series.
      spot_returns: ``(..., T)`` spot log returns on the same dates (broadcast against
        ``vol_changes``, so one spot series can serve many vol series).
      window: rolling window length in observations (static).
      min_periods: fewest valid pairs for a result (``rolling_regression``'s default if
        None); NaN below it.

    Returns:
      ``VolBeta(slope, slope_se, corr, n)``, each ``(..., T)``, time aligned with the
      inputs (entry ``t`` uses data up to and including ``t``).

    Example::

      >>> import jax.numpy as jnp; from jaxmm.stats.rolling import log_returns
      >>> spx = jnp.array([100.0, 101.0, 99.0, 100.0, 102.0, 101.0])
      >>> vix = jnp.array([20.0, 19.5, 21.0, 20.4, 19.2, 19.8])
      >>> beta = vol_beta(jnp.log(vix[1:] / vix[:-1]), log_returns(spx)[1:], window=4)
      >>> beta.slope[-1]        # vol falls ~3.3% per 1% up in spot (-3.2 for VXX on SPY over a year)
      Array(-3.30951699, dtype=float64)
    """
    vol_changes, spot_returns = float_inputs(vol_changes, spot_returns)
    shape = jnp.broadcast_shapes(vol_changes.shape, spot_returns.shape)
    reg = rolling_regression(jnp.broadcast_to(vol_changes, shape),
                             jnp.broadcast_to(spot_returns, shape), window, min_periods)
    return VolBeta(slope=reg.slope, slope_se=reg.slope_se, corr=reg.corr, n=reg.n)


def path_moneyness(spot, ref_spot):
    """The vol path's moneyness: simple percentage move ``m = spot / ref_spot - 1``.

    Pass a strike as ``spot`` for the strike's position on the path, ``(K - S) / S``.
    Broadcast shape.
    """
    spot, ref_spot = float_inputs(spot, ref_spot)
    return spot / ref_spot - 1.0


def vol_path(atm_vol, slope, moneyness):
    """ATM implied vol along the vol path: ``sigma_ATM * (1 + slope * m)``.

    Args:
      atm_vol: ATM implied vol at the reference spot (decimal, 0.124 for 12.4%).
      slope: vol-path slope (e.g. -1.0 constant breakeven, -3.0 typical SPY).
      moneyness: ``m = S'/S - 1`` (``path_moneyness``), the simple percentage move of the
        spot (or ``(K - S)/S`` for the path's vol at strike ``K``).

    Returns:
      Vol along the path, broadcast shape of the three inputs. Linear in ``m``, so it can
      go negative for large moves against a steep slope: the path is a local model.

    Example (the seed's)::

      >>> float(vol_path(0.124, -1.0, 0.01))      # SPY up 1%, slope -1: 12.4% -> 12.28%
      0.12276
    """
    atm_vol, slope, moneyness = float_inputs(atm_vol, slope, moneyness)
    return atm_vol * (1.0 + slope * moneyness)


def path_vol_sensitivity(vol, slope, spot):
    """Closed form ``dsigma/dS`` of the path at the reference spot: ``vol * slope / spot``.

    (``d/dS' [vol * (1 + slope * (S'/S - 1))]`` at ``S' = S``.) Per unit of the underlying;
    broadcast shape.
    """
    vol, slope, spot = float_inputs(vol, slope, spot)
    return vol * slope / spot


def _path_dvol_dspot(vol, slope, spot):
    """``dsigma/dS'`` at ``S' = S`` by forward-mode autodiff of ``vol_path`` (elementwise)."""
    def along(s_new):
        return vol_path(vol, slope, path_moneyness(s_new, spot))
    return jax.jvp(along, (spot,), (jnp.ones_like(spot),))[1]


@jax.jit
def effective_delta(forward, strike, t, vol, is_call, slope, discount=1.0):
    """Vol-path ("effective") delta: ``delta + vega * dsigma/dF`` along the vol path.

    ``dsigma/dF`` is the derivative of ``sigma * (1 + slope * (F'/F - 1))`` at ``F' = F``,
    taken by autodiff of ``vol_path`` (equal to the closed form ``sigma * slope / F``,
    ``path_vol_sensitivity``). ``sigma`` is the option's own implied vol: the seed's
    simplification that a small spot move scales every strike's vol by the ATM vol's
    proportion. ``slope = 0`` gives ``black.delta`` (sticky strike).

    Deltas are with respect to the forward, as in ``black.delta`` (with no carry the
    forward is the spot; otherwise multiply by ``dF/dS``). The moneyness ``F'/F - 1``
    equals ``S'/S - 1`` when the forward is proportional to the spot.

    Args:
      forward, strike, t, vol, discount: as in ``black.price`` (years; decimal vol).
      is_call: bool, array or scalar.
      slope: vol-path slope(s); everything broadcasts, so ``slope`` of shape ``(S, 1)``
        against a chain of shape ``(N,)`` gives ``(S, N)``, one row a slope.

    Returns:
      Effective deltas, broadcast shape of all arguments.

    Example (seed 001: SPY 695, ATM 12.4%, 31 DTE, no carry)::

      >>> effective_delta(695.0, 695.0, 31 / 365, 0.124, True, jnp.array([0.0, -5.0]))  # seed: .507, .44
      Array([0.507..., 0.435...], dtype=float64)
    """
    forward, strike, t, vol, slope, discount = float_inputs(forward, strike, t, vol, slope, discount)
    shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in (forward, strike, t, vol, slope, discount, is_call)))
    forward, strike, t, vol, slope, discount = (jnp.broadcast_to(a, shape)
                                                for a in (forward, strike, t, vol, slope, discount))
    dvol_dforward = _path_dvol_dspot(vol, slope, forward)
    return (black.delta(forward, strike, t, vol, is_call, discount)
            + black.vega(forward, strike, t, vol, discount) * dvol_dforward)
