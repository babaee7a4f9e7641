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
