"""Strategy backtests on real daily series (numerics core: no pandas)."""
