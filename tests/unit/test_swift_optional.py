"""python-swiftclient is optional: without it Glare runs (with no Swift store), and a
configured Swift store stops the start-up with the command that installs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# Run in a fresh interpreter where "import swiftclient" fails as if it were not installed.
PROBE = textwrap.dedent("""
    import json, sys
    sys.modules["swiftclient"] = None
    from glare_core.app import create_app
    from glare_core.errors import StartupError

    config = json.loads(sys.argv[1])
    try:
        create_app(config, autoload=False)
    except StartupError as exc:
        print("StartupError:", exc)
    else:
        print("started")
    print("swift_objects imported:", "glare_core.blobs.swift_objects" in sys.modules)
""")


def probe(config: dict) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(config)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_glare_runs_without_swiftclient_when_no_swift_store_is_configured(tmp_path):
    assert probe({"GLARE_DATA_DIR": str(tmp_path)}).splitlines() == [
        "started", "swift_objects imported: False"]


def test_a_configured_swift_store_without_swiftclient_names_the_extra(tmp_path):
    printed = probe({"GLARE_DATA_DIR": str(tmp_path),
                     "GLARE_SWIFT": {"auth_url": "http://127.0.0.1:1/auth/v1.0",
                                     "user": "u", "key": "k"}})
    assert printed.splitlines()[0] == (
        "StartupError: The swift store needs python-swiftclient, which is not installed: "
        "pip install 'glare-core[swift]'")
