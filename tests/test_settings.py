"""Typed settings (jaxmm.settings): one source of defaults, the config schema."""

import dataclasses
import typing

import pytest

from jaxmm import settings as S
from jaxmm.config import ConfigError, load_config


def _properties(node):
    return set(node["properties"])


@pytest.mark.parametrize("cls", S.ALL, ids=lambda c: c.__name__)
def test_fields_are_the_schema_keys(cls):
    """Every settings class has exactly the keys of its schema node: a key added to or
    removed from either side fails here."""
    node = S.schema_node(cls.KEY)
    assert {S.config_key(f.name) for f in dataclasses.fields(cls)} == _properties(node)
    for f in dataclasses.fields(cls):
        assert not (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING), \
            f"{cls.__name__}.{f.name}: defaults live in the schema only"


def _schema_defaults(node):
    out = {}
    for key, sub in node["properties"].items():
        if "default" in sub:
            out[key] = sub["default"]
    return out


@pytest.mark.parametrize("cls", [S.SurfacesSettings, S.ImpliedVolsSettings, S.VolBetaSettings,
                                 S.VolPremiumSettings, S.PositionsSettings, S.EffectiveDeltasSettings,
                                 S.ASSettings, S.VolPathSettings, S.TimeSpreadSettings, S.RuleSettings],
                         ids=lambda c: c.__name__)
def test_empty_section_takes_the_schema_defaults(cls):
    built = cls.of({}).to_dict()
    for key, default in _schema_defaults(S.schema_node(cls.KEY)).items():
        if isinstance(default, dict) and key in built and isinstance(built[key], dict):
            assert {k: built[key][k] for k in default} == default     # nested defaults filled too
        else:
            assert built[key] == default, key


def test_library_settings_default_to_the_schema():
    """The option blocks handed whole to library NamedTuples: their Python defaults agree
    with the schema's (the library's own defaults serve notebook users)."""
    from jaxmm.pricing.parity import ParitySettings
    from jaxmm.surfaces.fit import FitSettings

    fit = S.SurfacesSettings.of({}).fit
    assert FitSettings(**fit) == FitSettings()
    parity = S.ImpliedVolsSettings.of({}).parity
    built = ParitySettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in parity.items()})
    for f in dataclasses.fields(ParitySettings):
        assert getattr(built, f.name) == pytest.approx(getattr(ParitySettings(), f.name)), f.name


def test_the_default_config_builds_every_section():
    config = load_config("config.yaml")
    S.ChainsSettings.of(config["ingest"]["chains"])
    S.FuturesSettings.of(config["ingest"]["futures"])
    S.DailySettings.of(config["ingest"]["daily"])
    S.ImpliedVolsSettings.of(config["implied_vols"])
    S.SurfacesSettings.of(config.get("surfaces", {}))
    stats = S.StatisticsSettings.of(config["statistics"])
    assert stats.hedge.pairs[0].front == config["statistics"]["hedge"]["pairs"][0]["front"]
    mm = S.MMSettings.of(config["mm"])
    assert mm.as_.n_paths == config["mm"]["as"]["n_paths"]
    S.HedgingSettings.of(config["hedging"])
    S.BacktestSettings.of(config["backtest"])


def test_unknown_keys_and_bad_values_name_the_key():
    with pytest.raises(ConfigError, match=r"config error at surfaces: unknown key 'max_abs_zz'"):
        S.SurfacesSettings.of({"max_abs_zz": 1.0})
    with pytest.raises(ConfigError, match=r"config error at statistics\.hedge\.pairs\[0\]\.back"):
        S.HedgeSettings.of({"pairs": [{"front": 1, "back": "x"}]})
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        S.SurfacesSettings.of({"fit": {"nope": 1}})


def test_settings_are_frozen_and_pass_through():
    s = S.SurfacesSettings.of({"min_t": 0.1})
    assert S.SurfacesSettings.of(s) is s and s.min_t == 0.1
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.min_t = 0.2
    hints = typing.get_type_hints(S.SurfacesSettings)
    assert hints["fallback_abs_z"] == tuple[float, ...] and isinstance(s.fallback_abs_z, tuple)
