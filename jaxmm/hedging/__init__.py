"""Hedging studies: delta-hedging Monte Carlo and hedging when vol moves with spot (numerics core, no pandas)."""
