"""Market-making models and simulations (numerics core, no pandas)."""
