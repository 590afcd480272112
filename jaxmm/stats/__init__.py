"""Term-structure and volatility statistics (numerics core: no pandas)."""
