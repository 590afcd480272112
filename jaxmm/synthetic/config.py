"""Configuration of the synthetic-data generator: every default in one place (:data:`SPEC`).

A config is a dict with sections ``seed``, ``chains``, ``futures``, ``daily`` (``daily``
has sub-sections ``etf_a``, ``etf_b``, ``prediction``). Any key may be given; a key that is
not in :data:`SPEC` is an error naming it. :func:`resolve` returns the full config
(defaults filled in, dates as ``datetime.date``); :func:`json_schema` derives the JSON
schema fragment for ``workflow/schemas/config.schema.yaml`` from the same table, so the two
cannot drift apart.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

VERSION = "1.0"  # of the generator: bump when the same config would write different files


@dataclasses.dataclass(frozen=True)
class P:
    """One config key: default, description and inclusive bounds (numbers) or kind."""

    default: Any
    doc: str
    lo: float | None = None
    hi: float | None = None
    date: bool = False


_FUND_A = {
    "nav0": P(600.0, "NAV on the first date (USD)", 1.0, 1e5),
    "expense_ratio": P(0.0009, "annual expense ratio, deducted daily from NAV", 0.0, 0.02),
    "tracking_vol": P(0.002, "annualised vol of NAV log return minus index log return", 0.0, 0.05),
    "premium_mean": P(0.0002, "mean premium to NAV, price/NAV - 1", -0.02, 0.02),
    "premium_phi": P(0.5, "AR(1) coefficient of the premium (daily)", 0.0, 0.99),
    "premium_vol": P(0.0003, "sd of the daily Gaussian premium innovation", 0.0, 0.02),
    "spike_prob": P(0.005, "daily probability of a premium spike", 0.0, 0.2),
    "spike_size": P(0.002, "sd of a spike (added to the innovation, then decays as AR(1))", 0.0, 0.05),
}
_FUND_B = {
    **_FUND_A,
    "nav0": P(55.0, _FUND_A["nav0"].doc, 1.0, 1e5),
    "expense_ratio": P(0.0003, _FUND_A["expense_ratio"].doc, 0.0, 0.02),
    "tracking_vol": P(0.004, _FUND_A["tracking_vol"].doc, 0.0, 0.05),
    "premium_mean": P(-0.0001, _FUND_A["premium_mean"].doc, -0.02, 0.02),
    "premium_phi": P(0.85, _FUND_A["premium_phi"].doc, 0.0, 0.99),
    "premium_vol": P(0.0006, _FUND_A["premium_vol"].doc, 0.0, 0.02),
    "spike_prob": P(0.01, _FUND_A["spike_prob"].doc, 0.0, 0.2),
    "spike_size": P(0.004, _FUND_A["spike_size"].doc, 0.0, 0.05),
}

SPEC: dict[str, Any] = {
    "seed": P(20251001, "seed of numpy's PCG64; each part draws from its own SeedSequence child",
              0, 2**63 - 1),
    "chains": {
        "underlying": P("SPX", "option root of the OCC symbols (SPXW for non-monthly expiries)"),
        "description": P("S&P 500 INDEX", "underlying name on line 1 of the CBOE file"),
        "first_quote_date": P("2025-10-01", "first quote date (moved to the next NYSE trading day); quote it in YAML", date=True),
        "n_quote_dates": P(3, "number of consecutive NYSE trading days with a snapshot", 1, 20),
        "spot0": P(6700.0, "index level on the first quote date", 1.0, 1e6),
        "daily_move_vol": P(0.01, "sd of the daily log move of the index between quote dates", 0.0, 0.1),
        "rate": P(0.04, "continuously compounded rate r: D = exp(-r t)", -0.05, 0.2),
        "dividend_yield": P(0.013, "continuous dividend yield q: F = S exp((r - q) t)", -0.05, 0.2),
        "n_weeklies": P(2, "weekly (non third-Friday) Friday expiries after the last quote date", 0, 8),
        "n_monthlies": P(3, "third-Friday monthly expiries after the last quote date", 0, 12),
        "max_years": P(2.0, "longest expiry (years); beyond the monthlies: Mar/Jun/Sep/Dec within a year, then Jun/Dec", 0.1, 5.0),
        "files_per_snapshot": P(4, "files each snapshot is split into (by expiry, in order)", 1, 50),
        "strikes_per_expiry": P(60, "target strikes per expiry before snapping to the strike grid", 40, 120),
        "strike_range_sd": P(4.0, "strikes span +-this many ATM standard deviations of log-moneyness", 2.0, 8.0),
        "atm_vol_short": P(0.12, "ATM vol at t -> 0 of the SSVI ATM variance curve", 0.01, 2.0),
        "atm_vol_long": P(0.20, "ATM vol at t -> infinity of the SSVI ATM variance curve", 0.01, 2.0),
        "atm_vol_timescale": P(1.0, "years over which ATM variance moves from short to long level", 0.01, 10.0),
        "ssvi_rho": P(-0.7, "SSVI correlation rho (skew; < 0 for equity)", -0.999, 0.999),
        "ssvi_eta": P(1.0, "SSVI power-law eta; eta (1 + |rho|) <= 2 (no butterfly arbitrage)", 1e-6, 2.0),
        "ssvi_gamma": P(0.4, "SSVI power-law gamma in (0, 1/2]", 1e-6, 0.5),
        "half_spread_vol": P(0.003, "half bid-ask spread in vol (0.003 = 0.3 vol points) ATM, long expiries", 0.0, 0.1),
        "half_spread_vol_max": P(0.015, "cap of the half spread in vol", 0.0, 0.2),
        "spread_wing": P(0.35, "half spread grows by this fraction per ATM sd of moneyness", 0.0, 5.0),
        "spread_short": P(1.0, "extra relative half spread at t -> 0 (decays as exp(-t / 0.1y))", 0.0, 10.0),
        "half_spread_rel_min": P(0.0005, "half spread floor as a fraction of the mid (deep ITM)", 0.0, 0.05),
        "mid_noise_vol": P(0.001, "sd of the vol noise on the mid (clipped to +-0.4 half spread in vol)", 0.0, 0.05),
        "bad_rows_per_snapshot": P(6, "deliberately bad lines per snapshot, kinds in turn: crossed, negative bid, zero ask, non-numeric bid, duplicate line, strike 0", 0, 60),
    },
    "futures": {
        "root": P("CL", "contract root of the codes (CLZ25)"),
        "start": P("2024-04-01", "first settlement date; quote it in YAML", date=True),
        "end": P("2026-03-31", "last settlement date; quote it in YAML", date=True),
        "n_listed": P(15, "contracts listed (settled) on each date: the nearest unexpired", 12, 48),
        "f0": P(70.0, "exp(xi_0): long-run price level on the first date", 1.0, 1e5),
        "chi0": P(0.08, "short factor on the first date (> 0: backwardation)", -2.0, 2.0),
        "kappa": P(3.0, "mean reversion of the short factor chi (1/years)", 0.01, 50.0),
        "sigma_chi": P(0.2, "vol of the short factor chi (annual, business-day clock)", 0.0, 5.0),
        "sigma_xi": P(0.17, "vol of the long factor xi", 0.0, 5.0),
        "rho": P(0.3, "correlation of the factor shocks", -0.999, 0.999),
        "contango": P(0.01, "log-price slope per year of delivery (seasonal/contango term)", -1.0, 1.0),
        "seasonal_amplitude": P(0.01, "amplitude of the cos seasonal term in log price", 0.0, 0.5),
        "seasonal_peak_month": P(1, "delivery month of the seasonal peak", 1, 12),
        "regime_start": P("2026-01-26", "first date of the high front-month vol regime; quote it", date=True),
        "regime_end": P("2026-03-20", "last date of the regime", date=True),
        "regime_multiplier": P(4.0, "sigma_chi is multiplied by this in the regime", 1.0, 20.0),
        "bad_rows": P(5, "deliberately bad lines, kinds in turn: negative settle, non-numeric settle, bad date, duplicate, inconsistent expiry", 0, 100),
    },
    "daily": {
        "start": P("2023-01-02", "first date of spot_vol.csv and etf.csv; quote it", date=True),
        "end": P("2025-12-31", "last date", date=True),
        "spot0": P(4000.0, "index level on the first date", 1.0, 1e6),
        "drift": P(0.07, "annual drift mu of the index log price (plus the -v^2/2 term)", -1.0, 1.0),
        "vol0": P(0.16, "instantaneous vol on the first date", 0.01, 3.0),
        "vol_mean": P(0.16, "exp(long-run mean of log vol)", 0.01, 3.0),
        "vol_kappa": P(5.0, "mean reversion of log vol (1/years)", 0.01, 100.0),
        "vol_of_vol": P(0.8, "vol of log vol (annual)", 0.0, 5.0),
        "spot_vol_corr": P(-0.7, "correlation of spot and log-vol shocks", -0.999, 0.999),
        "vol_risk_premium": P(1.1, "vol_index = this * model 30-day expected vol (a VIX-like premium)", 0.5, 3.0),
        "vol_index_days": P(30, "calendar days of the vol index", 1, 365),
        "etf_a": _FUND_A,
        "etf_b": _FUND_B,
        "prediction": {
            "start": P("2026-01-05", "first date of prediction.csv; quote it", date=True),
            "expiry": P("2026-03-20", "date the contract resolves (last row: the business day before)", date=True),
            "futures0": P(85.0, "futures price on the first date (own driftless GBM)", 0.01, 1e5),
            "vol": P(0.6, "GBM vol of the futures = Black-76 vol of the call spread", 0.01, 5.0),
            "strike": P(90.0, "K of 'settles above K'", 0.01, 1e5),
            "half_width": P(0.5, "call spread strikes K -+ half_width", 1e-4, 1e4),
            "overreaction": P(1.5, "slope of traded price moves on fair value moves (> 1: overreacts)", 0.0, 5.0),
            "persistence": P(0.7, "daily AR(1) decay of the overreaction toward fair", 0.0, 0.99),
            "noise": P(0.01, "sd of iid noise on the traded price", 0.0, 0.2),
            "tick": P(0.01, "price tick of the traded price", 0.0001, 0.05),
        },
    },
}


def _defaults(spec):
    return {k: (_defaults(v) if isinstance(v, dict) else copy.deepcopy(v.default)) for k, v in spec.items()}


DEFAULTS: dict[str, Any] = _defaults(SPEC)


def _check(key: str, p: P, value):
    if p.date:
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"synthetic.{key}: {value!r} is not a date YYYY-MM-DD") from None
    want = type(p.default)
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, want) or isinstance(value, bool) != isinstance(p.default, bool):
        raise ValueError(f"synthetic.{key}: {value!r} is not of type {want.__name__}")
    if (p.lo is not None and value < p.lo) or (p.hi is not None and value > p.hi):
        raise ValueError(f"synthetic.{key}: {value!r} is outside [{p.lo}, {p.hi}] ({p.doc})")
    return value


def _merge(spec, cfg, prefix: str):
    if not isinstance(cfg, dict):
        raise ValueError(f"synthetic.{prefix.rstrip('.') or '(section)'}: expected a mapping, got {cfg!r}")
    unknown = sorted(set(cfg) - set(spec))
    if unknown:
        raise ValueError(f"synthetic.{prefix}{unknown[0]}: unknown key; allowed: {', '.join(sorted(spec))}")
    out = {}
    for key, p in spec.items():
        if isinstance(p, dict):
            out[key] = _merge(p, cfg.get(key, {}) or {}, f"{prefix}{key}.")
        else:
            out[key] = _check(prefix + key, p, cfg[key]) if key in cfg else (
                _check(prefix + key, p, p.default))
    return out


def resolve(cfg: dict | None) -> dict:
    """The full config: ``cfg`` over :data:`DEFAULTS`, checked; errors name the key."""
    out = _merge(SPEC, cfg or {}, "")
    c, f, d = out["chains"], out["futures"], out["daily"]
    if c["ssvi_eta"] * (1 + abs(c["ssvi_rho"])) > 2 + 1e-12:
        raise ValueError("synthetic.chains.ssvi_eta: eta * (1 + |rho|) must be <= 2 (no butterfly arbitrage)")
    if c["half_spread_vol_max"] < c["half_spread_vol"]:
        raise ValueError("synthetic.chains.half_spread_vol_max: must be >= half_spread_vol")
    for sec, a, b in (("futures", "start", "end"), ("futures", "regime_start", "regime_end"),
                      ("daily", "start", "end")):
        if out[sec][a] >= out[sec][b]:
            raise ValueError(f"synthetic.{sec}.{b}: must be after {sec}.{a}")
    if f["regime_start"] < f["start"] or f["regime_end"] > f["end"]:
        raise ValueError("synthetic.futures.regime_start: the regime must lie within [start, end]")
    pm = d["prediction"]
    if pm["expiry"] <= pm["start"] + dt.timedelta(days=7):
        raise ValueError("synthetic.daily.prediction.expiry: must be more than a week after prediction.start")
    return out


def to_jsonable(cfg):
    """``cfg`` with dates as ISO strings (for params.json)."""
    if isinstance(cfg, dict):
        return {k: to_jsonable(v) for k, v in cfg.items()}
    return cfg.isoformat() if isinstance(cfg, dt.date) else cfg


# --------------------------------------------------------------------------- JSON schema

def _leaf_schema(p: P) -> dict:
    if p.date:
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "default": p.default, "description": p.doc}
    kind = {bool: "boolean", int: "integer", float: "number", str: "string"}[type(p.default)]
    out: dict[str, Any] = {"type": kind, "default": p.default, "description": p.doc}
    if p.lo is not None:
        out["minimum"] = p.lo
    if p.hi is not None:
        out["maximum"] = p.hi
    return out


def _object_schema(spec: dict, doc: str) -> dict:
    props = {k: (_object_schema(v, f"{k} parameters") if isinstance(v, dict) else _leaf_schema(v))
             for k, v in spec.items()}
    return {"type": "object", "additionalProperties": False, "description": doc, "properties": props}


def json_schema() -> dict:
    """JSON schema of the ``synthetic`` config section (types, bounds, defaults, descriptions)."""
    sections = {"chains": "option chain snapshots (SSVI surface, CBOE format)",
                "futures": "futures settlements (two-factor Schwartz-Smith model)",
                "daily": "daily series: spot/vol index, two ETFs, a prediction market"}
    out = _object_schema(SPEC, "synthetic inputs with known ground truth (jaxmm.synthetic)")
    for key, doc in sections.items():
        out["properties"][key]["description"] = doc
    return out


def schema_fragment_yaml() -> str:
    import yaml

    head = ("# JSON-schema fragment of the `synthetic` section of config.yaml, generated from\n"
            "# jaxmm/synthetic/config.py (SPEC) by `python -m jaxmm.synthetic --schema`; do not edit.\n")
    return head + yaml.safe_dump({"synthetic": json_schema()}, sort_keys=False, width=100)


def write_schema_fragment(path: str | Path) -> None:
    Path(path).write_text(schema_fragment_yaml())

