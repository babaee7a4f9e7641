"""Settings: defaults, then a TOML config file, then ``GLARE_*`` environment variables,
then explicit overrides (command-line options, test configs). Later sources win.

In the file keys are written without the prefix and in lower case
(``data_dir = "/var/lib/glare"``); in the environment and in ``app.config`` they carry it
(``GLARE_DATA_DIR``). See etc/glare.toml.sample for every key with its meaning.

A name Glare does not know stops the start, with the closest known name: a key of the
file, or a ``GLARE_*`` environment variable (a misspelt ``GLARE_AUTH_STRATEGY`` must not
leave the server trusting identity headers). Each value remembers where it came from, so
an error about it names that place (``Settings.origins``, kept in ``app.config`` under
``ORIGINS_KEY``).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from glare_core.blobs.filesystem import DEFAULT_WRITE_CACHE
from glare_core.errors import StartupError

PREFIX = "GLARE_"
CONFIG_FILE_VARIABLE = f"{PREFIX}CONFIG_FILE"
AUTH_STRATEGIES = ("noauth", "trusted-auth", "keystone")
#: ``GLARE_*`` variables that are no settings: read by the project's own scripts and tests
#: (``GLARE_VENV`` by scripts/bootstrap, ``GLARE_TEST_*`` by scripts/test and the test
#: suite). Glare ignores them; any other ``GLARE_*`` name it does not know stops the start.
TOOL_VARIABLES = frozenset({f"{PREFIX}VENV"})
TOOL_VARIABLE_PREFIXES = (f"{PREFIX}TEST_",)
#: The ``app.config`` key of ``Settings.origins`` (not a setting: no ``GLARE_`` prefix).
ORIGINS_KEY = "SETTING_ORIGINS"


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _list(value: Any) -> list[str] | None:
    if value is None or isinstance(value, list):
        return value
    text = str(value).strip()
    if text.startswith("["):
        return list(json.loads(text))
    return [item.strip() for item in text.split(",") if item.strip()]


def _optional_list(value: Any) -> list[str] | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "all")):
        return None
    return _list(value)


def _dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return dict(json.loads(str(value)))


#: Below this a socket timeout rounds to nothing (or to "no limit" in the kernel's units).
MIN_CLIENT_TIMEOUT = 0.1


def _client_timeout(value: Any) -> float:
    seconds = float(value)
    if not math.isfinite(seconds) or not (seconds == 0 or seconds >= MIN_CLIENT_TIMEOUT):
        raise ValueError(f"must be 0 (no limit) or a finite number of seconds, at least "
                         f"{MIN_CLIENT_TIMEOUT}")
    return seconds


def _non_negative(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a finite number, 0 or more")
    return number


def _count_or_zero(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _bytes_or_unlimited(value: Any) -> int:
    message = "must be a whole number of bytes, 0 or more, or -1 (unlimited)"
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if number < -1 or isinstance(value, (bool, float)):  # int() would round 1.5 down
        raise ValueError(message)
    return number


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def port_number(value: Any) -> int:
    """A TCP port to listen on: a whole number from 1 to 65535."""
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError("a port is a whole number from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise ValueError("a port is a whole number from 1 to 65535")
    return port


def _auth_strategy(value: Any) -> str:
    text = str(value)
    if text not in AUTH_STRATEGIES:
        raise ValueError(f"must be one of {', '.join(AUTH_STRATEGIES)}"
                         f"{did_you_mean(text, AUTH_STRATEGIES)}")
    return text


# name (without prefix) → (default, parser)
SETTINGS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "DATA_DIR": (None, _optional_str),
    "DATABASE_URL": (None, _optional_str),
    "HOST": ("127.0.0.1", str),
    "PORT": (9494, port_number),
    "WORKERS": (2, int),
    "THREADS": (8, int),
    "CLIENT_TIMEOUT": (60.0, _client_timeout),
    "REQUEST_HEAD_TIMEOUT": (20.0, _non_negative),
    "MIN_UPLOAD_RATE": (500.0, _non_negative),
    "MIN_UPLOAD_RATE_GRACE": (20.0, _non_negative),
    "STREAM_THREADS": (0, _count_or_zero),  # 0: one per connection the worker holds
    "GRACEFUL_TIMEOUT": (30.0, _non_negative),
    "AUTO_MIGRATE": (True, _bool),
    "AUTH_STRATEGY": ("noauth", _auth_strategy),
    "KEYSTONE": ({}, _dict),
    "CORS_ORIGINS": ([], _list),
    "ALLOW_ANONYMOUS": (False, _bool),
    "POLICY_FILE": (None, _optional_str),
    "ENABLED_TYPES": (None, _optional_list),
    "ENABLED_PLUGINS": (None, _optional_list),
    "DISABLED_PLUGINS": ([], _list),
    "PLUGINS_AUTOLOAD": (True, _bool),
    "TYPES": ({}, _dict),
    "PLUGIN_CONFIG": ({}, _dict),
    "DEFAULT_API_LIMIT": (25, int),
    "MAX_API_LIMIT": (1000, int),
    "DELAYED_DELETE": (False, _bool),
    "MAX_ARTIFACT_NUMBER": (-1, int),
    "MAX_UPLOADED_DATA": (-1, int),
    "DEFAULT_STORE": ("file", str),
    "BLOB_DIR": (None, _optional_str),
    # Bytes of each upload the file store writes through the page cache (the rest with
    # O_DIRECT): a blob up to this size is downloaded from memory right after its upload,
    # a bigger one puts no more than this into the cache. 0: none, -1: all of it.
    "BLOB_WRITE_CACHE": (DEFAULT_WRITE_CACHE, _bytes_or_unlimited),
    "SWIFT": ({}, _dict),
    "UPLOAD_STALE_AFTER": (300.0, float),
    "VERIFY_ON_READ": (False, _bool),
    "LOCK_WAIT": (10.0, float),
    "LOCK_STALE_AFTER": (5.0, float),
    "CHECK_EXTERNAL_LINKS": (False, _bool),
    "PUBLIC_ENDPOINT": (None, _optional_str),
    "HEALTHCHECK_DISABLE_FILE": (None, _optional_str),
    "DEBUG": (False, _bool),
    "LOG_LEVEL": ("INFO", str),
}


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "glare"


class Settings(dict[str, Any]):
    """Parsed settings (``GLARE_*`` keys), and where each value came from (``origins``:
    ``GLARE_PORT (environment variable)``, ``config file /etc/glare.toml, key port``,
    ``--port``...), for errors to name."""

    def __init__(self, values: Mapping[str, Any], origins: Mapping[str, str]) -> None:
        super().__init__(values)
        self.origins = dict(origins)

    def origin(self, key: str) -> str:
        return self.origins.get(key, key)


def setting_origin(config: Mapping[str, Any], key: str) -> str:
    """Where the value of setting ``key`` of an app's ``config`` came from."""
    return (config.get(ORIGINS_KEY) or {}).get(key, key)


def did_you_mean(name: str, known: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean X?)`` for the known name closest to ``name``, or nothing.
    Names are compared without their common ``prefix``, which would make any two alike."""
    close = difflib.get_close_matches(name.removeprefix(prefix),
                                      [k.removeprefix(prefix) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    origins: Mapping[str, str] | None = None,
) -> Settings:
    """Merge every source into a dict of ``GLARE_*`` keys with parsed values.

    :param origins: how errors name an override (``{"GLARE_PORT": "--port"}``).
    """
    environ = os.environ if environ is None else environ
    _refuse_unknown_variables(environ)
    raw: dict[str, Any] = {name: default for name, (default, _) in SETTINGS.items()}
    where = {name: f"{PREFIX}{name} (default)" for name in SETTINGS}
    config_file = config_file or environ.get(CONFIG_FILE_VARIABLE)
    if config_file:
        from_file = _read_file(Path(config_file))
        raw.update(from_file)
        where.update({name: f"config file {config_file}, key {name.lower()}"
                      for name in from_file})
    for name in SETTINGS:
        if f"{PREFIX}{name}" in environ:
            raw[name] = environ[f"{PREFIX}{name}"]
            where[name] = f"{PREFIX}{name} (environment variable)"
    for key, value in (overrides or {}).items():
        name = key[len(PREFIX):] if key.startswith(PREFIX) else key.upper()
        raw[name] = value
        where[name] = (origins or {}).get(f"{PREFIX}{name}", f"{PREFIX}{name} (override)")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        parser = SETTINGS[name][1] if name in SETTINGS else (lambda v: v)
        try:
            values[f"{PREFIX}{name}"] = parser(value) if value is not None else None
        except (ValueError, TypeError) as exc:
            # A table's text is not repeated: it may hold a password (swift, keystone).
            shown = "" if parser is _dict else f": {value!r}"
            raise StartupError(f"{where.get(name, PREFIX + name)}{shown} is invalid: "
                               f"{exc}") from exc
    settings = Settings(values, {f"{PREFIX}{name}": text for name, text in where.items()})
    data_dir = Path(settings["GLARE_DATA_DIR"] or default_data_dir()).expanduser()
    settings["GLARE_DATA_DIR"] = str(data_dir)
    if not settings["GLARE_BLOB_DIR"]:
        settings["GLARE_BLOB_DIR"] = str(data_dir / "blobs")
        settings.origins["GLARE_BLOB_DIR"] = "GLARE_BLOB_DIR (default: blobs in GLARE_DATA_DIR)"
    if not settings["GLARE_DATABASE_URL"]:
        settings["GLARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'glare.db'}"
        settings.origins["GLARE_DATABASE_URL"] = (
            "GLARE_DATABASE_URL (default: glare.db in GLARE_DATA_DIR)")
    return settings


def _refuse_unknown_variables(environ: Mapping[str, str]) -> None:
    """A ``GLARE_*`` variable that is neither a setting nor one of the tools' own is a
    mistake (a typo, or a setting of another version): better to stop than ignore it."""
    known = {f"{PREFIX}{name}" for name in SETTINGS} | {CONFIG_FILE_VARIABLE}
    for variable in sorted(environ):
        name = variable.upper()
        if (name.startswith(PREFIX) and variable not in known and name not in TOOL_VARIABLES
                and not name.startswith(TOOL_VARIABLE_PREFIXES)):
            raise StartupError(
                f"Unknown environment variable {variable}{did_you_mean(name, known, PREFIX)}: "
                "correct or unset it (etc/glare.toml.sample lists every setting)")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise StartupError(f"Cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise StartupError(f"Config file {path} is not valid TOML: {exc}") from exc
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = key.upper()
        if name not in SETTINGS:
            suggestion = did_you_mean(key.lower(), [known.lower() for known in SETTINGS])
            raise StartupError(f"Config file {path}: unknown setting '{key}'{suggestion}")
        out[name] = value
    return out
