"""Configuration: every seed key from [tool.tpr] and the environment; flags win."""

from __future__ import annotations

import pytest

from tpr.config import KEYS, ConfigError, TprConfig, load_config


def write_pyproject(tmp_path, body: str):
    (tmp_path / "pyproject.toml").write_text("[tool.tpr]\n" + body)
    return tmp_path


def test_defaults_are_the_seed_defaults(tmp_path):
    config = load_config(tmp_path, environ={})
    assert config.failfast_mode == "off"
    assert config.seed == 12345
    assert config.env_validate == "enable"
    assert (config.soft_target_pct, config.hard_target_pct) == (40.0, 60.0)
    assert config.coverage_baseline is None and config.coverage_target is None
    assert config.coverage_tolerance_drop == 1.0
    assert config.property_runtime_threshold_ms == 1000.0
    assert config.flake_rate_threshold == 0.02
    assert config.origin("seed") == "default"


ENVIRONMENT_SAMPLES = {
    "TPR_FAILFAST_MODE": ("failfast_mode", "soft", "soft"),
    "TPR_SEED": ("seed", "7", 7),
    "TPR_ENV_VALIDATE": ("env_validate", "skip", "skip"),
    "TPR_MAX_FAIL_FAST_IMPROVEMENT_TARGET": ("soft_target_pct", "45", 45.0),
    "TPR_HARD_FAIL_FAST_IMPROVEMENT_TARGET": ("hard_target_pct", "70", 70.0),
    "TPR_COVERAGE_BASELINE": ("coverage_baseline", "61.5", 61.5),
    "TPR_COVERAGE_TARGET": ("coverage_target", "70", 70.0),
    "TPR_COVERAGE_TOLERANCE_DROP": ("coverage_tolerance_drop", "0.5", 0.5),
    "TPR_PROPERTY_RUNTIME_THRESHOLD_MS": ("property_runtime_threshold_ms", "800", 800.0),
    "TPR_FLAKE_RATE_THRESHOLD": ("flake_rate_threshold", "5%", 0.05),
}


def test_every_seed_key_is_read_from_the_environment(tmp_path):
    seed_keys = {
        "TPR_FAILFAST_MODE",
        "TPR_SEED",
        "TPR_ENV_VALIDATE",
        "TPR_MAX_FAIL_FAST_IMPROVEMENT_TARGET",
        "TPR_HARD_FAIL_FAST_IMPROVEMENT_TARGET",
        "TPR_COVERAGE_BASELINE",
        "TPR_COVERAGE_TARGET",
        "TPR_COVERAGE_TOLERANCE_DROP",
        "TPR_PROPERTY_RUNTIME_THRESHOLD_MS",
        "TPR_FLAKE_RATE_THRESHOLD",
    }
    assert seed_keys <= {env for env, _ in KEYS.values()}
    assert set(ENVIRONMENT_SAMPLES) == seed_keys
    for name, (key, text, value) in ENVIRONMENT_SAMPLES.items():
        config = load_config(tmp_path, {name: text})
        assert (getattr(config, key), config.origin(key)) == (value, "environment"), name


def test_pyproject_then_environment_then_flag(tmp_path):
    write_pyproject(tmp_path, 'failfast_mode = "soft"\nseed = 7\nflake_rate_threshold = "5%"\n')
    config = load_config(tmp_path, environ={})
    assert (config.failfast_mode, config.seed, config.flake_rate_threshold) == ("soft", 7, 0.05)
    assert config.origin("failfast_mode") == "pyproject.toml"
    config = load_config(tmp_path, environ={"TPR_FAILFAST_MODE": "hard", "TPR_SEED": "9"})
    assert (config.failfast_mode, config.seed) == ("hard", 9)
    assert config.origin("failfast_mode") == "environment"
    config = load_config(tmp_path, environ={"TPR_FAILFAST_MODE": "hard"}, failfast_mode="off")
    assert config.failfast_mode == "off" and config.origin("failfast_mode") == "command line"


@pytest.mark.parametrize(
    ("value", "expected"), [("2%", 0.02), ("2", 0.02), ("0.02", 0.02), ("50%", 0.5)]
)
def test_flake_threshold_accepts_percentages_and_fractions(tmp_path, value, expected):
    config = load_config(tmp_path, environ={"TPR_FLAKE_RATE_THRESHOLD": value})
    assert config.flake_rate_threshold == pytest.approx(expected)


def test_seed_none_means_unseeded_exploration(tmp_path):
    assert load_config(tmp_path, environ={"TPR_SEED": "none"}).seed is None


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"TPR_FAILFAST_MODE": "fast"}, ["TPR_FAILFAST_MODE", "'fast'", "off, soft, hard"]),
        ({"TPR_SEED": "abc"}, ["TPR_SEED", "integer"]),
        ({"TPR_ENV_VALIDATE": "maybe"}, ["TPR_ENV_VALIDATE", "enable, skip"]),
        ({"TPR_FLAKE_RATE_THRESHOLD": "lots"}, ["TPR_FLAKE_RATE_THRESHOLD", "number"]),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_choices(tmp_path, environ, names):
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, environ=environ)
    for name in names:
        assert name in str(error.value)
    assert error.value.source == next(iter(environ))


def test_unknown_pyproject_key_is_named(tmp_path):
    write_pyproject(tmp_path, "fail_fast = 'soft'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'fail_fast'.*failfast_mode"):
        load_config(tmp_path, environ={})


def test_broken_pyproject_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.tpr\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: cannot read"):
        load_config(tmp_path, environ={})


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        TprConfig().seed = 1  # type: ignore[misc]
