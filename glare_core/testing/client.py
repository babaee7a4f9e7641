"""The API client of the test fixtures: Flask's test client, with a caller's identity."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

JSON_PATCH = "application/json-patch+json"


class GlareClient:
    """A Flask test client that sends the noauth identity headers of one caller."""

    def __init__(
        self,
        client: Any,
        *,
        project: str | None = "p1",
        user: str | None = "u1",
        roles: Iterable[str] = ("member",),
    ) -> None:
        self.client = client
        self.project = project
        self.user = user
        self.roles = tuple(roles)

    def as_user(
        self, project: str | None, roles: Iterable[str] = ("member",), user: str | None = None
    ) -> GlareClient:
        """The same app, seen by another caller (``project=None``: anonymous)."""
        return GlareClient(self.client, project=project, user=user or f"user-{project}",
                           roles=roles)

    def as_admin(self, project: str = "admin-project") -> GlareClient:
        return self.as_user(project, roles=("admin",), user="admin")

    @property
    def headers(self) -> dict[str, str]:
        if self.project is None:
            return {}
        return {
            "X-Identity-Status": "Confirmed",
            "X-Project-Id": self.project,
            "X-User-Id": self.user or "",
            "X-Roles": ",".join(self.roles),
        }

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: Any = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        all_headers = dict(self.headers)
        if json_body is not None:
            data = json.dumps(json_body)
            content_type = content_type or "application/json"
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.client.open(path, method=method, data=data, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def patch(self, path: str, operations: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("content_type", JSON_PATCH)
        return self.request("PATCH", path, json_body=operations, **kwargs)

    # ---- conveniences that assert success -----------------------------------------

    def create(self, type_name: str, **values: Any) -> dict[str, Any]:
        response = self.post(f"/artifacts/{type_name}", values)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def update(self, type_name: str, artifact_id: str, *operations: dict) -> dict[str, Any]:
        response = self.patch(f"/artifacts/{type_name}/{artifact_id}", list(operations))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def set_fields(self, type_name: str, artifact_id: str, **values: Any) -> dict[str, Any]:
        ops = [{"op": "replace", "path": f"/{k}", "value": v} for k, v in values.items()]
        return self.update(type_name, artifact_id, *ops)

    def show(self, type_name: str, artifact_id: str) -> dict[str, Any]:
        response = self.get(f"/artifacts/{type_name}/{artifact_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def list(self, type_name: str, query: str = "") -> dict[str, Any]:
        response = self.get(f"/artifacts/{type_name}" + (f"?{query}" if query else ""))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()


def replace_op(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}

