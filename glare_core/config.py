"""Settings: defaults, then a TOML config file, then ``GLARE_*`` environment variables,
then explicit overrides (command-line options, test configs). Later sources win.

In the file keys are written without the prefix and in lower case
(``data_dir = "/var/lib/glare"``); in the environment and in ``app.config`` they carry it
(``GLARE_DATA_DIR``). See etc/glare.toml.sample for every key with its meaning.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from glare_core.errors import StartupError

PREFIX = "GLARE_"
AUTH_STRATEGIES = ("noauth", "trusted-auth", "keystone")


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


def _positive_int(value: Any) -> int:
    number = int(value)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


# name (without prefix) → (default, parser)
SETTINGS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "DATA_DIR": (None, _optional_str),
    "DATABASE_URL": (None, _optional_str),
    "HOST": ("127.0.0.1", str),
    "PORT": (9494, int),
    "WORKERS": (2, int),
    "THREADS": (8, int),
    "CLIENT_TIMEOUT": (60.0, _client_timeout),
    "REQUEST_HEAD_TIMEOUT": (20.0, _non_negative),
    "MIN_UPLOAD_RATE": (500.0, _non_negative),
    "MIN_UPLOAD_RATE_GRACE": (20.0, _non_negative),
    "UPLOAD_THREADS": (8, _positive_int),
    "GRACEFUL_TIMEOUT": (30.0, _non_negative),
    "AUTO_MIGRATE": (True, _bool),
    "AUTH_STRATEGY": ("noauth", str),
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
    "SWIFT": ({}, _dict),
    "UPLOAD_STALE_AFTER": (300.0, float),
    "VERIFY_ON_READ": (False, _bool),
    "LOCK_WAIT": (2.0, float),
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


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Merge every source into a dict of ``GLARE_*`` keys with parsed values."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {name: default for name, (default, _) in SETTINGS.items()}
    config_file = config_file or environ.get(f"{PREFIX}CONFIG_FILE")
    if config_file:
        raw.update(_read_file(Path(config_file)))
    for name in SETTINGS:
        if f"{PREFIX}{name}" in environ:
            raw[name] = environ[f"{PREFIX}{name}"]
    for key, value in (overrides or {}).items():
        name = key[len(PREFIX):] if key.startswith(PREFIX) else key.upper()
        raw[name] = value
    settings: dict[str, Any] = {}
    for name, value in raw.items():
        parser = SETTINGS[name][1] if name in SETTINGS else (lambda v: v)
        try:
            settings[f"{PREFIX}{name}"] = parser(value) if value is not None else None
        except (ValueError, TypeError) as exc:
            raise StartupError(f"Setting {PREFIX}{name}={value!r} is invalid: {exc}") from exc
    data_dir = Path(settings["GLARE_DATA_DIR"] or default_data_dir()).expanduser()
    settings["GLARE_DATA_DIR"] = str(data_dir)
    if not settings["GLARE_BLOB_DIR"]:
        settings["GLARE_BLOB_DIR"] = str(data_dir / "blobs")
    if not settings["GLARE_DATABASE_URL"]:
        settings["GLARE_DATABASE_URL"] = f"sqlite:///{data_dir / 'glare.db'}"
    if settings["GLARE_AUTH_STRATEGY"] not in AUTH_STRATEGIES:
        raise StartupError(
            f"GLARE_AUTH_STRATEGY must be one of {', '.join(AUTH_STRATEGIES)}, "
            f"not {settings['GLARE_AUTH_STRATEGY']!r}"
        )
    return settings


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
            raise StartupError(f"Config file {path}: unknown setting '{key}'")
        out[name] = value
    return out
