"""Transport rules and API versions through the Flask test client.

Contract §2 (transport), §4 (versions and negotiation), §5 (error envelope, Q2) and the
edge cases §31 #0, #1, #2 and #4 (request id).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from tests.api.helpers import ACTIVATE, assert_envelope
from tests.conftest import SAMPLE, SAMPLE_URL

UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
VENDOR = "application/vnd.openstack.artifacts-"


def allow_methods(response: Any) -> list[str]:
    header = response.headers.get("Allow")
    assert header is not None, "405 without an Allow header"
    return [item.strip() for item in header.split(",")]


def assert_charset_utf8(response: Any) -> None:
    assert response.mimetype_params.get("charset", "").lower() == "utf-8"


@pytest.fixture
def artifact(user1) -> dict:
    return user1.create(SAMPLE, name="transport")


# ---- 405 / 404 / 501 (§2, §31 #0, Q2) ------------------------------------------------------

SCHEMAS_WRONG = ["PUT", "DELETE", "HEAD", "PATCH", "POST", "FOO", "OPTIONS"]
METHOD_CASES = (
    [("/schemas", m, ["GET"]) for m in SCHEMAS_WRONG]
    + [(f"/schemas/{SAMPLE}", m, ["GET"]) for m in SCHEMAS_WRONG]
    + [("/schemas/image", "FOO", ["GET"])]
    + [(SAMPLE_URL, m, ["GET", "POST"])
       for m in ["PUT", "DELETE", "HEAD", "PATCH", "FOO", "OPTIONS"]]
    + [(f"{SAMPLE_URL}/{{id}}", m, ["GET", "PATCH", "DELETE"])
       for m in ["PUT", "HEAD", "POST", "FOO", "OPTIONS"]]
)


@pytest.mark.parametrize(("path", "method", "allowed"), METHOD_CASES)
def test_wrong_method_on_known_route_is_405_with_allow(user1, artifact, path, method, allowed):
    """§31 #0: disallowed methods (HEAD and made-up ones too) → 405 + exact Allow list.
    OPTIONS too: with CORS off (the default) no route offers it (tests/api/test_cors.py)."""
    response = user1.request(method, path.format(id=artifact["id"]))
    assert response.status_code == 405, response.get_data(as_text=True)
    methods = allow_methods(response)
    # The Allow list is exactly the contract's methods: no HEAD, no OPTIONS, no duplicates.
    assert sorted(methods) == sorted(allowed)
    assert len(methods) == len(set(methods))
    if method != "HEAD":
        assert_envelope(response, 405)


@pytest.mark.parametrize("path", ["blob", "dict_of_blobs/some/key"])
@pytest.mark.parametrize("method", ["PATCH", "POST", "FOO", "OPTIONS"])
def test_wrong_method_on_blob_route_is_405(user1, artifact, method, path):
    """§31 #0: /artifacts/x/y/z with PATCH, POST → 405, Allow GET, PUT, DELETE
    (no blob data needed: the method is refused before anything is read). HEAD is the one
    deliberate exception: blob downloads answer HEAD (an addition of ours, tested with
    the blob downloads)."""
    response = user1.request(method, f"{SAMPLE_URL}/{artifact['id']}/{path}")
    assert response.status_code == 405, response.get_data(as_text=True)
    methods = allow_methods(response)
    assert sorted(methods) == ["DELETE", "GET", "PUT"]
    assert len(methods) == len(set(methods))


def test_head_on_schemas_is_405_allow_get(user1):
    """HEAD is not supported (§2): 405 with Allow GET."""
    response = user1.request("HEAD", "/schemas")
    assert response.status_code == 405
    assert allow_methods(response) == ["GET"]


@pytest.mark.parametrize(
    "path", ["/nonexistent", "/artifacts", "/schemas/a/b", "/artifact/sample_artifact"]
)
def test_unknown_route_is_404_envelope(user1, path):
    """§2 + Q2: an unknown route → 404 with the Glare envelope."""
    assert_envelope(user1.get(path), 404)


def test_unknown_route_without_credentials_is_404(glare_app):
    assert_envelope(glare_app.test_client().get("/no/such/route"), 404)


@pytest.mark.parametrize("method", ["FOO", "BREW"])
def test_unknown_method_on_unknown_route_is_501(user1, method):
    """§2: an unknown HTTP method on an unknown route → 501 (envelope per Q2)."""
    assert_envelope(user1.request(method, "/nonexistent/route"), 501)


# ---- bodies on body-less routes (§2) -------------------------------------------------------

BODYLESS = [
    ("GET", "/schemas"),
    ("GET", f"/schemas/{SAMPLE}"),
    ("GET", SAMPLE_URL),
    ("GET", f"{SAMPLE_URL}/{{id}}"),
    ("DELETE", f"{SAMPLE_URL}/{{id}}"),
]


@pytest.mark.parametrize(("method", "path"), BODYLESS)
@pytest.mark.parametrize(
    ("data", "content_type"),
    [('{"a": 1}', "application/json"), ("x", "text/plain"), ("x", None)],
)
def test_body_on_bodyless_route_is_400(user1, artifact, method, path, data, content_type):
    """§2: list, show, schemas and DELETE refuse a body (Content-Length > 0) with 400."""
    response = user1.request(method, path.format(id=artifact["id"]), data=data,
                             content_type=content_type)
    assert_envelope(response, 400)
    # The artifact was not deleted.
    assert user1.show(SAMPLE, artifact["id"])["status"] == "drafted"


@pytest.mark.parametrize(("method", "path"), BODYLESS)
def test_chunked_body_on_bodyless_route_is_400(user1, artifact, method, path):
    """§2: a chunked transfer-encoded body counts as a body."""
    response = user1.client.open(
        path.format(id=artifact["id"]),
        method=method,
        headers={**user1.headers, "Transfer-Encoding": "chunked"},
        input_stream=io.BytesIO(b"5\r\nhello\r\n0\r\n\r\n"),
    )
    assert_envelope(response, 400)
    assert user1.show(SAMPLE, artifact["id"])["status"] == "drafted"


def test_empty_body_on_get_and_delete_is_fine(user1, artifact):
    assert user1.request("GET", SAMPLE_URL, data="").status_code == 200
    response = user1.request("DELETE", f"{SAMPLE_URL}/{artifact['id']}", data="")
    assert response.status_code == 204


# ---- characters outside the BMP (§2, §31 #21) ----------------------------------------------


# NUL is refused as well: PostgreSQL text cannot hold it, so no database may store it.
UNSTORABLE = ["\U0001F600", "\U00010348", "\x00"]


@pytest.mark.parametrize("char", UNSTORABLE)
@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad{}"},
        {"name": "ok", "description": "a {} rocket"},
        {"name": "ok", "dict_of_str": {"key{}": "v"}},
        {"name": "ok", "dict_of_str": {"key": "v{}"}},
        {"name": "ok", "list_of_str": ["fine", "{}"]},
        {"name": "ok", "tags": ["t{}"]},
        {"name": "ok", "metadata": {"k": "{}"}},
    ],
)
def test_unstorable_characters_on_create_are_400(user1, body, char):
    filled = json.loads(json.dumps(body).replace("{}", json.dumps(char)[1:-1]))
    assert_envelope(user1.post(SAMPLE_URL, filled), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize("char", UNSTORABLE)
@pytest.mark.parametrize(
    ("path", "value"),
    [("/description", "{}"), ("/dict_of_str", {"{}": "x"}), ("/tags", ["{}"]),
     ("/str1", "abc{}")],
)
def test_unstorable_characters_on_patch_are_400(user1, artifact, path, value, char):
    filled = json.loads(json.dumps(value).replace("{}", json.dumps(char)[1:-1]))
    response = user1.patch(f"{SAMPLE_URL}/{artifact['id']}",
                           [{"op": "replace", "path": path, "value": filled}])
    assert_envelope(response, 400)
    assert user1.show(SAMPLE, artifact["id"]) == artifact


@pytest.mark.parametrize(
    "query",
    ["name=a%00b", "tags=a%00b", "dict_of_str.a%00b=1", "name%00=x", "sort=name%00",
     "marker=a%00b", "version=1.0%00"],
)
def test_nul_characters_in_the_query_are_400(user1, artifact, query):
    assert_envelope(user1.get(f"{SAMPLE_URL}?{query}"), 400)


@pytest.mark.parametrize("path", [f"{SAMPLE_URL}/a%00b", "/artifacts/sample%00", "/schemas/a%00"])
def test_nul_characters_in_the_path_are_400(user1, path):
    assert_envelope(user1.get(path), 400)


# ---- lone surrogates and deep nesting: 400, never a crash --------------------------------


@pytest.mark.parametrize("raw", [
    '{"name": "x\\ud800"}',
    '{"name": "ok", "description": "\\udfff"}',
    '{"name": "ok", "dict_of_str": {"\\ud800": "v"}}',
    '{"name": "ok", "tags": ["\\udbff"]}',
])
def test_lone_surrogates_on_create_are_400(user1, raw):
    """A "\\ud800" escape is valid JSON syntax but no character: it has no UTF-8 form."""
    assert_envelope(user1.request("POST", SAMPLE_URL, data=raw,
                                  content_type="application/json"), 400)
    assert user1.list(SAMPLE)["total_count"] == 0


def test_lone_surrogate_on_patch_is_400(user1, artifact):
    raw = '[{"op": "replace", "path": "/description", "value": "\\ud800"}]'
    response = user1.request("PATCH", f"{SAMPLE_URL}/{artifact['id']}", data=raw,
                             content_type="application/json-patch+json")
    assert_envelope(response, 400)
    assert user1.show(SAMPLE, artifact["id"]) == artifact


@pytest.mark.parametrize("depth", [33, 2_000, 100_000])
def test_deeply_nested_json_is_400(user1, artifact, depth):
    """Nesting beyond what any field holds is refused before anything walks it."""
    nested = "[" * depth + "]" * depth
    create = user1.request("POST", SAMPLE_URL, data=f'{{"name": "x", "list_of_str": {nested}}}',
                           content_type="application/json")
    assert_envelope(create, 400)
    patch = user1.request(
        "PATCH", f"{SAMPLE_URL}/{artifact['id']}", content_type="application/json-patch+json",
        data=f'[{{"op": "replace", "path": "/description", "value": {nested}}}]')
    assert_envelope(patch, 400)
    assert user1.list(SAMPLE)["total_count"] == 1


def test_other_unicode_is_accepted_and_emitted_literally(user1):
    """§2: BMP characters are fine; JSON output is UTF-8 without \\u escapes."""
    name = "Привет-ñ-漢字"
    response = user1.post(SAMPLE_URL, {"name": name, "dict_of_str": {"ключ": "значение"}})
    assert response.status_code == 201
    raw = response.get_data()
    assert name.encode("utf-8") in raw
    assert "значение".encode() in raw
    assert b"\\u" not in raw
    body = json.loads(raw.decode("utf-8"))
    assert body["name"] == name
    assert body["dict_of_str"] == {"ключ": "значение"}


# ---- Content-Type rules (§2, §7.3, §7.5, §31 #6, #33) ----------------------------------------


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 400),
        ("application/octet-stream", 415),
        ("text/plain", 415),
        ("application/json-patch+json", 415),
        ("application/json; charset=utf-8", 201),
        ("application/json", 201),
    ],
)
def test_create_content_type(user1, content_type, status):
    response = user1.request("POST", SAMPLE_URL, data=json.dumps({"name": "ct"}),
                             content_type=content_type)
    if status == 201:
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["name"] == "ct"
    else:
        assert_envelope(response, status, "UnsupportedMediaType" if status == 415 else None)
        assert user1.list(SAMPLE)["total_count"] == 0


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 400),
        ("application/json", 415),
        ("application/octet-stream", 415),
        ("application/json-patch+json; charset=UTF-8", 200),
        ("application/json-patch+json", 200),
    ],
)
def test_patch_content_type(user1, artifact, content_type, status):
    ops = [{"op": "replace", "path": "/description", "value": "changed"}]
    response = user1.request("PATCH", f"{SAMPLE_URL}/{artifact['id']}", data=json.dumps(ops),
                             content_type=content_type)
    if status == 200:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["description"] == "changed"
    else:
        assert_envelope(response, status, "UnsupportedMediaType" if status == 415 else None)
        assert user1.show(SAMPLE, artifact["id"])["description"] == ""


def test_artifact_response_content_types(user1, artifact):
    """§2: artifact/list responses are application/json; charset=UTF-8."""
    for response in (
        user1.get(SAMPLE_URL),
        user1.get(f"{SAMPLE_URL}/{artifact['id']}"),
        user1.post(SAMPLE_URL, {"name": "other"}),
    ):
        assert response.mimetype == "application/json"
        assert_charset_utf8(response)


@pytest.mark.parametrize("path", ["/schemas", f"/schemas/{SAMPLE}"])
def test_schema_response_content_type(user1, path):
    """§2, §7.1: schema responses are application/schema+json; charset=UTF-8."""
    response = user1.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert_charset_utf8(response)


def test_accept_header_is_not_content_negotiation(user1, artifact):
    """§2: Accept is only used for API versions; a non-JSON Accept still gets JSON."""
    response = user1.get(f"{SAMPLE_URL}/{artifact['id']}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"


# ---- version negotiation (§4, §31 #2) ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "version"),
    [
        ({}, "1.0"),
        ({"Accept": f"{VENDOR}1.0"}, "1.0"),
        ({"Accept": f"{VENDOR}1.1"}, "1.1"),
        ({"Accept": f"{VENDOR}latest"}, "1.1"),
        ({"Accept": "UNKNOWN"}, "1.0"),
        ({"Accept": "*/*"}, "1.0"),
        ({"Accept": "application/json"}, "1.0"),
        ({"OpenStack-API-Version": "artifact 1.0"}, "1.0"),
        ({"OpenStack-API-Version": "artifact 1.1"}, "1.1"),
        ({"OpenStack-API-Version": "artifact latest"}, "1.1"),
        # The vendor Accept header wins over the microversion header.
        ({"Accept": f"{VENDOR}1.0", "OpenStack-API-Version": "artifact 1.1"}, "1.0"),
        ({"Accept": f"{VENDOR}1.1", "OpenStack-API-Version": "artifact 1.0"}, "1.1"),
        # A non-vendor Accept is ignored, so the microversion header decides.
        ({"Accept": "*/*", "OpenStack-API-Version": "artifact 1.1"}, "1.1"),
        ({"Accept": "UNKNOWN", "OpenStack-API-Version": "artifact latest"}, "1.1"),
    ],
)
def test_negotiated_version_is_echoed(user1, headers, version):
    response = user1.get("/schemas", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["OpenStack-API-Version"] == f"artifact {version}"
    vary = [v.strip().lower() for v in response.headers.get("Vary", "").split(",")]
    assert "openstack-api-version" in vary


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": f"{VENDOR}INVALID"},
        {"Accept": f"{VENDOR}0.9"},
        {"Accept": f"{VENDOR}1.01"},
        {"Accept": f"{VENDOR}1"},
        {"Accept": f"{VENDOR}1.0.0"},
        {"Accept": f"{VENDOR}"},
        {"Accept": f"{VENDOR} 1.1"},  # the rest of the value is the version, space and all
        {"OpenStack-API-Version": "artifact INVALID"},
        {"OpenStack-API-Version": "artifact 0.9"},
        {"OpenStack-API-Version": "artifact 01.0"},
        {"OpenStack-API-Version": "artifact \u0661.0"},  # an Arabic-Indic one: not ASCII
    ],
)
def test_malformed_version_is_400(user1, headers):
    assert_envelope(user1.get("/schemas", headers=headers), 400)


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": f"{VENDOR}10000.0"},
        {"Accept": f"{VENDOR}1.2"},
        {"Accept": f"{VENDOR}2.0"},
        {"OpenStack-API-Version": "artifact 2.0"},
        {"OpenStack-API-Version": "artifact 1.2"},
        {"Accept": f"{VENDOR}{'9' * 5000}.0"},  # well-formed, however long
        {"OpenStack-API-Version": f"artifact 1.{'1' * 5000}"},
    ],
)
def test_unsupported_version_is_406_with_range(user1, headers):
    body = assert_envelope(user1.get("/schemas", headers=headers), 406,
                           "InvalidGlobalAPIVersion")
    assert body["min_version"] == "1.0"
    assert body["max_version"] == "1.1"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", SAMPLE_URL, None, 200),
        ("GET", f"{SAMPLE_URL}/{{id}}", None, 200),
        ("POST", SAMPLE_URL, {"name": "versioned"}, 201),
        ("GET", f"/schemas/{SAMPLE}", None, 200),
        ("GET", "/artifacts/all", None, 200),
    ],
)
def test_version_headers_on_every_versioned_endpoint(user1, artifact, method, path, body, status):
    response = user1.request(method, path.format(id=artifact["id"]), json_body=body,
                             headers={"Accept": f"{VENDOR}1.1"})
    assert response.status_code == status
    assert response.headers["OpenStack-API-Version"] == "artifact 1.1"
    vary = [v.strip().lower() for v in response.headers.get("Vary", "").split(",")]
    assert "openstack-api-version" in vary


def test_patch_and_delete_echo_version(user1, artifact):
    url = f"{SAMPLE_URL}/{artifact['id']}"
    response = user1.patch(url, [{"op": "replace", "path": "/str1", "value": "v"}],
                           headers={"OpenStack-API-Version": "artifact 1.1"})
    assert response.status_code == 200
    assert response.headers["OpenStack-API-Version"] == "artifact 1.1"
    response = user1.delete(url)
    assert response.status_code == 204
    assert response.headers["OpenStack-API-Version"] == "artifact 1.0"


def test_every_endpoint_works_at_1_0_and_1_1(user1):
    """Q1 (compat): no endpoint is gated by microversion."""
    for version in ("1.0", "1.1"):
        headers = {"OpenStack-API-Version": f"artifact {version}"}
        created = user1.post(SAMPLE_URL, {"name": f"v{version}"}, headers=headers)
        assert created.status_code == 201
        url = f"{SAMPLE_URL}/{created.get_json()['id']}"
        assert user1.get(url, headers=headers).status_code == 200
        assert user1.patch(url, ACTIVATE, headers=headers).status_code == 200


# ---- the versions document (§4.1, §31 #1) --------------------------------------------------

VERSIONS_DOCUMENT = {
    "versions": [
        {"version": "1.0", "status": "STABLE",
         "media-type": "application/vnd.openstack.artifacts-1.0",
         "links": [{"rel": "describedby", "type": "text/html",
                    "href": "http://docs.openstack.org/"}]},
        {"version": "1.1", "status": "EXPERIMENTAL",
         "media-type": "application/vnd.openstack.artifacts-1.1",
         "links": [{"rel": "describedby", "type": "text/html",
                    "href": "http://docs.openstack.org/"}]},
    ]
}


@pytest.mark.parametrize("path", ["/", "/versions"])
def test_versions_document(glare_app, path):
    """No credentials needed; 300 Multiple Choices with the exact document."""
    response = glare_app.test_client().get(path)
    assert response.status_code == 300
    assert response.mimetype == "application/json"
    assert response.get_json() == VERSIONS_DOCUMENT


@pytest.mark.parametrize("path", ["/", "/versions"])
@pytest.mark.parametrize(
    "headers",
    [{"Accept": f"{VENDOR}INVALID"}, {"Accept": f"{VENDOR}10000.0"},
     {"OpenStack-API-Version": "artifact 9.9"}],
)
def test_versions_document_skips_version_processing(glare_app, path, headers):
    response = glare_app.test_client().get(path, headers=headers)
    assert response.status_code == 300
    assert response.get_json() == VERSIONS_DOCUMENT


# ---- request id (§2, §31 #4) ---------------------------------------------------------------


def test_request_id_header_has_req_prefix_once(user1, artifact):
    seen = set()
    for response in (
        user1.get(SAMPLE_URL),
        user1.get(f"{SAMPLE_URL}/{artifact['id']}"),
        user1.get("/schemas"),
        user1.post(SAMPLE_URL, {"name": "rid"}),
    ):
        assert response.status_code in (200, 201)
        request_id = response.headers["x-openstack-request-id"]
        assert re.fullmatch(f"req-{UUID_RE}", request_id), request_id
        assert request_id.count("req-") == 1
        seen.add(request_id)
    assert len(seen) == 4  # a new id per request


@pytest.mark.parametrize("sent", ["req-8d7a1f0e-2b4c-4e6a-9c3d-5f1e2a3b4c5d",
                                  "0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"])
def test_client_request_id_never_gets_a_doubled_prefix(user1, sent):
    response = user1.get(SAMPLE_URL, headers={"x-openstack-request-id": sent})
    assert response.status_code == 200
    request_id = response.headers["x-openstack-request-id"]
    assert request_id.startswith("req-")
    assert not request_id.startswith("req-req-")


@pytest.mark.parametrize("sent", [
    "req-98dc9df8-5b69-4e05-b9eb-9024faa50b2e project=pA forged",  # fields for the logs
    "anything",
    "req-" + "a" * 3000,
    "req-98dc9df8-5b69-4e05-b9eb-9024faa50b2",  # one digit short
])
def test_a_client_request_id_that_is_not_a_uuid_is_replaced(user1, sent, caplog):
    """The id goes into every log and notification line of the request: free text from
    the client could forge fields there, so only a (req-)uuid is kept."""
    response = user1.post(SAMPLE_URL, {"name": "rid-check"},
                          headers={"x-openstack-request-id": sent})
    assert response.status_code == 201
    request_id = response.headers["x-openstack-request-id"]
    assert re.fullmatch(f"req-{UUID_RE}", request_id), request_id
    assert "forged" not in caplog.text and "project=pA" not in caplog.text
    assert request_id in caplog.text  # the notification names the id that was answered


def test_a_client_request_id_that_is_a_uuid_is_kept(user1):
    sent = "0C9E8D7F-6A5B-4C3D-8E2F-1A0B9C8D7E6F"
    response = user1.get(SAMPLE_URL, headers={"x-openstack-request-id": sent})
    assert response.headers["x-openstack-request-id"] == f"req-{sent}"


# ---- health check (§2) ---------------------------------------------------------------------


def test_healthcheck_ok_without_credentials(glare_app):
    response = glare_app.test_client().get("/healthcheck")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "OK"


def test_healthcheck_ignores_version_headers(glare_app):
    response = glare_app.test_client().get(
        "/healthcheck", headers={"Accept": f"{VENDOR}INVALID"}
    )
    assert response.status_code == 200


class TestHealthcheckDisableFile:
    @pytest.fixture
    def disable_file(self, tmp_path):
        return tmp_path / "healthcheck-disabled"

    @pytest.fixture
    def glare_settings(self, disable_file):
        return {"GLARE_HEALTHCHECK_DISABLE_FILE": str(disable_file)}

    def test_file_absent_is_200(self, glare_app, disable_file):
        assert not disable_file.exists()
        response = glare_app.test_client().get("/healthcheck")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "OK"

    def test_file_present_is_503_and_back_to_200_when_removed(self, glare_app, disable_file):
        client = glare_app.test_client()
        disable_file.write_text("maintenance")
        assert client.get("/healthcheck").status_code == 503
        disable_file.unlink()
        assert client.get("/healthcheck").status_code == 200


@pytest.mark.parametrize("coding", ["gzip, chunked", "deflate,chunked", "x-custom, chunked"])
def test_a_transfer_coding_other_than_chunked_is_501(user1, coding):
    """RFC 9112 §6.1: the server does not decode it, so it must not store or parse the
    still-encoded body."""
    art = user1.create(SAMPLE, name="coded")
    response = user1.put(f"{SAMPLE_URL}/{art['id']}/blob", data=b"abc",
                         headers={"Transfer-Encoding": coding, "Content-Type": "text/plain"})
    assert_envelope(response, 501, "NotImplemented")
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    response = user1.post(SAMPLE_URL, data=b'{"name": "x"}',
                          headers={"Transfer-Encoding": coding,
                                   "Content-Type": "application/json"})
    assert_envelope(response, 501, "NotImplemented")
