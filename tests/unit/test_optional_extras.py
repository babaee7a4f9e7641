"""Optional dependencies: Keystone authentication needs the ``keystone`` extra, and says so
at start-up when it is missing instead of failing on an import deep in a request."""

from __future__ import annotations

import subprocess
import sys

import pytest

from glare_core.auth.keystone import wrap_with_auth_token
from glare_core.errors import StartupError

OPTIONS = {"auth_url": "http://127.0.0.1:9/v3", "username": "glare", "password": "secret"}


def test_keystone_without_keystonemiddleware_names_the_extra(monkeypatch):
    # None in sys.modules makes the import fail as if the package were not installed.
    monkeypatch.setitem(sys.modules, "keystonemiddleware", None)
    monkeypatch.setitem(sys.modules, "keystonemiddleware.auth_token", None)
    with pytest.raises(StartupError, match=r"pip install 'glare-core\[keystone\]'"):
        wrap_with_auth_token(lambda environ, start: [], OPTIONS)


def test_the_app_module_imports_without_keystonemiddleware():
    # A fresh interpreter: the app's modules import keystonemiddleware only when used.
    code = ("import sys; sys.modules['keystonemiddleware'] = None; "
            "import glare_core.app, glare_core.auth.keystone")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
