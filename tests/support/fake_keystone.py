"""A small Keystone-v3-compatible identity server for tests.

It speaks just enough of the Identity API v3 for keystoneauth1 (password authentication and
version discovery) and keystonemiddleware's ``auth_token`` (token validation):

* ``GET /`` → 300 with the list of versions; ``GET /v3`` → 200 with the v3 version document;
* ``POST /v3/auth/tokens`` → 201, ``X-Subject-Token`` header and a ``{"token": ...}`` body
  (``password`` and ``token`` methods; project scope by id or by name and domain);
* ``GET``/``HEAD /v3/auth/tokens`` → validate ``X-Subject-Token`` on behalf of the caller's
  ``X-Auth-Token`` (admin or service role, or the token itself): 200, or 404 for an unknown,
  revoked or expired token. ``?allow_expired=1`` returns a token that expired less than
  ``allow_expired_window`` seconds ago, ``?nocatalog`` leaves the catalog out;
* ``DELETE /v3/auth/tokens`` → 204, revokes ``X-Subject-Token``.

Tokens are made for tests with :meth:`FakeKeystone.issue` and withdrawn with
:meth:`FakeKeystone.revoke`. Ids are derived from names and token values from a counter, so a
run is reproducible. Every request is recorded in :attr:`FakeKeystone.calls` (with the status
it got), so tests can tell whether the middleware really asked.

Usage::

    with FakeKeystone() as keystone:
        token = keystone.issue("alice", "tenant-a", ["member"])
        settings = keystone.middleware_settings(token_cache_time=-1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DEFAULT_DOMAIN = {"id": "default", "name": "Default"}
REGION = "RegionOne"
ADMIN_ROLES = frozenset({"admin", "service"})
V3_MEDIA_TYPE = "application/vnd.openstack.identity-v3+json"
_ID_NAMESPACE = uuid.UUID("5d3c1f0e-8f7a-4f55-9b0e-6b1d2c3a4f50")


def _stable_id(kind: str, name: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, f"{kind}:{name}").hex


def isotime(moment: dt.datetime) -> str:
    """Keystone's timestamp format: ISO-8601, UTC, microseconds, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Call:
    """One request the server answered."""

    method: str
    path: str
    query: str
    subject: str | None  # X-Subject-Token
    caller: str | None  # X-Auth-Token
    status: int


@dataclass
class _User:
    name: str
    password: str
    grants: dict[str, tuple[str, ...]] = field(default_factory=dict)  # project name → roles

    @property
    def id(self) -> str:
        return _stable_id("user", self.name)


@dataclass
class _Token:
    value: str
    user: str
    project: str | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    issued_at: dt.datetime
    expires_at: dt.datetime
    audit_id: str
    revoked: bool = False


class _Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass

    def log_error(self, *args: Any) -> None:
        pass


class FakeKeystone:
    """An in-memory Keystone v3 on ``127.0.0.1``, served from a background thread."""

    SERVICE_USER = "glare"
    SERVICE_PASSWORD = "glare-service-secret"
    SERVICE_PROJECT = "service"
    SERVICE_ROLES = ("service", "admin")

    def __init__(
        self,
        *,
        allow_expired_window: float = 48 * 3600,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.allow_expired_window = allow_expired_window
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        self._users: dict[str, _User] = {}
        self._tokens: dict[str, _Token] = {}
        self._services: list[tuple[str, str, str]] = []  # (type, name, URL template)
        self._serial = itertools.count(1)
        self.calls: list[Call] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.add_user(self.SERVICE_USER, self.SERVICE_PASSWORD, self.SERVICE_PROJECT,
                      self.SERVICE_ROLES)

    # ---- life cycle ---------------------------------------------------------------------

    def start(self) -> FakeKeystone:
        self._server = make_server("127.0.0.1", 0, self.wsgi_app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="fake-keystone", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> FakeKeystone:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The unversioned endpoint, e.g. ``http://127.0.0.1:40123``."""
        if self._server is None:
            raise RuntimeError("FakeKeystone is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/v3"

    def middleware_settings(self, **extra: Any) -> dict[str, Any]:
        """keystonemiddleware ``[keystone_authtoken]`` options for the service user."""
        return {
            "auth_url": self.auth_url,
            "auth_type": "password",
            "username": self.SERVICE_USER,
            "password": self.SERVICE_PASSWORD,
            "project_name": self.SERVICE_PROJECT,
            "user_domain_name": DEFAULT_DOMAIN["name"],
            "project_domain_name": DEFAULT_DOMAIN["name"],
            "www_authenticate_uri": self.auth_url,
            **extra,
        }

    # ---- helpers for tests --------------------------------------------------------------

    @staticmethod
    def user_id(name: str) -> str:
        return _stable_id("user", name)

    @staticmethod
    def project_id(name: str) -> str:
        return _stable_id("project", name)

    def add_user(self, name: str, password: str, project: str | None = None,
                 roles: Iterable[str] = ()) -> None:
        """Create (or update) a user and grant it ``roles`` on ``project``."""
        with self._lock:
            user = self._users.setdefault(name, _User(name, password))
            user.password = password
            if project is not None:
                user.grants[project] = tuple(roles)

    def add_service(self, service_type: str, name: str, url: str) -> None:
        """List a service in the token catalogs (every interface, region ``REGION``);
        ``%(project_id)s`` in ``url`` becomes the token's project id, as in Keystone."""
        with self._lock:
            self._services.append((service_type, name, url))

    def issue(self, user: str, project: str | None, roles: Iterable[str] = ("member",),
              expires_in: float = 3600) -> str:
        """A token of ``user`` scoped to ``project`` with ``roles``; ``expires_in`` seconds
        from now (negative: already expired). Unknown users are created without password."""
        with self._lock:
            self._users.setdefault(user, _User(user, ""))
            return self._new_token(user, project, tuple(roles), ("password",),
                                   expires_in=expires_in).value

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens[token].revoked = True

    def user_of(self, token: str | None) -> str | None:
        """The name of the user a token (live or not) was issued to."""
        with self._lock:
            found = self._tokens.get(token or "")
            return found.user if found is not None else None

    def validations(self, token: str) -> list[Call]:
        """The validation requests (GET or HEAD /v3/auth/tokens) made for ``token``."""
        with self._lock:
            return [call for call in self.calls
                    if call.method in ("GET", "HEAD") and call.path == "/v3/auth/tokens"
                    and call.subject == token]

    # ---- tokens -------------------------------------------------------------------------

    def _new_token(self, user: str, project: str | None, roles: tuple[str, ...],
                   methods: tuple[str, ...], *, expires_in: float | None = None,
                   expires_at: dt.datetime | None = None) -> _Token:
        serial = next(self._serial)
        value = "fk" + hashlib.sha256(f"fake-keystone-token:{serial}".encode()).hexdigest()[:40]
        now = self._clock()
        if expires_at is None:
            expires_at = now + dt.timedelta(seconds=expires_in or 0)
        token = _Token(value=value, user=user, project=project, roles=roles, methods=methods,
                       issued_at=now, expires_at=expires_at,
                       audit_id=hashlib.sha256(f"audit:{serial}".encode()).hexdigest()[:22])
        self._tokens[value] = token
        return token

    def _live(self, value: str | None, *, allow_expired: bool = False) -> _Token | None:
        token = self._tokens.get(value or "")
        if token is None or token.revoked:
            return None
        now = self._clock()
        if token.expires_at <= now:
            window = dt.timedelta(seconds=self.allow_expired_window)
            if not allow_expired or token.expires_at + window <= now:
                return None
        return token

    def _token_body(self, token: _Token, *, catalog: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "methods": list(token.methods),
            "user": {"id": self.user_id(token.user), "name": token.user,
                     "domain": dict(DEFAULT_DOMAIN), "password_expires_at": None},
            "audit_ids": [token.audit_id],
            "issued_at": isotime(token.issued_at),
            "expires_at": isotime(token.expires_at),
        }
        if token.project is not None:
            body["project"] = {"id": self.project_id(token.project), "name": token.project,
                               "domain": dict(DEFAULT_DOMAIN)}
            body["is_domain"] = False
            body["roles"] = [{"id": _stable_id("role", role), "name": role}
                             for role in token.roles]
            if catalog:
                body["catalog"] = self._catalog(self.project_id(token.project))
        return {"token": body}

    def _catalog(self, project_id: str) -> list[dict[str, Any]]:
        services = [("identity", "keystone", self.auth_url), *self._services]
        return [
            {"id": _stable_id("service", name), "type": service_type, "name": name,
             "endpoints": [
                 {"id": _stable_id("endpoint", f"{name}-{interface}"), "interface": interface,
                  "region": REGION, "region_id": REGION,
                  "url": url.replace("%(project_id)s", project_id)}
                 for interface in ("public", "internal", "admin")
             ]}
            for service_type, name, url in services
        ]

    # ---- HTTP ---------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path.rstrip("/") or "/"
        try:
            response = self._dispatch(request, path)
        except _Problem as problem:
            response = self._error(problem.status, problem.message)
        call = Call(request.method, path, request.query_string.decode(),
                    request.headers.get("X-Subject-Token"), request.headers.get("X-Auth-Token"),
                    response.status_code)
        with self._lock:
            self.calls.append(call)
        return response(environ, start_response)

    def _dispatch(self, request: Request, path: str) -> Response:
        if path == "/" and request.method in ("GET", "HEAD"):
            return self._json({"versions": {"values": [self._version()]}}, 300)
        if path == "/v3" and request.method in ("GET", "HEAD"):
            return self._json({"version": self._version()}, 200)
        if path == "/v3/auth/tokens":
            handler = {"POST": self._authenticate, "GET": self._validate,
                       "HEAD": self._validate, "DELETE": self._revoke}.get(request.method)
            if handler is None:
                raise _Problem(405, f"Method {request.method} is not allowed")
            return handler(request)
        raise _Problem(404, f"Could not find {path}")

    def _version(self) -> dict[str, Any]:
        return {
            "id": "v3.14",
            "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{self.auth_url}/"}],
            "media-types": [{"base": "application/json", "type": V3_MEDIA_TYPE}],
        }

    def _authenticate(self, request: Request) -> Response:
        try:
            auth = json.loads(request.get_data(as_text=True))["auth"]
            methods = tuple(auth["identity"]["methods"])
        except (ValueError, KeyError, TypeError):
            raise _Problem(400, "Expecting {'auth': {'identity': {'methods': [...]}}}") from None
        with self._lock:
            if methods == ("password",):
                user, inherited = self._password_user(auth["identity"]["password"]), None
            elif methods == ("token",):
                inherited = self._live(auth["identity"]["token"].get("id"))
                if inherited is None:
                    raise _Problem(401, "The token is not valid")
                user = self._users[inherited.user]
            else:
                raise _Problem(401, f"Unsupported authentication methods {list(methods)}")
            project = self._scope_project(auth.get("scope"))
            if project is None:
                roles: tuple[str, ...] = ()
            elif project in user.grants:
                roles = user.grants[project]
            elif inherited is not None and inherited.project == project:
                roles = inherited.roles
            else:
                raise _Problem(401, f"User {user.name} has no access to project {project}")
            token = self._new_token(
                user.name, project, roles, methods,
                expires_in=3600,
                expires_at=inherited.expires_at if inherited is not None else None,
            )
            body = self._token_body(token, catalog="nocatalog" not in request.args)
        response = self._json(body, 201)
        response.headers["X-Subject-Token"] = token.value
        return response

    def _password_user(self, password: Any) -> _User:
        try:
            given = password["user"]
            secret = given["password"]
        except (KeyError, TypeError):
            raise _Problem(400, "Expecting password.user.password") from None
        domain = given.get("domain") or {}
        if domain and domain.get("id", "default") != "default" and \
                domain.get("name", "Default") != "Default":
            raise _Problem(401, "Unknown domain")
        if "id" in given:
            user = next((u for u in self._users.values() if u.id == given["id"]), None)
        else:
            user = self._users.get(given.get("name", ""))
        if user is None or not user.password or user.password != secret:
            raise _Problem(401, "The request you have made requires authentication.")
        return user

    def _scope_project(self, scope: Any) -> str | None:
        if not scope:
            return None
        project = scope.get("project") if isinstance(scope, dict) else None
        if not isinstance(project, dict):
            raise _Problem(400, "Only project scope is supported")
        if "name" in project:
            return project["name"]
        names = {self.project_id(name): name for user in self._users.values()
                 for name in user.grants}
        if project.get("id") not in names:
            raise _Problem(401, f"Could not find project {project.get('id')}")
        return names[project["id"]]

    def _caller(self, request: Request) -> _Token:
        caller = self._live(request.headers.get("X-Auth-Token"))
        if caller is None:
            raise _Problem(401, "The request you have made requires authentication.")
        return caller

    def _subject(self, request: Request, caller: _Token, *, allow_expired: bool) -> _Token:
        value = request.headers.get("X-Subject-Token")
        if not value:
            raise _Problem(400, "X-Subject-Token is required")
        if not (ADMIN_ROLES & set(caller.roles)) and value != caller.value:
            raise _Problem(403, "You are not authorized to perform the requested action")
        subject = self._live(value, allow_expired=allow_expired)
        if subject is None:
            raise _Problem(404, f"Could not find token: {value}")
        return subject

    def _validate(self, request: Request) -> Response:
        allow_expired = request.args.get("allow_expired", "").lower() in ("1", "true")
        with self._lock:
            caller = self._caller(request)
            subject = self._subject(request, caller, allow_expired=allow_expired)
            body = self._token_body(subject, catalog="nocatalog" not in request.args)
        response = self._json(body, 200)
        response.headers["X-Subject-Token"] = subject.value
        return response  # werkzeug sends no body for HEAD

    def _revoke(self, request: Request) -> Response:
        with self._lock:
            caller = self._caller(request)
            self._subject(request, caller, allow_expired=False).revoked = True
        return Response(status=204)

    @staticmethod
    def _json(body: Any, status: int) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    @staticmethod
    def _error(status: int, message: str) -> Response:
        title = HTTPStatus(status).phrase
        body = {"error": {"code": status, "title": title, "message": message}}
        return FakeKeystone._json(body, status)
