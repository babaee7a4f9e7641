"""Helpers shared by the API tests in tests/api: constants, URLs, JSON-patch operations,
error-envelope checks, lifecycle shortcuts, and blob and listing helpers.

Fixtures shared by these tests (the store parametrization, ``glare_settings``) are in
tests/api/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import glare_sample_artifact

from glare_core.app import create_app
from glare_core.testing import GlareClient
from tests.conftest import SAMPLE

# ---- constants ------------------------------------------------------------------------------

# §5.2: the error.type values each status may carry.
ERROR_TYPES = {
    400: {"BadRequest", "InvalidParameterValue", "InvalidFilterOperatorValue"},
    401: {"Unauthorized"},
    403: {"Forbidden", "PolicyException"},
    404: {"NotFound", "ArtifactNotFound", "TypeNotFound"},
    409: {"Conflict"},
    413: {"RequestEntityTooLarge"},
    415: {"UnsupportedMediaType"},
    416: {"RequestRangeNotSatisfiable"},
}

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# §8 base fields and §28 sample fields.
BASE_FIELDS = {
    "id", "name", "owner", "status", "created_at", "updated_at", "activated_at",
    "description", "tags", "metadata", "visibility", "version", "display_type_name",
}
SAMPLE_FIELDS = {
    "blob", "small_blob", "link1", "link2", "bool1", "bool2", "int1", "int2", "float1",
    "float2", "str1", "list_of_str", "list_of_int", "dict_of_str", "dict_of_int",
    "dict_of_links", "list_of_links", "dict_of_blobs", "string_mutable", "string_regex",
    "string_required", "string_validators", "int_validators", "list_validators",
    "dict_validators", "system_attribute", "metadata_attribute",
}

MISSING_ID = "00000000-0000-0000-0000-000000000000"
LOCATION = "application/vnd+openstack.glare-custom-location+json"
DATA27 = b"0123456789abcdefghijklmnopq"  # §31 #124: 27 bytes
assert len(DATA27) == 27

# ---- JSON-patch operations ------------------------------------------------------------------


def op(path: str, value: Any, kind: str = "replace") -> dict[str, Any]:
    return {"op": kind, "path": path, "value": value}


def replace(path: str, value: Any) -> dict[str, Any]:
    return op(path, value)


def add(path: str, value: Any) -> dict[str, Any]:
    return op(path, value, "add")


def remove(path: str) -> dict[str, Any]:
    return {"op": "remove", "path": path}


def move(source: str, path: str) -> dict[str, Any]:
    return {"op": "move", "from": source, "path": path}


ACTIVATE = [replace("/string_required", "x"), replace("/status", "active")]
PUBLISH = [replace("/visibility", "public")]

# ---- URLs -----------------------------------------------------------------------------------


def url(artifact_id: str, path: str = "", *, type_name: str = SAMPLE) -> str:
    """The URL of an artifact, or of a blob (``path``) inside it."""
    return f"/artifacts/{type_name}/{artifact_id}" + (f"/{path}" if path else "")


def link_to(artifact: dict) -> str:
    """The value of a link field pointing at ``artifact``."""
    return f"/artifacts/{SAMPLE}/{artifact['id']}"


# ---- error envelopes (§5) -------------------------------------------------------------------


def assert_envelope(response: Any, status: int, error_type: str | None = None) -> dict:
    """The §5.1 error envelope with the given status (also for framework errors, Q2)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    assert body["code"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert isinstance(body["explanation"], str) and body["explanation"]
    assert isinstance(body["error"], dict)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["type"], str) and body["error"]["type"]
    if error_type is not None:
        assert body["error"]["type"] == error_type
    return body


def assert_error(response: Any, status: int, error_type: str | None = None) -> dict:
    """:func:`assert_envelope`; without ``error_type`` the type is one §5.2 allows."""
    body = assert_envelope(response, status, error_type)
    if error_type is None:
        assert body["error"]["type"] in ERROR_TYPES[status]
    return body


# ---- lifecycle shortcuts --------------------------------------------------------------------


def activate(client: GlareClient, artifact_id: str) -> dict:
    return client.update(SAMPLE, artifact_id, *ACTIVATE)


def publish(admin: GlareClient, artifact_id: str) -> dict:
    return admin.update(SAMPLE, artifact_id, *PUBLISH)


def make_public(owner: GlareClient, admin: GlareClient, name: str = "pub",
                **fields: Any) -> dict:
    """An artifact of ``owner``, activated, then published by ``admin``."""
    art = owner.create(SAMPLE, name=name, **fields)
    activate(owner, art["id"])
    return publish(admin, art["id"])


# ---- blobs ----------------------------------------------------------------------------------


def digests(data: bytes) -> dict[str, str]:
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def upload_ok(client: GlareClient, artifact_id: str, path: str, data: bytes,
              content_type: str = "application/octet-stream") -> dict:
    response = client.put(url(artifact_id, path), data=data, content_type=content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def stored(app: Any) -> set[tuple[str, str]]:
    """Every piece of data held by the two local stores, as (store, blob id)."""
    stores = app.extensions["glare"].stores.by_name
    files = {("file", path.name) for path in stores["file"].stored_files()}
    rows = {("database", blob_id) for blob_id in stores["database"].stored_ids()}
    return files | rows


def set_saving(app: Any, artifact_id: str, field: str, key: str | None = None) -> None:
    """Simulate an upload in progress (§31 #130)."""
    app.extensions["glare"].engine.context.data_apis[SAMPLE].set_blob(artifact_id, field, key, {
        "status": "saving", "external": False, "size": 10, "content_type": "x",
        "location": "file:none", "previous": None,
    })


# ---- listing: shared data sets with a controlled clock --------------------------------------


class Clock:
    """Replaces the service clock: every artifact gets a known ``created_at``."""

    def __init__(self) -> None:
        self.now = dt.datetime(2020, 1, 1, 0, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def build_app(template_db: Any, data_dir: Any) -> Any:
    """An app of its own (anonymous access on), for a data set shared by a module."""
    shutil.copy(template_db, data_dir / "glare.db")
    return create_app(
        {"GLARE_DATA_DIR": str(data_dir), "GLARE_AUTO_MIGRATE": False,
         "GLARE_ALLOW_ANONYMOUS": True},
        plugins=[glare_sample_artifact],
        autoload=False,
    )


def callers(app: Any) -> dict[str, GlareClient]:
    """user1 (p1), user2 (p2), admin and anonymous callers of ``app``."""
    user1 = GlareClient(app.test_client())
    return {
        "user1": user1,
        "user2": user1.as_user("p2"),
        "admin": user1.as_admin(),
        "anonymous": user1.as_user(None, roles=()),
    }


# ---- listing: requests and checks -----------------------------------------------------------


def encode_query(raw: str) -> str:
    """Percent-encode every key and value of ``k=v&k2=v2`` (a bare ``k`` stays bare)."""
    parts = []
    for item in raw.split("&"):
        key, eq, value = item.partition("=")
        parts.append(quote(key, safe="") + ("=" + quote(value, safe="") if eq else ""))
    return "&".join(parts)


def get_list(client: GlareClient, raw: str, type_name: str = SAMPLE) -> Any:
    list_url = f"/artifacts/{type_name}"
    return client.get(f"{list_url}?{encode_query(raw)}" if raw else list_url)


def list_ok(client: GlareClient, raw: str) -> dict[str, Any]:
    response = get_list(client, raw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_bad_request(client: GlareClient, raw: str, type_name: str = SAMPLE) -> None:
    response = get_list(client, raw, type_name)
    assert response.status_code == 400, (raw, response.get_data(as_text=True))
    assert response.get_json()["code"] == 400


def names_of(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["artifacts"]]


def fetch(client: GlareClient, page_url: str) -> dict[str, Any]:
    response = client.get(page_url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_pages(pages: list[dict[str, Any]], expected: list[str], limit: int) -> None:
    """Pages are consecutive slices of ``expected``; ``next`` exactly when a page is full
    (so an exact multiple ends with an empty page); total_count constant."""
    chunks = [expected[i:i + limit] for i in range(0, len(expected), limit)]
    if not chunks or len(chunks[-1]) == limit:
        chunks.append([])
    assert [names_of(page) for page in pages] == chunks
    for page in pages:
        assert page["total_count"] == len(expected)
        items = page["artifacts"]
        if items and len(items) == limit:
            assert page["next"] == f"{page['first']}&marker={items[-1]['id']}"
        else:
            assert "next" not in page
    assert len({page["first"] for page in pages}) == 1


def engine_context(handle: Any) -> Any:
    """The engine context of an app, or of the app a GlareClient talks to (tests set its
    ``clock`` to choose the times artifacts are stamped with)."""
    app = getattr(getattr(handle, "client", None), "application", handle)
    return app.extensions["glare"].engine.context
