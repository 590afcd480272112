"""config.yaml validation: errors name the key and what is allowed."""

import copy

import pytest
import yaml

from jaxmm.config import ConfigError, load_config, validate_config


@pytest.fixture()
def cfg(repo):
    return yaml.safe_load((repo / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults(cfg):
    del cfg["ingest"]["chains"]["timezone"]
    out = validate_config(cfg)
    assert out["ingest"]["chains"]["timezone"] == "America/New_York"
    assert out["ingest"]["daily"]["sources"][0]["date_column"] == "date"


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["ingest"]["futures"].__setitem__("n_tenor", 3),
     "config error at ingest.futures: unknown key 'n_tenor'; allowed: n_tenors, roll_business_days, sources"),
    (lambda c: c["ingest"]["chains"]["sources"][0].__setitem__("format", "csv"),
     "config error at ingest.chains.sources[0].format: 'csv' is not allowed; allowed: cboe, generic, deribit"),
    (lambda c: c["ingest"]["futures"].__setitem__("n_tenors", 0),
     "config error at ingest.futures.n_tenors: 0 is less than the minimum of 1"),
    (lambda c: c["ingest"]["futures"].__setitem__("roll_business_days", "five"),
     "config error at ingest.futures.roll_business_days: 'five' is not of type 'integer'"),
    (lambda c: c.__setitem__("bogus", 1), "config error at (top level): unknown key 'bogus'"),
    (lambda c: c.pop("report"), "'report' is a required property"),
    (lambda c: c["runtime"].__setitem__("jax_platform", "tpu"),
     "config error at runtime.jax_platform: 'tpu' is not allowed; allowed: cpu, cuda, gpu, auto"),
    (lambda c: c["ingest"]["daily"]["sources"][0].__setitem__("name", "has space"),
     "config error at ingest.daily.sources[0].name"),
    (lambda c: c["package_data"].__setitem__("series", ["spx"]),
     "config error at package_data.series[0]: 'spx' is not allowed; allowed: sp500, vix, wti"),
])
def test_config_errors_name_the_key(cfg, mutate, expected):
    bad = copy.deepcopy(cfg)
    mutate(bad)
    with pytest.raises(ConfigError) as info:
        validate_config(bad)
    assert expected in str(info.value)


def test_every_error_is_reported_at_once(cfg):
    cfg["bogus"] = 1
    cfg["ingest"]["futures"]["n_tenors"] = -1
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    assert len(str(info.value).splitlines()) == 2


def test_load_config_rejects_non_mapping(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(p)
