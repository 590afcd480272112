"""Avellaneda-Stoikov quotes: the paper's closed forms and their limits (the simulator's
tests are in test_mm_simulate.py)."""

import math

import pytest

from jaxmm.mm.avellaneda_stoikov import (ASParams, average_spread, fill_probability, optimal_spread, quotes,
                                         reservation_price)


def test_reservation_price_and_spread_closed_forms():
    """The paper's formulas at its section 3.3 set-up (exact to 1e-14)."""
    assert float(reservation_price(100.0, 3.0, 0.5, 0.1, 2.0)) == pytest.approx(100.0 - 3 * 0.1 * 4 * 0.5, abs=1e-14)
    assert float(optimal_spread(0.5, 0.1, 2.0, 1.5)) == pytest.approx(0.1 * 4 * 0.5 + 20 * math.log(1 + 0.1 / 1.5),
                                                                      rel=1e-14)
    bid, ask = quotes(100.0, 3.0, 0.5, ASParams())
    assert float(0.5 * (bid + ask)) == pytest.approx(99.4, abs=1e-12)     # 100 - 3 x 0.1 x 4 x 0.5
    bid, ask = quotes(100.0, 3.0, 0.5, ASParams(), "symmetric")
    assert float(0.5 * (bid + ask)) == pytest.approx(100.0, abs=1e-12)
    assert float(ask - bid) == pytest.approx(float(average_spread(1.0, 0.1, 2.0, 1.5)), rel=1e-14)


def test_average_spread_is_the_published_column():
    """The published section 3.3 "average spread": 1.49 (gamma 0.1), 1.35 (0.01), 3.02 (1),
    to the printed 2 decimals; the 2006 preprint's 1.29 / 1.33 / 1.15 are the constant
    term (2/gamma) ln(1 + gamma/k) alone (gamma 0.1, 0.01, 0.5)."""
    for gamma, published in ((0.1, 1.49), (0.01, 1.35), (1.0, 3.02)):
        assert round(float(average_spread(1.0, gamma, 2.0, 1.5)), 2) == published
    for gamma, preprint in ((0.1, 1.29), (0.01, 1.33), (0.5, 1.15)):
        assert round(2 * math.log1p(gamma / 1.5) / gamma, 2) == preprint


def test_gamma_to_zero_limit():
    """gamma -> 0: reservation price -> s and spread -> 2/k (1e-9 at gamma = 1e-10)."""
    assert float(optimal_spread(1.0, 1e-10, 2.0, 1.5)) == pytest.approx(2 / 1.5, rel=1e-9)
    assert float(reservation_price(100.0, 5.0, 1.0, 1e-10, 2.0)) == pytest.approx(100.0, abs=1e-8)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="strategy"):
        quotes(100.0, 0.0, 1.0, ASParams(), "momentum")
    with pytest.raises(ValueError, match="fill"):
        fill_probability(1.0, 0.01, 140.0, 1.5, "hawkes")
