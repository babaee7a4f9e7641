"""Checking link values: internal links must name a visible artifact of the named type.

External links are checked for syntax by the field kind; fetching them (upstream did, at
write time) is off by default because it lets clients make the server call any URL
(contract Q12). ``check_external`` turns a bounded reachability check on.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from glare_core.auth.context import RequestContext
from glare_core.engine.access import is_visible
from glare_core.errors import BadRequest
from glare_core.types.fields import parse_internal_link

EXTERNAL_TIMEOUT = 5.0


class LinkChecker:
    def __init__(
        self,
        find: Callable[[str], Mapping[str, Any] | None],
        type_names: Callable[[], Any],
        *,
        check_external: bool = False,
    ) -> None:
        self.find = find
        self.type_names = type_names
        self.check_external = check_external

    def check(self, context: RequestContext, artifact_type: Any, values: Mapping[str, Any]) -> None:
        """Raise BadRequest for the first invalid link among ``values`` (field → value)."""
        for name, value in values.items():
            spec = artifact_type.fields.get(name)
            if spec is None or not spec.holds_links or value is None:
                continue
            if spec.is_list:
                links = list(value)
            elif spec.is_dict:
                links = list(value.values())
            else:
                links = [value]
            for link in links:
                self._check_one(context, name, link)

    def _check_one(self, context: RequestContext, field: str, link: str) -> None:
        internal = parse_internal_link(link)
        if internal is None:
            if self.check_external:
                self._fetch(field, link)
            return
        type_name, artifact_id = internal
        if type_name != "all" and type_name not in self.type_names():
            raise BadRequest(f"Link in '{field}' names an unknown artifact type '{type_name}'")
        target = self.find(artifact_id)
        if (
            target is None
            or target.get("status") == "deleted"
            or not is_visible(context, target, see_all=False)
            or (type_name != "all" and target.get("type_name") != type_name)
        ):
            raise BadRequest(f"Link in '{field}' points to no visible artifact: {link}")

    @staticmethod
    def _fetch(field: str, url: str) -> None:
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=EXTERNAL_TIMEOUT):
                pass
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise BadRequest(f"Link in '{field}' cannot be reached: {url} ({exc})") from None
