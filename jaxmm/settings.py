"""Typed settings of the config sections: frozen dataclasses built from the validated config.

One source of defaults: ``workflow/schemas/config.schema.yaml``. The schema is what the
user reads (docs/config.md is generated from it) and what Snakemake
validates at DAG build, so the defaults live there; the dataclasses below declare the keys
and their types only, and :meth:`Settings.of` fills a section's missing keys from the
schema before building one. ``tests/test_settings.py`` checks that every dataclass has
exactly the keys of its schema node (so neither can drift) and that the library settings
the sections feed (``FitSettings``, ``ParitySettings``, ...) default to the schema's values.

A stage receives its section as a dict (``params["section"]``, the rules pass
``section=config["<name>"]``) and builds its settings first thing::

    s = SurfacesSettings.of(params["section"])     # unknown key -> ConfigError naming it
    s.max_abs_z, s.fit["max_iter"]

``of`` takes a (partial) dict, validates it against that section's part of the schema
(unknown keys and bad values are config errors naming the dotted key, as in
:func:`jaxmm.config.validate_config`), fills the defaults and converts lists to tuples and
nested mappings to their dataclasses; it returns a settings object unchanged. Free-form
mappings (``implied_vols.rates``, ``ingest.chains.sources[].settlement``) and the option
blocks handed whole to a library NamedTuple (``surfaces.fit``, ``implied_vols.parity``)
stay dicts. No JAX here: the stages import this before JAX is set up.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
import typing
from typing import Any, ClassVar

import jsonschema

from jaxmm.config import ConfigError, _describe, _fill_defaults, load_schema


@functools.lru_cache(maxsize=1)
def _schema() -> dict:
    return load_schema()


def schema_node(key: str) -> dict:
    """The schema of the dotted ``key`` (``"statistics.hedge"``; ``"x[]"`` = the items of list x)."""
    root = _schema()
    node = root
    for part in key.split("."):
        items = part.endswith("[]")
        node = _resolve(node["properties"][part.removesuffix("[]")], root)
        if items:
            node = _resolve(node["items"], root)
    return node


def _resolve(node: dict, root: dict) -> dict:
    while "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _strip_optional(hint):
    """``X | None`` -> (X, True); anything else -> (hint, False)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _freeze(value):
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def config_key(field_name: str) -> str:
    """The config key of a dataclass field: the name less a trailing ``_`` (``as_`` -> ``as``)."""
    return field_name.removesuffix("_")


def _is_settings(t) -> bool:
    return isinstance(t, type) and issubclass(t, Settings)


def _build(cls: type[Settings], data: dict, node: dict):
    root = _schema()
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        sub = _resolve(node["properties"][config_key(f.name)], root)
        value = data.get(config_key(f.name))
        hint, _ = _strip_optional(hints[f.name])
        if value is not None and _is_settings(hint):
            value = _build(hint, value, sub)
        elif value is not None and typing.get_origin(hint) is tuple and _is_settings(typing.get_args(hint)[0]):
            item_cls = typing.get_args(hint)[0]
            item_node = _resolve(sub["items"], root)
            value = tuple(_build(item_cls, v, item_node) for v in value)
        else:
            value = _freeze(value)
        kwargs[f.name] = value
    return cls(**kwargs)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base of the section settings; ``KEY`` is the dotted config key of the section."""

    KEY: ClassVar[str] = ""

    @classmethod
    def of(cls, section):
        """Settings from a config section (a dict, possibly partial: defaults filled from the
        schema) or an instance (returned as is)."""
        if isinstance(section, cls):
            return section
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise TypeError(f"{cls.__name__}.of: expected a dict or {cls.__name__}, got {type(section).__name__}")
        root = _schema()
        node = schema_node(cls.KEY)
        standalone = {**node, "$defs": root.get("$defs", {})}
        errors = sorted(jsonschema.Draft202012Validator(standalone).iter_errors(section),
                        key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            raise ConfigError("\n".join(_describe(e, prefix=cls.KEY.replace("[]", "[i]")) for e in errors))
        data = copy.deepcopy(section)
        _fill_defaults(data, node, root)
        return _build(cls, data, node)

    def to_dict(self) -> dict:
        """Back to a plain mapping (tuples as lists), e.g. for a library that takes keywords."""
        def plain(v):
            if isinstance(v, Settings):
                return v.to_dict()
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            return v
        return {config_key(f.name): plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def settings(key: str):
    """Class decorator: a frozen dataclass of the config section ``key``."""
    def wrap(cls):
        cls.KEY = key
        return dataclasses.dataclass(frozen=True)(cls)
    return wrap


# --------------------------------------------------------------------------- shared

@settings("statistics.vol_series[].spot")
class DailyField(Settings):
    source: str
    field: str


# --------------------------------------------------------------------------- ingest

@settings("ingest.chains.sources[]")
class ChainSource(Settings):
    name: str
    format: str
    paths: tuple[str, ...]
    timezone: str | None
    root: str | None
    snapshot_time: str | None
    venue: str | None
    calendar: str | None
    settlement: dict | None


@settings("ingest.chains")
class ChainsSettings(Settings):
    timezone: str
    sources: tuple[ChainSource, ...]


@settings("ingest.futures.sources[]")
class FuturesSource(Settings):
    name: str
    format: str
    paths: tuple[str, ...]
    calendar: str | None


@settings("ingest.futures")
class FuturesSettings(Settings):
    n_tenors: int
    roll_business_days: int
    sources: tuple[FuturesSource, ...]


@settings("ingest.daily.sources[]")
class DailySource(Settings):
    name: str
    paths: tuple[str, ...]
    date_column: str
    columns: tuple[str, ...] | None
    positive: tuple[str, ...] | None


@settings("ingest.daily")
class DailySettings(Settings):
    sources: tuple[DailySource, ...]


# --------------------------------------------------------------------------- implied vols, surfaces

@settings("implied_vols.scan")
class ScanSettings(Settings):
    min_edge: float


@settings("implied_vols")
class ImpliedVolsSettings(Settings):
    day_count: str
    rates: float | dict | None
    parity: dict            # jaxmm.pricing.parity.ParitySettings(**parity)
    scan: ScanSettings


@settings("surfaces")
class SurfacesSettings(Settings):
    max_abs_z: float
    fallback_abs_z: tuple[float, ...]
    max_rel_spread: float
    max_residual_half_spreads: float
    min_frac_inside: float
    max_wing_ratio: float
    min_t: float
    rank_top_n: int
    fit: dict               # jaxmm.surfaces.fit.FitSettings(**fit)


# --------------------------------------------------------------------------- statistics

@settings("statistics.hedge.pairs[]")
class HedgePair(Settings):
    front: int
    back: int
    front_days: float | None
    back_days: float | None


@settings("statistics.hedge")
class HedgeSettings(Settings):
    sources: tuple[str, ...] | None
    pairs: tuple[HedgePair, ...]
    window: int
    min_periods: int | None
    annualisation: float
    day_basis: str
    days_per_year: float | None
    summary_days: int


@settings("statistics.positions")
class PositionsSettings(Settings):
    path: str | None
    source: str | None


@settings("statistics.vol_series[]")
class VolSeries(Settings):
    name: str
    spot: DailyField
    vol: DailyField
    vol_unit: str


@settings("statistics.vol_beta")
class VolBetaSettings(Settings):
    window: int
    min_periods: int | None
    changes: str


@settings("statistics.vol_premium.chains[]")
class PremiumChain(Settings):
    chain_source: str
    spot: DailyField


@settings("statistics.vol_premium")
class VolPremiumSettings(Settings):
    window: int
    min_periods: int | None
    annualisation: float
    atm_iv: str
    chains: tuple[PremiumChain, ...]


@settings("statistics.effective_deltas")
class EffectiveDeltasSettings(Settings):
    slopes: tuple[float, ...]


@settings("statistics.event_vol.examples[]")
class EventExample(Settings):
    name: str
    term_vol: float | None
    dte: float | None
    p: float | None
    event_vol: float | None
    event_move: float | None
    daily_vol: float | None


@settings("statistics.event_vol")
class EventVolSettings(Settings):
    days_per_year: float
    examples: tuple[EventExample, ...]


@settings("statistics.etf.funds[]")
class EtfFund(Settings):
    name: str
    source: str
    price: str
    nav: str


@settings("statistics.etf")
class EtfSettings(Settings):
    window: int
    min_periods: int | None
    funds: tuple[EtfFund, ...]
    spreads: tuple[tuple[str, str], ...]


@settings("statistics")
class StatisticsSettings(Settings):
    hedge: HedgeSettings
    positions: PositionsSettings
    vol_series: tuple[VolSeries, ...]
    vol_beta: VolBetaSettings
    vol_premium: VolPremiumSettings
    effective_deltas: EffectiveDeltasSettings
    event_vol: EventVolSettings
    etf: EtfSettings


# --------------------------------------------------------------------------- mm

@settings("mm.as.model")
class ASModel(Settings):
    s0: float
    T: float
    sigma: float
    k: float
    A: float
    q_max: float | None
    rebate: float
    impact: float
    jump_rate: float
    jump_size: float
    mid: str
    fill: str
    jumps: bool


@settings("mm.as.scenarios[]")
class ASScenario(Settings):
    name: str
    policies: tuple[str, ...] | None
    s0: float | None
    T: float | None
    sigma: float | None
    k: float | None
    A: float | None
    q_max: float | None
    rebate: float | None
    impact: float | None
    jump_rate: float | None
    jump_size: float | None
    mid: str | None
    fill: str | None
    jumps: bool | None

    def overrides(self) -> dict:
        """The model keys this scenario sets (None = the base model's)."""
        return {k: v for k, v in self.to_dict().items() if k not in ("name", "policies") and v is not None}


@settings("mm.as")
class ASSettings(Settings):
    model: ASModel
    n_steps: int
    gammas: tuple[float, ...]
    policies: tuple[str, ...]
    glft_bound: int
    n_paths: int
    scenario_gamma: float
    scenario_paths: int
    scenarios: tuple[ASScenario, ...]


@settings("mm.fair_value.contract")
class FVContract(Settings):
    source: str
    futures_field: str
    price_field: str
    strike: float
    half_width: float
    vol: float
    expiry: str


@settings("mm.fair_value.simulation")
class FVSimulation(Settings):
    steps_per_day: float
    overreaction: float | str
    persistence: float
    noise: float
    half_spread: float
    skew: float
    A: float
    k: float
    size: float
    q_max: float
    hedge_cost: float


@settings("mm.fair_value")
class FairValueSettings(Settings):
    contract: FVContract
    simulation: FVSimulation
    hedge_thresholds: tuple[float, ...]
    sample_threshold: float
    n_paths: int


@settings("mm")
class MMSettings(Settings):
    seed: int
    dtype: str
    # ``as`` is a Python keyword: the attribute is ``as_``
    as_: ASSettings
    fair_value: FairValueSettings


# --------------------------------------------------------------------------- hedging

@settings("hedging.delta")
class DeltaGridSettings(Settings):
    s0: float
    strike: float
    T: float
    r: float
    implied_vol: float
    position: float
    kinds: tuple[str, ...]
    n_steps: tuple[int, ...]
    hedge_vols: tuple[float, ...]
    actual_vols: tuple[float, ...]
    costs: tuple[float, ...]
    bands: tuple[float, ...]
    n_paths: int


@settings("hedging.validation.derman_kamal")
class DermanKamal(Settings):
    vol: float
    T: float
    n_steps: tuple[int, ...]
    rel_tolerance: float


@settings("hedging.validation.ahmad_wilmott")
class AhmadWilmott(Settings):
    implied_vol: float
    actual_vol: float
    n_steps: tuple[int, ...]
    mean_tolerance: float
    sd_tolerance: float


@settings("hedging.validation.leland")
class Leland(Settings):
    vol: float
    cost: float
    T: float
    n_steps: int
    tolerance: float


@settings("hedging.validation")
class ValidationSettings(Settings):
    n_paths: int
    derman_kamal: DermanKamal
    ahmad_wilmott: AhmadWilmott
    leland: Leland


@settings("hedging.vol_path")
class VolPathSettings(Settings):
    slopes: tuple[float, ...]
    from_statistics: tuple[str, ...]
    moneyness: float
    T: float
    vol: float
    position: float
    realised: tuple[str, ...]
    n_steps: int
    n_paths: int


@settings("hedging.time_spread.curve")
class TwoFactorCurve(Settings):
    f1: float
    f12: float
    t1_days: float
    t12_days: float
    kappa: float
    sigma_chi: float
    sigma_xi: float
    rho: float


@settings("hedging.time_spread")
class TimeSpreadSettings(Settings):
    curve: TwoFactorCurve
    regimes: tuple[float, ...]
    horizon_days: int
    n_paths: int


@settings("hedging")
class HedgingSettings(Settings):
    seed: int
    dtype: str
    delta: DeltaGridSettings
    validation: ValidationSettings
    vol_path: VolPathSettings
    time_spread: TimeSpreadSettings


# --------------------------------------------------------------------------- backtest

@settings("backtest.underlyings[].vol_index")
class VolIndex(Settings):
    source: str
    field: str
    vol_unit: str


@settings("backtest.underlyings[]")
class Underlying(Settings):
    name: str
    price: DailyField
    vol_index: VolIndex | None


@settings("backtest.defaults")
class StrategyDefaults(Settings):
    otm: float | None
    dte_min: float | None
    dte_max: float | None
    profit_take: float | None
    dte_close: float | None
    strike_step: float | None
    opt_cost_abs: float | None
    opt_cost_rel: float | None
    stock_cost_bps: float | None
    skew: float | None


@settings("backtest.strategies[]")
class Strategy(StrategyDefaults):
    """A strategy: the defaults' keys (each overriding ``backtest.defaults``), a name and a kind."""
    name: str
    kind: str


@settings("backtest.rules")
class RuleSettings(Settings):
    max_position: float
    max_vega: float
    gamma_limit: float
    gamma_days: float


@settings("backtest.crisis_windows[]")
class CrisisWindow(Settings):
    name: str
    start: str
    end: str


@settings("backtest")
class BacktestSettings(Settings):
    underlyings: tuple[Underlying, ...]
    iv_window: int
    iv_premium: float
    rate: float
    div_yield: float
    defaults: StrategyDefaults
    strategies: tuple[Strategy, ...]
    rules: RuleSettings
    crisis_windows: tuple[CrisisWindow, ...]


#: every settings class, for the schema-agreement test
ALL: tuple[type[Settings], ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Settings) and v is not Settings)
