"""Keystone authentication (contract §3.2 "keystone", §3.3): the app built with
``GLARE_AUTH_STRATEGY=keystone`` behind the real keystonemiddleware ``auth_token``, which
validates every ``X-Auth-Token`` against a fake Keystone v3 server (tests/support).

The trusted-auth token cases of §31 #4 are in test_auth_schemas.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import glare_sample_artifact
import pytest
from flask import g

from glare_core.app import create_app
from glare_core.errors import StartupError
from glare_core.testing import GlareClient
from tests.api.helpers import ACTIVATE, PUBLISH, assert_envelope, url
from tests.conftest import SAMPLE, SAMPLE_URL
from tests.support.fake_keystone import FakeKeystone
from tests.system.conftest import free_port

# Identity headers a client may try to forge; the middleware must drop them.
SPOOFED = {
    "X-Identity-Status": "Confirmed",
    "X-User-Id": "mallory",
    "X-Project-Id": "someone-else",
    "X-Tenant-Id": "someone-else",
    "X-Roles": "admin",
    "X-Role": "admin",
}
ANONYMOUS = {"GLARE_ALLOW_ANONYMOUS": True}


class TokenClient(GlareClient):
    """A test client sending ``X-Auth-Token`` (and any ``extra`` headers) instead of the
    noauth identity headers."""

    def __init__(self, client: Any, token: str | None = None,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(client)
        self.token = token
        self.extra = dict(extra or {})

    @property
    def headers(self) -> dict[str, str]:
        headers = dict(self.extra)
        if self.token is not None:
            headers["X-Auth-Token"] = self.token
        return headers


@pytest.fixture(scope="module")
def keystone():
    with FakeKeystone() as server:
        yield server


@pytest.fixture
def middleware_options(keystone: FakeKeystone) -> dict[str, Any]:
    """GLARE_KEYSTONE: the service user of the fake Keystone, no token cache."""
    return keystone.middleware_settings(token_cache_time=-1, http_request_max_retries=0)


@pytest.fixture
def extra_settings(middleware_options: dict[str, Any]) -> dict[str, Any]:
    return {"GLARE_AUTH_STRATEGY": "keystone", "GLARE_KEYSTONE": middleware_options}


@pytest.fixture
def contexts(glare_app: Any) -> list[Any]:
    """The RequestContext of every request the app answers (None when it had none)."""
    seen: list[Any] = []

    @glare_app.after_request
    def record(response: Any) -> Any:
        seen.append(g.get("context"))
        return response

    return seen


@pytest.fixture
def as_token(glare_app: Any) -> Callable[..., TokenClient]:
    def make(token: str | None, **extra: str) -> TokenClient:
        return TokenClient(glare_app.test_client(), token, extra)

    return make


@pytest.fixture
def alice(keystone, as_token) -> TokenClient:
    """Member of tenant-a."""
    return as_token(keystone.issue("alice", "tenant-a", ["member"]))


@pytest.fixture
def bob(keystone, as_token) -> TokenClient:
    """Member of tenant-b."""
    return as_token(keystone.issue("bob", "tenant-b", ["member"]))


@pytest.fixture
def root(keystone, as_token) -> TokenClient:
    """Admin, in admin-project."""
    return as_token(keystone.issue("root", "admin-project", ["admin"]))


def identity_catalog(keystone: FakeKeystone) -> list[dict[str, Any]]:
    """The catalog of the fake Keystone as keystonemiddleware puts it in X-Service-Catalog."""
    return [{"type": "identity", "name": "keystone", "endpoints": [
        {"region": "RegionOne", "publicURL": keystone.auth_url,
         "internalURL": keystone.auth_url, "adminURL": keystone.auth_url},
    ]}]


def assert_401(response: Any, keystone: FakeKeystone) -> None:
    """Glare's 401 envelope, with the middleware's pointer to Keystone."""
    assert_envelope(response, 401, "Unauthorized")
    assert response.headers.getlist("WWW-Authenticate") == [
        f'Keystone uri="{keystone.auth_url}"'
    ]


def statuses(keystone: FakeKeystone, token: str) -> list[int]:
    return [call.status for call in keystone.validations(token)]


# =============================================================================================
# valid tokens
# =============================================================================================


def test_member_token_builds_the_context(contexts, keystone, as_token):
    token = keystone.issue("alice", "tenant-a", ["member", "reader"])
    art = as_token(token).create(SAMPLE, name="ctx")
    assert art["owner"] == keystone.project_id("tenant-a")
    context = contexts[-1]
    assert context.user_id == keystone.user_id("alice")
    assert context.project_id == keystone.project_id("tenant-a")
    assert context.roles == ("member", "reader")
    assert context.auth_token == token
    assert context.is_admin is False
    assert context.read_only is False
    assert context.service_catalog == identity_catalog(keystone)
    assert statuses(keystone, token) == [200]


def test_validation_uses_the_service_users_token(keystone, alice):
    """The middleware logs in as the configured service user and validates with its token."""
    assert alice.get(SAMPLE_URL).status_code == 200
    [validation] = keystone.validations(alice.token)
    assert validation.status == 200
    assert validation.query == ""
    assert keystone.user_of(validation.caller) == FakeKeystone.SERVICE_USER
    logins = [call for call in keystone.calls
              if call.method == "POST" and call.path == "/v3/auth/tokens"]
    assert logins and all(call.status == 201 for call in logins)


def test_member_sees_own_project_only(alice, bob, keystone):
    mine = alice.create(SAMPLE, name="mine")
    assert [a["id"] for a in alice.list(SAMPLE)["artifacts"]] == [mine["id"]]
    assert bob.list(SAMPLE)["artifacts"] == []
    assert_envelope(bob.get(url(mine["id"])), 404)
    assert bob.create(SAMPLE, name="mine")["owner"] == keystone.project_id("tenant-b")


def test_member_token_is_not_admin(alice):
    art = alice.create(SAMPLE, name="a")
    alice.update(SAMPLE, art["id"], *ACTIVATE)
    assert_envelope(alice.patch(url(art["id"]), PUBLISH), 403)
    assert alice.show(SAMPLE, art["id"])["visibility"] == "private"


def test_admin_token_is_admin_and_can_publish(contexts, keystone, alice, bob, root):
    art = alice.create(SAMPLE, name="to-publish")
    assert alice.update(SAMPLE, art["id"], *ACTIVATE)["status"] == "active"
    assert root.show(SAMPLE, art["id"])["owner"] == keystone.project_id("tenant-a")
    published = root.update(SAMPLE, art["id"], *PUBLISH)
    assert published["visibility"] == "public"
    context = contexts[-1]
    assert context.is_admin is True
    assert context.project_id == keystone.project_id("admin-project")
    assert context.roles == ("admin",)
    assert [a["id"] for a in bob.list(SAMPLE)["artifacts"]] == [art["id"]]


@pytest.mark.parametrize(("roles", "status"), [(["Admin"], 200), (["member", "ADMIN"], 200),
                                               (["member"], 404)])
def test_admin_role_from_keystone_is_case_insensitive(keystone, as_token, alice, roles,
                                                      status):
    art = alice.create(SAMPLE, name="private")
    caller = as_token(keystone.issue("carol", "tenant-c", roles))
    assert caller.get(url(art["id"])).status_code == status


def test_reader_only_token_can_read_but_not_write(keystone, as_token, alice):
    reader = as_token(keystone.issue("rita", "tenant-a", ["reader"]))
    art = alice.create(SAMPLE, name="shared")
    assert [a["id"] for a in reader.list(SAMPLE)["artifacts"]] == [art["id"]]
    assert_envelope(reader.post(SAMPLE_URL, {"name": "nope"}), 403)
    assert_envelope(reader.patch(url(art["id"]), [{"op": "replace", "path": "/description",
                                                   "value": "x"}]), 403)


def test_token_with_surrounding_whitespace_is_accepted(keystone, as_token):
    token = keystone.issue("alice", "tenant-a", ["member"])
    response = as_token(f"  {token} ").post(SAMPLE_URL, {"name": "ws"})
    assert response.status_code == 201
    assert response.get_json()["owner"] == keystone.project_id("tenant-a")


# =============================================================================================
# missing and invalid tokens
# =============================================================================================


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", SAMPLE_URL, None), ("POST", SAMPLE_URL, {"name": "a"}),
     ("GET", "/schemas", None), ("GET", "/artifacts/all", None)],
)
def test_no_token_is_401(keystone, as_token, method, path, body):
    response = as_token(None).request(method, path, json_body=body)
    assert_401(response, keystone)


def test_unversioned_endpoints_need_no_token(as_token):
    assert as_token(None).get("/versions").status_code == 300
    assert as_token(None).get("/healthcheck").status_code == 200


@pytest.mark.parametrize(
    "token",
    ["garbage", "fk" + "0" * 40, "alice:tenant-a:admin", "user1:tenant1:role1,role2"],
    ids=["garbage", "unknown", "trusted-auth-admin", "trusted-auth"],
)
def test_invalid_token_is_401(keystone, as_token, alice, token):
    """Keystone refuses the token (404); trusted-auth style tokens mean nothing here."""
    art = alice.create(SAMPLE, name="kept")
    caller = as_token(token)
    assert_401(caller.get(SAMPLE_URL), keystone)
    assert_401(caller.post(SAMPLE_URL, {"name": "x"}), keystone)
    assert_401(caller.delete(url(art["id"])), keystone)
    assert statuses(keystone, token)[-3:] == [404, 404, 404]
    assert alice.show(SAMPLE, art["id"])["name"] == "kept"


def test_empty_token_is_401_without_asking_keystone(keystone, as_token):
    before = len(keystone.calls)
    assert_401(as_token("").get(SAMPLE_URL), keystone)
    assert [c for c in keystone.calls[before:] if c.path == "/v3/auth/tokens"
            and c.method == "GET"] == []


def test_expired_token_is_401(keystone, as_token):
    token = keystone.issue("alice", "tenant-a", ["member"], expires_in=-5)
    caller = as_token(token)
    assert_401(caller.get(SAMPLE_URL), keystone)
    assert_401(caller.post(SAMPLE_URL, {"name": "late"}), keystone)
    assert statuses(keystone, token) == [404, 404]
    assert keystone.validations(token)[0].query == ""  # allow_expired was not asked for


def test_token_that_expires_between_requests_is_401(keystone, as_token):
    token = keystone.issue("alice", "tenant-a", ["member"], expires_in=1.5)
    caller = as_token(token)
    assert caller.post(SAMPLE_URL, {"name": "in-time"}).status_code == 201
    time.sleep(1.6)
    assert_401(caller.get(SAMPLE_URL), keystone)
    assert statuses(keystone, token) == [200, 404]


def test_token_revoked_after_use_is_401(keystone, as_token):
    token = keystone.issue("alice", "tenant-a", ["member"])
    caller = as_token(token)
    created = caller.post(SAMPLE_URL, {"name": "before-revoke"})
    assert created.status_code == 201
    keystone.revoke(token)
    assert_401(caller.get(SAMPLE_URL), keystone)
    assert_401(caller.get(url(created.get_json()["id"])), keystone)
    # token_cache_time -1: Keystone is asked every time, nothing is served from a cache
    assert statuses(keystone, token) == [200, 404, 404]


# =============================================================================================
# forged identity headers
# =============================================================================================


def test_spoofed_headers_with_member_token_are_ignored(contexts, keystone, as_token, bob):
    theirs = bob.create(SAMPLE, name="theirs")
    forged = {**SPOOFED, "X-Project-Id": keystone.project_id("tenant-b"),
              "X-Tenant-Id": keystone.project_id("tenant-b")}
    caller = as_token(keystone.issue("alice", "tenant-a", ["member"]), **forged)
    art = caller.create(SAMPLE, name="mine")
    assert art["owner"] == keystone.project_id("tenant-a")
    context = contexts[-1]
    assert context.user_id == keystone.user_id("alice")
    assert context.project_id == keystone.project_id("tenant-a")
    assert context.roles == ("member",)
    assert context.is_admin is False
    # no admin powers and no access to the forged project
    caller.update(SAMPLE, art["id"], *ACTIVATE)
    assert_envelope(caller.patch(url(art["id"]), PUBLISH), 403)
    assert_envelope(caller.get(url(theirs["id"])), 404)
    assert [a["id"] for a in caller.list(SAMPLE)["artifacts"]] == [art["id"]]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", SAMPLE_URL, None), ("POST", SAMPLE_URL, {"name": "forged"}),
     ("GET", "/schemas", None)],
)
@pytest.mark.parametrize("token", [None, "garbage"], ids=["no-token", "garbage-token"])
def test_spoofed_headers_without_valid_token_are_401(keystone, as_token, alice, method, path,
                                                    body, token):
    caller = as_token(token, **SPOOFED)
    assert_401(caller.request(method, path, json_body=body), keystone)
    assert alice.list(SAMPLE)["artifacts"] == []


def test_spoofed_service_catalog_is_replaced(contexts, keystone, as_token):
    """The middleware drops a client's X-Service-Catalog (here not even JSON) and sets
    Keystone's; Glare parses it without trouble."""
    caller = as_token(keystone.issue("alice", "tenant-a", ["member"]),
                      **{"X-Service-Catalog": "not json"})
    assert caller.post(SAMPLE_URL, {"name": "cat"}).status_code == 201
    assert contexts[-1].service_catalog == identity_catalog(keystone)


class TestWithoutServiceCatalog:
    """``include_service_catalog = false``: no catalog is asked for nor passed on."""

    @pytest.fixture
    def middleware_options(self, keystone):
        return keystone.middleware_settings(token_cache_time=-1, include_service_catalog=False)

    def test_context_has_no_catalog(self, contexts, keystone, as_token):
        token = keystone.issue("alice", "tenant-a", ["member"])
        caller = as_token(token, **{"X-Service-Catalog": "not json"})
        art = caller.create(SAMPLE, name="no-catalog")
        assert art["owner"] == keystone.project_id("tenant-a")
        assert contexts[-1].service_catalog is None
        assert [c.query for c in keystone.validations(token)] == ["nocatalog"]


# =============================================================================================
# service tokens (keystonemiddleware's allow_expired)
# =============================================================================================


def test_expired_user_token_with_service_token_is_accepted(contexts, keystone, as_token):
    """A valid X-Service-Token holding the ``service`` role lets the middleware accept an
    expired user token (it validates with ``allow_expired=1``): the user stays the caller."""
    expired = keystone.issue("alice", "tenant-a", ["member"], expires_in=-60)
    service = keystone.issue("nova", "service", ["service"])
    caller = as_token(expired, **{"X-Service-Token": service})
    art = caller.create(SAMPLE, name="on-behalf")
    assert art["owner"] == keystone.project_id("tenant-a")
    assert contexts[-1].user_id == keystone.user_id("alice")
    assert contexts[-1].roles == ("member",)
    [validation] = keystone.validations(expired)
    assert (validation.status, validation.query) == (200, "allow_expired=1")


@pytest.mark.parametrize("service_roles", [["member"], ["admin"]])
def test_expired_user_token_with_non_service_token_is_401(keystone, as_token, service_roles):
    expired = keystone.issue("alice", "tenant-a", ["member"], expires_in=-60)
    other = keystone.issue("eve", "tenant-e", service_roles)
    caller = as_token(expired, **{"X-Service-Token": other})
    assert_401(caller.post(SAMPLE_URL, {"name": "on-behalf"}), keystone)
    assert statuses(keystone, expired) == [404]


# =============================================================================================
# anonymous access (§3.3)
# =============================================================================================


@pytest.mark.parametrize("glare_settings", [ANONYMOUS], indirect=True)
class TestAnonymous:
    @pytest.fixture
    def artifacts(self, alice, root) -> dict[str, dict]:
        public = alice.create(SAMPLE, name="public")
        alice.update(SAMPLE, public["id"], *ACTIVATE)
        root.update(SAMPLE, public["id"], *PUBLISH)
        private = alice.create(SAMPLE, name="private")
        return {"public": public, "private": private}

    @pytest.mark.parametrize("kind", ["none", "garbage", "expired", "revoked"])
    def test_without_valid_token_only_public_and_read_only(self, contexts, keystone,
                                                           as_token, artifacts, kind):
        token = {"none": None, "garbage": "garbage",
                 "expired": keystone.issue("alice", "tenant-a", ["member"], expires_in=-5),
                 "revoked": keystone.issue("alice", "tenant-a", ["member"])}[kind]
        if kind == "revoked":
            keystone.revoke(token)
        caller = as_token(token)
        listing = caller.list(SAMPLE)
        assert [a["id"] for a in listing["artifacts"]] == [artifacts["public"]["id"]]
        context = contexts[-1]
        assert (context.user_id, context.project_id, context.roles) == (None, None, ())
        assert (context.read_only, context.is_admin) == (True, False)
        assert caller.show(SAMPLE, artifacts["public"]["id"])["visibility"] == "public"
        assert_envelope(caller.get(url(artifacts["private"]["id"])), 404)
        assert_envelope(caller.post(SAMPLE_URL, {"name": "anon"}), 403)
        assert_envelope(caller.patch(url(artifacts["public"]["id"]),
                                     [{"op": "replace", "path": "/description",
                                       "value": "x"}]), 403)
        assert_envelope(caller.delete(url(artifacts["public"]["id"])), 403)

    def test_spoofed_headers_without_token_stay_anonymous(self, as_token, artifacts):
        caller = as_token(None, **{**SPOOFED, "X-Project-Id": artifacts["private"]["owner"]})
        listing = caller.list(SAMPLE)
        assert [a["id"] for a in listing["artifacts"]] == [artifacts["public"]["id"]]
        assert_envelope(caller.post(SAMPLE_URL, {"name": "anon"}), 403)

    def test_valid_token_still_authenticates(self, alice, artifacts):
        names = sorted(a["name"] for a in alice.list(SAMPLE)["artifacts"])
        assert names == ["private", "public"]
        assert alice.create(SAMPLE, name="more")["visibility"] == "private"


# =============================================================================================
# Keystone unreachable, configuration
# =============================================================================================


class TestKeystoneDown:
    """Nothing listens at auth_url: the token cannot be validated → 401, not 500."""

    @pytest.fixture
    def middleware_options(self, keystone):
        dead = f"http://127.0.0.1:{free_port()}/v3"
        return keystone.middleware_settings(auth_url=dead, www_authenticate_uri=dead,
                                            token_cache_time=-1, http_request_max_retries=0,
                                            http_connect_timeout=2)

    def test_token_is_401(self, keystone, as_token, middleware_options):
        caller = as_token(keystone.issue("alice", "tenant-a", ["member"]))
        response = caller.get(SAMPLE_URL)
        assert_envelope(response, 401, "Unauthorized")
        assert response.headers["WWW-Authenticate"] == (
            f'Keystone uri="{middleware_options["www_authenticate_uri"]}"'
        )


def test_keystone_without_auth_url_does_not_start(glare_config):
    config = {**glare_config, "GLARE_KEYSTONE": {"username": "glare", "password": "x"}}
    with pytest.raises(StartupError, match="auth_url"):
        create_app(config, plugins=[glare_sample_artifact], autoload=False)


class TestNullOptions:
    """GLARE_KEYSTONE often comes from JSON (the environment): a ``null`` option means
    "not set", as if it were absent; it must not become the text "None" (here it would be
    the region keystonemiddleware looks for in the catalog)."""

    @pytest.fixture
    def middleware_options(self, keystone):
        return keystone.middleware_settings(token_cache_time=-1, region_name=None)

    def test_null_option_is_unset(self, keystone, as_token):
        caller = as_token(keystone.issue("alice", "tenant-a", ["member"]))
        response = caller.post(SAMPLE_URL, {"name": "null-options"})
        assert response.status_code == 201
        assert response.get_json()["owner"] == keystone.project_id("tenant-a")
