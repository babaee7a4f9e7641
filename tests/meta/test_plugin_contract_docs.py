"""Meta-tests: the plugin contract documents itself and is exercised by tests.

Every hookspec has a docstring with a ``:param`` line for each argument (and ``:return:``
when it returns something); every hookspec has a ``test_hook_<name>`` test; every route of
the app is in the OpenAPI document.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from glare_core.plugins import hookspecs

TESTS = Path(__file__).resolve().parent.parent
HOOKS = sorted(
    name for name, obj in vars(hookspecs).items()
    if name.startswith("glare_") and callable(obj) and hasattr(obj, "glare_spec")
)


def test_there_are_hooks():
    assert len(HOOKS) >= 20


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_documents_every_argument(hook):
    function = getattr(hookspecs, hook)
    doc = inspect.getdoc(function) or ""
    assert doc.splitlines()[0].strip(), f"{hook} has no summary line"
    for argument in inspect.signature(function).parameters:
        assert re.search(rf":param {argument}:", doc), f"{hook}: '{argument}' undocumented"
    returns = inspect.signature(function).return_annotation
    if returns not in ("None", None, inspect.Signature.empty):
        assert ":return:" in doc, f"{hook} does not document its return value"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    test_names = set()
    for path in TESTS.rglob("test_*.py"):
        test_names.update(re.findall(r"^def (test_hook_\w+)", path.read_text(), re.M))
    assert f"test_hook_{hook}" in test_names, f"no test_hook_{hook} in {TESTS}"


def test_every_route_is_in_the_openapi_document(glare_app):
    spec = glare_app.test_client().get("/-/api/openapi.json").get_json()
    documented = {
        (path, method.upper()) for path, item in spec["paths"].items() for method in item
        if method in ("get", "put", "post", "patch", "delete")
    }
    routes = set()
    for rule in glare_app.url_map.iter_rules():
        if rule.endpoint.startswith("api-docs.") or rule.endpoint == "static":
            continue  # the OpenAPI document, its UI and the UI's assets
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))
    assert routes - documented == set()
    assert len(routes) >= 14
