"""Connections to Swift for the ``swift`` store: authentication and a shared pool.

Authentication: tempauth/v1 (``auth_url``, ``user``, ``key``) or Keystone v3 (add
``auth_version = "3"``, ``project_name``, ``user_domain_name``, ``project_domain_name``),
through a keystoneauth session. With Keystone, the storage URL is ``object_storage_url``
when set (Keystone then only issues the token; its catalog need not list Swift), else the
catalog's object-store endpoint. A connection renews its token shortly before it expires:
swiftclient renews one only once Swift has refused it, and cannot then send a streamed
upload's body a second time, so the upload would fail.

This module imports python-swiftclient, an optional dependency: only a configured Swift
store imports it (see ``glare_core.blobs.swift``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import requests.adapters
from keystoneauth1 import exceptions as keystone_errors
from keystoneauth1 import loading as keystone_loading
from keystoneauth1 import session as keystone_session
from swiftclient import client as swift
from swiftclient.exceptions import ClientException

from glare_core.blobs.base import CHUNK_SIZE
from glare_core.errors import StartupError

__all__ = ["NETWORK_ERRORS", "ClientException", "ConnectionPool", "keystone_session_for",
           "new_connection"]

# A token this close to its end is renewed before a request (keystoneauth renews its own
# two minutes ahead).
TOKEN_RENEW_MARGIN = 120.0
#: What a failing Swift (or Keystone, or the network to them) raises.
NETWORK_ERRORS = (ClientException, requests.RequestException, OSError,
                  keystone_errors.ClientException)
# Keystone v3 settings handed to the keystoneauth plugin when it has an option of the name.
_KEYSTONE_OPTIONS = ("project_name", "project_id", "user_id", "user_domain_name",
                     "user_domain_id", "project_domain_name", "project_domain_id",
                     "application_credential_id", "application_credential_name",
                     "application_credential_secret", "system_scope")


class _LargeBlockAdapter(requests.adapters.HTTPAdapter):
    """Sends request bodies in CHUNK_SIZE blocks instead of urllib3's 16 KiB.

    A 16 KiB block costs a Python read and a ``send`` system call each: 64 of them per
    MiB uploaded, about 0.4 CPU s per GiB in the worker on the reference machine.
    """

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: Any) -> None:
        pool_kwargs["blocksize"] = CHUNK_SIZE
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


class _Connection(swift.Connection):
    """A swiftclient connection whose HTTP session uses ``_LargeBlockAdapter`` and which
    knows when its token expires (tempauth says so at login; a keystoneauth session
    tracks its own)."""

    token_expires: float | None = None  # time.monotonic() at which the token ends

    def get_auth(self) -> tuple[str, str]:
        if self.session is None:  # tempauth (v1): Keystone v3 always has a session
            self.url, self.token, lifetime = _tempauth_login(
                self.authurl, self.user, self.key, insecure=self.insecure,
                timeout=self.timeout)
            self.token_expires = None if lifetime is None else time.monotonic() + lifetime
            return self.url, self.token
        storage_url = self.os_options.get("object_storage_url")
        if storage_url:
            # Only the token comes from Keystone: swiftclient would look the endpoint up
            # in the catalog first, and fail when the catalog has no object store.
            self.url, self.token = storage_url, self.session.get_token()
            return self.url, self.token
        return super().get_auth()

    def renew_expiring_token(self) -> None:
        """Before a request: a token about to expire is renewed now, not after Swift has
        refused it (when a streamed upload's body cannot be sent again)."""
        if not self.token:
            return  # the next request logs in anyway
        if self.session is not None:
            self.token = self.session.get_token()  # the same one until it nears its end
        elif (self.token_expires is not None
              and self.token_expires - time.monotonic() < TOKEN_RENEW_MARGIN):
            self.url = self.token = None

    def http_connection(self, url: str | None = None) -> tuple[Any, Any]:
        parsed, conn = super().http_connection(url)
        adapter = _LargeBlockAdapter()
        conn.request_session.mount("http://", adapter)
        conn.request_session.mount("https://", adapter)
        return parsed, conn


def new_connection(settings: Mapping[str, Any], auth_version: str,
                   keystone: keystone_session.Session | None) -> swift.Connection:
    """A connection as the store's settings describe it (Keystone v3 when ``keystone``)."""
    s = settings
    common = {"insecure": bool(s.get("insecure", False)),
              "timeout": float(s.get("timeout", 60)), "retries": int(s.get("retries", 2))}
    if keystone is not None:
        # The object-store endpoint: object_storage_url, else the catalog's.
        os_options = {key: s[key] for key in ("region_name", "endpoint_type",
                                               "object_storage_url") if s.get(key)}
        return _Connection(session=keystone, authurl=s["auth_url"],
                           auth_version=auth_version, os_options=os_options, **common)
    return _Connection(authurl=s["auth_url"], user=s.get("user"), key=s.get("key"),
                       auth_version=auth_version, **common)


def keystone_session_for(settings: Mapping[str, Any]) -> keystone_session.Session:
    """A keystoneauth session for Keystone v3 (``auth_type`` picks the plugin:
    ``password`` by default, or e.g. ``v3applicationcredential``)."""
    s = settings
    values = {"auth_url": s["auth_url"], "username": s.get("user"),
              "password": s.get("key"), **{key: s.get(key) for key in _KEYSTONE_OPTIONS}}
    try:
        loader = keystone_loading.get_plugin_loader(s.get("auth_type") or "password")
        accepted = {option.dest for option in loader.get_options()}
        auth = loader.load_from_options(
            **{key: value for key, value in values.items() if value and key in accepted})
    except keystone_errors.ClientException as exc:
        raise StartupError(f"The swift store's Keystone settings: {exc}") from None
    return keystone_session.Session(auth=auth, verify=not s.get("insecure", False),
                                    timeout=float(s.get("timeout", 60)))


class ConnectionPool:
    """swiftclient connections shared by every thread, each used by one thread at a time.

    A connection keeps its token, so reusing one spares an authentication (a Keystone
    token request) per operation: uploads are written from a new thread each time, where
    a per-thread connection would authenticate again. A connection whose request failed
    midway has its HTTP connection closed before it goes back; its token stays.
    """

    def __init__(self, factory: Callable[[], _Connection], max_idle: int = 16) -> None:
        self._factory = factory
        self._max_idle = max_idle
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()

    def take(self) -> _Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            return self._factory()
        try:
            conn.renew_expiring_token()
        except BaseException:
            self.give_back(conn)
            raise
        return conn

    def give_back(self, conn: _Connection, *, failed: BaseException | None = None) -> None:
        # An HTTP error status was read in full; anything else may leave a request open.
        if failed is not None and not (
            isinstance(failed, ClientException) and failed.http_status
        ):
            conn.close()
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    @contextlib.contextmanager
    def borrowed(self) -> Iterator[_Connection]:
        conn = self.take()
        try:
            yield conn
        except BaseException as exc:
            self.give_back(conn, failed=exc)
            raise
        self.give_back(conn)


def _tempauth_login(url: str, user: str, key: str, *, insecure: bool,
                    timeout: float | None) -> tuple[str, str, float | None]:
    """A v1 (tempauth) login: the storage URL, the token and the seconds it has left
    (``X-Auth-Token-Expires``; None when the server does not say). Failures are
    swiftclient's ClientException, as from its own v1 login."""
    response = requests.get(url, headers={"X-Auth-User": user, "X-Auth-Key": key},
                            verify=not insecure, timeout=timeout)
    storage_url = response.headers.get("X-Storage-Url")
    token = response.headers.get("X-Storage-Token") or response.headers.get("X-Auth-Token")
    if not response.ok or not storage_url or not token:
        raise ClientException("Auth GET failed", http_status=response.status_code,
                              http_reason=response.reason, http_url=url)
    try:
        lifetime: float | None = float(response.headers["X-Auth-Token-Expires"])
    except (KeyError, ValueError):
        lifetime = None
    return storage_url, token, lifetime
