"""A real OpenStack Keystone (identity v3) on 127.0.0.1, started with the project's
tools/keystone-dev scripts, and the admin calls tests need to set up users, projects,
role assignments and catalog entries in it.

The helpers mirror those of tests/support/fake_keystone.py (``add_user``, ``issue``,
``revoke``, ``project_id``, ``middleware_settings``), so a test reads the same against
either; the fake stays for unit tests that count or script Keystone's answers.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import requests

KEYSTONE_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "keystone-dev"
DEFAULT_DOMAIN = {"id": "default"}


class KeystoneUnavailable(RuntimeError):
    """start-keystone failed; the message is its last line, which says why."""


class KeystoneServer:
    """A Keystone process started from ``data_dir``; ``start()`` raises
    KeystoneUnavailable when it cannot come up."""

    SERVICE_USER = "glare-service"
    SERVICE_PASSWORD = "glare-service-secret"
    SERVICE_PROJECT = "service"

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra_env = dict(extra_env or {})  # start-keystone's KEYSTONE_* knobs
        self.env: dict[str, str] = {}
        self._http = requests.Session()
        self._admin_token: str | None = None

    # ---- process -----------------------------------------------------------------------

    def start(self) -> KeystoneServer:
        try:
            result = subprocess.run([str(KEYSTONE_TOOLS / "start-keystone"), str(self.data_dir)],
                                    capture_output=True, text=True, timeout=900,
                                    env={**os.environ, **self.extra_env})
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise KeystoneUnavailable(repr(exc)) from exc
        if result.returncode != 0:
            from tests.conftest import failure_reason

            raise KeystoneUnavailable(failure_reason(result.stderr))
        self.env = dict(line[len("export "):].split("=", 1)
                        for line in result.stdout.splitlines() if line.startswith("export "))
        # the service user keystonemiddleware (in Swift and in glare-api) validates tokens as
        self.add_user(self.SERVICE_USER, self.SERVICE_PASSWORD, self.SERVICE_PROJECT,
                      roles=("service",))
        return self

    def stop(self) -> None:
        subprocess.run([str(KEYSTONE_TOOLS / "stop-keystone"), str(self.data_dir)],
                       capture_output=True, timeout=60)

    @property
    def auth_url(self) -> str:
        return self.env["OS_AUTH_URL"]

    def swift_credentials(self, user: str, password: str, project: str,
                          **extra: Any) -> dict[str, Any]:
        """``GLARE_SWIFT`` settings that log in to this Keystone (v3, password) as
        ``user`` of ``project`` in the default domain; ``extra``: more store settings."""
        return {"auth_url": self.auth_url, "auth_version": "3", "user": user,
                "key": password, "project_name": project, "user_domain_name": "Default",
                "project_domain_name": "Default", **extra}

    def middleware_settings(self, **extra: Any) -> dict[str, Any]:
        """keystonemiddleware ``[keystone_authtoken]`` options for the service user."""
        return {
            "auth_url": self.auth_url, "auth_type": "password",
            "username": self.SERVICE_USER, "password": self.SERVICE_PASSWORD,
            "project_name": self.SERVICE_PROJECT, "user_domain_name": "Default",
            "project_domain_name": "Default", "www_authenticate_uri": self.auth_url, **extra,
        }

    def swift_env(self) -> dict[str, str]:
        """start-swift's environment for a proxy that accepts this Keystone's tokens."""
        return {"SWIFT_KEYSTONE_URL": self.auth_url, "SWIFT_KEYSTONE_USER": self.SERVICE_USER,
                "SWIFT_KEYSTONE_PASSWORD": self.SERVICE_PASSWORD,
                "SWIFT_KEYSTONE_PROJECT": self.SERVICE_PROJECT}

    def add_swift(self, port: int) -> None:
        """Catalog Swift's proxy on ``port`` as the object store (accounts KEY_<project>)."""
        self.add_service("object-store", "swift",
                         f"http://127.0.0.1:{port}/v1/KEY_$(project_id)s")

    # ---- tokens ------------------------------------------------------------------------

    def issue(self, user: str, project: str | None, roles: tuple[str, ...] | list[str] = (
              "member",), password: str | None = None) -> str:
        """A project-scoped token for ``user`` (created with ``roles`` in ``project`` when
        missing; its password is derived from its name unless given)."""
        password = password or f"{user}-password"
        self.add_user(user, password, project, roles=tuple(roles))
        return self.token(user, password, project)

    def token(self, user: str, password: str, project: str | None) -> str:
        auth: dict[str, Any] = {"identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": DEFAULT_DOMAIN, "password": password}}}}
        if project:
            auth["scope"] = {"project": {"name": project, "domain": DEFAULT_DOMAIN}}
        response = self._http.post(f"{self.auth_url}/auth/tokens", json={"auth": auth},
                                   timeout=30)
        response.raise_for_status()
        return response.headers["X-Subject-Token"]

    def revoke(self, token: str) -> None:
        self._admin("DELETE", "/auth/tokens", headers={"X-Subject-Token": token})

    def is_valid(self, token: str) -> bool:
        """Keystone's own answer for ``token`` (validated with the admin's token)."""
        return self._admin_request("GET", "/auth/tokens",
                                   headers={"X-Subject-Token": token}).status_code == 200

    def admin_token(self) -> str:
        if self._admin_token is None:
            self._admin_token = self.token(self.env["OS_USERNAME"], self.env["OS_PASSWORD"],
                                           self.env["OS_PROJECT_NAME"])
        return self._admin_token

    # ---- identities and catalog (created on demand, by name) ----------------------------

    def project_id(self, name: str) -> str:
        found = self._admin("GET", f"/projects?name={name}")["projects"]
        if found:
            return found[0]["id"]
        return self._admin("POST", "/projects", json={"project": {
            "name": name, "domain_id": "default"}})["project"]["id"]

    def user_id(self, name: str, password: str | None = None) -> str:
        found = self._admin("GET", f"/users?name={name}")["users"]
        if found:
            user_id = found[0]["id"]
            if password:
                self._admin("PATCH", f"/users/{user_id}",
                            json={"user": {"password": password}})
            return user_id
        return self._admin("POST", "/users", json={"user": {
            "name": name, "domain_id": "default",
            "password": password or uuid.uuid4().hex}})["user"]["id"]

    def role_id(self, name: str) -> str:
        found = self._admin("GET", f"/roles?name={name}")["roles"]
        if found:
            return found[0]["id"]
        return self._admin("POST", "/roles", json={"role": {"name": name}})["role"]["id"]

    def add_user(self, name: str, password: str, project: str | None = None,
                 roles: tuple[str, ...] = ("member",)) -> str:
        """Create (or update the password of) ``name`` and grant it ``roles`` in
        ``project``; returns the user's id."""
        user_id = self.user_id(name, password)
        if project:
            project_id = self.project_id(project)
            for role in roles:
                self._admin("PUT",
                            f"/projects/{project_id}/users/{user_id}/roles/{self.role_id(role)}")
        return user_id

    def add_service(self, service_type: str, name: str, url: str) -> None:
        """A catalog entry: the service and its public and internal endpoints (an existing
        service of that type is re-pointed at ``url``)."""
        services = self._admin("GET", f"/services?type={service_type}")["services"]
        if services:
            service_id = services[0]["id"]
        else:
            service_id = self._admin("POST", "/services", json={"service": {
                "type": service_type, "name": name}})["service"]["id"]
        endpoints = self._admin("GET", f"/endpoints?service_id={service_id}")["endpoints"]
        for interface in ("public", "internal"):
            existing = [e for e in endpoints if e["interface"] == interface]
            if existing:
                self._admin("PATCH", f"/endpoints/{existing[0]['id']}",
                            json={"endpoint": {"url": url}})
            else:
                self._admin("POST", "/endpoints", json={"endpoint": {
                    "service_id": service_id, "interface": interface, "url": url,
                    "region_id": "RegionOne"}})

    def _admin_request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request with the admin's token, logging in again once if it has expired."""
        extra = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {"X-Auth-Token": self.admin_token(), **extra}
            response = self._http.request(method, f"{self.auth_url}{path}", headers=headers,
                                          timeout=30, **kwargs)
            if response.status_code != 401 or attempt:
                break
            self._admin_token = None  # expired (a Keystone with short-lived tokens)
        return response

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._admin_request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"Keystone {method} {path}: {response.status_code} "
                                 f"{response.text[:500]}")
        return response.json() if response.content else None
