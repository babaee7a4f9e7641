"""Settings sources and their precedence: defaults < file < environment < overrides."""

import pytest

from glare_core.config import load_settings
from glare_core.errors import StartupError


def test_defaults(tmp_path):
    settings = load_settings(environ={"HOME": str(tmp_path)})
    assert settings["GLARE_HOST"] == "127.0.0.1"
    assert settings["GLARE_PORT"] == 9494
    assert settings["GLARE_AUTH_STRATEGY"] == "noauth"
    assert settings["GLARE_DATA_DIR"].endswith("glare")
    assert settings["GLARE_DATABASE_URL"] == f"sqlite:///{settings['GLARE_DATA_DIR']}/glare.db"


def test_file_then_environment_then_overrides(tmp_path):
    config = tmp_path / "glare.toml"
    config.write_text('port = 1000\nhost = "0.0.0.0"\nworkers = 3\n'
                      'enabled_types = ["a", "b"]\n[types.a]\ndelayed_delete = true\n')
    environ = {"GLARE_PORT": "2000", "GLARE_WORKERS": "4", "GLARE_DISABLED_PLUGINS": "x, y"}
    settings = load_settings(config, overrides={"GLARE_WORKERS": 5}, environ=environ)
    assert settings["GLARE_HOST"] == "0.0.0.0"  # file
    assert settings["GLARE_PORT"] == 2000  # environment beats file
    assert settings["GLARE_WORKERS"] == 5  # override beats environment
    assert settings["GLARE_ENABLED_TYPES"] == ["a", "b"]
    assert settings["GLARE_DISABLED_PLUGINS"] == ["x", "y"]
    assert settings["GLARE_TYPES"] == {"a": {"delayed_delete": True}}


def test_config_file_from_environment(tmp_path):
    config = tmp_path / "glare.toml"
    config.write_text("allow_anonymous = true\n")
    settings = load_settings(environ={"GLARE_CONFIG_FILE": str(config)})
    assert settings["GLARE_ALLOW_ANONYMOUS"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [("nope = 1\n", "unknown setting 'nope'"), ("port = [\n", "not valid TOML")],
)
def test_bad_config_file(tmp_path, content, message):
    config = tmp_path / "glare.toml"
    config.write_text(content)
    with pytest.raises(StartupError, match=message):
        load_settings(config, environ={})


@pytest.mark.parametrize(
    ("environ", "message"),
    [({"GLARE_PORT": "http"}, "GLARE_PORT"), ({"GLARE_AUTH_STRATEGY": "magic"}, "magic"),
     ({"GLARE_ALLOW_ANONYMOUS": "perhaps"}, "GLARE_ALLOW_ANONYMOUS")],
)
def test_bad_values_are_reported(environ, message):
    with pytest.raises(StartupError, match=message):
        load_settings(environ=environ)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "abc", "0.0000001", "0.09"])
def test_client_timeout_must_be_zero_or_a_finite_usable_limit(value: str) -> None:
    with pytest.raises(StartupError, match="GLARE_CLIENT_TIMEOUT"):
        load_settings(environ={"GLARE_CLIENT_TIMEOUT": value})


@pytest.mark.parametrize(("value", "seconds"),
                         [("0", 0.0), ("0.1", 0.1), ("0.5", 0.5), ("90", 90.0)])
def test_client_timeout_accepts_seconds(value: str, seconds: float) -> None:
    assert load_settings(environ={"GLARE_CLIENT_TIMEOUT": value})[
        "GLARE_CLIENT_TIMEOUT"] == seconds


@pytest.mark.parametrize(("variable", "closest"), [
    ("GLARE_AUTH_STRATEGYY", "GLARE_AUTH_STRATEGY"),
    ("GLARE_DATADIR", "GLARE_DATA_DIR"),
    ("GLARE_CONFIG", "GLARE_CONFIG_FILE"),
    ("glare_port", "GLARE_PORT"),  # the right name in the wrong case is never read
])
def test_an_unknown_glare_variable_stops_with_the_closest_name(variable, closest):
    with pytest.raises(StartupError, match=rf"Unknown environment variable {variable} "
                                           rf"\(did you mean {closest}\?\)"):
        load_settings(environ={variable: "x"})


def test_an_unknown_variable_like_no_setting_gets_no_suggestion():
    with pytest.raises(StartupError) as raised:
        load_settings(environ={"GLARE_FROBNICATE": "1"})
    assert str(raised.value).startswith("Unknown environment variable GLARE_FROBNICATE: ")


def test_the_tools_own_variables_and_other_prefixes_are_left_alone(tmp_path):
    environ = {"HOME": str(tmp_path), "GLARE_VENV": ".venv", "GLARE_TEST_WORKERS": "0",
               "GLARE_TEST_PG_URL": "postgresql+psycopg://x/y", "GLARED": "1",
               "MY_GLARE_PORT": "1"}
    assert load_settings(environ=environ)["GLARE_PORT"] == 9494


def test_every_setting_is_a_known_variable(tmp_path):
    """New settings come for free: every SETTINGS key is accepted from the environment."""
    from glare_core.config import SETTINGS

    for name, (default, _) in SETTINGS.items():
        if default not in (None, {}, []):
            load_settings(environ={"HOME": str(tmp_path), f"GLARE_{name}": _as_text(default)})


def _as_text(value):
    import json

    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def test_errors_name_where_the_value_came_from(tmp_path):
    config = tmp_path / "glare.toml"
    config.write_text('port = "http"\n')
    with pytest.raises(StartupError) as raised:
        load_settings(config, environ={})
    assert str(raised.value) == (f"config file {config}, key port: 'http' is invalid: "
                                 "a port is a whole number from 1 to 65535")
    with pytest.raises(StartupError) as raised:
        load_settings(environ={"GLARE_PORT": "99999"})
    assert str(raised.value).startswith("GLARE_PORT (environment variable): '99999' is invalid")
    with pytest.raises(StartupError) as raised:
        load_settings(overrides={"GLARE_WORKERS": "two"}, origins={"GLARE_WORKERS": "--workers"},
                      environ={})
    assert str(raised.value).startswith("--workers: 'two' is invalid")


def test_a_table_in_error_is_not_repeated(tmp_path):
    """GLARE_SWIFT and GLARE_KEYSTONE hold passwords: a malformed one is not echoed."""
    with pytest.raises(StartupError) as raised:
        load_settings(environ={"GLARE_SWIFT": '{"key": "s3cret"'})
    assert "GLARE_SWIFT (environment variable) is invalid" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_settings_remember_their_origins(tmp_path):
    config = tmp_path / "glare.toml"
    config.write_text("workers = 3\n")
    settings = load_settings(config, overrides={"GLARE_DATA_DIR": str(tmp_path)},
                             origins={"GLARE_DATA_DIR": "--data-dir"},
                             environ={"GLARE_PORT": "2000"})
    assert settings.origin("GLARE_WORKERS") == f"config file {config}, key workers"
    assert settings.origin("GLARE_PORT") == "GLARE_PORT (environment variable)"
    assert settings.origin("GLARE_DATA_DIR") == "--data-dir"
    assert settings.origin("GLARE_HOST") == "GLARE_HOST (default)"
    assert settings.origin("GLARE_BLOB_DIR").startswith("GLARE_BLOB_DIR (default")
