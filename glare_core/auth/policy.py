"""Policy: every engine action is authorized once, by name, against overridable rules.

Rules use the oslo.policy language (``role:admin``, ``rule:admin_or_owner``,
``project_id:%(owner)s``, ``not``, ``!`` ...) and are evaluated by oslo.policy. Defaults
live in ``DEFAULT_RULES``; plugins add rules through ``glare_register_policy_rules``; the
operator's policy file (YAML or JSON, ``GLARE_POLICY_FILE``) overrides any of them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from glare_core.auth.context import RequestContext
from glare_core.errors import PolicyException, StartupError

LOG = logging.getLogger("glare.policy")

_PUBLIC = "'public':%(visibility)s"
_DEACTIVATED = "'deactivated':%(status)s"
_WRITER = "not rule:reader_only"

# Rule name → (default rule, what it guards). Contract §20, with two choices of ours: public
# artifacts are downloadable by everybody who can see them (Q3), and a caller whose only
# role is "reader" (OpenStack's read-only role) cannot write.
DEFAULT_RULES: dict[str, tuple[str, str]] = {
    "context_is_admin": ("role:admin", "Who counts as an administrator"),
    "admin_or_owner": ("rule:context_is_admin or project_id:%(owner)s", "Helper"),
    "reader_only": ("role:reader and not role:member and not rule:context_is_admin",
                    "Helper: callers whose only role is 'reader' may read but not write"),
    "artifact:type_list": ("", "Read type schemas"),
    "artifact:create": (_WRITER, "Create an artifact"),
    "artifact:update_public": (f"not {_PUBLIC} or rule:context_is_admin",
                               "Helper: public artifacts are changed by admins only"),
    "artifact:update": (f"rule:admin_or_owner and rule:artifact:update_public and {_WRITER}",
                        "Change an artifact (every PATCH)"),
    "artifact:activate": (f"rule:admin_or_owner and {_WRITER}", "drafted → active"),
    "artifact:reactivate": ("rule:context_is_admin", "deactivated → active"),
    "artifact:deactivate": ("rule:context_is_admin", "active → deactivated"),
    "artifact:publish": ("rule:context_is_admin", "private → public"),
    "artifact:get": ("", "Show an artifact"),
    "artifact:get_any_artifact": ("rule:context_is_admin", "Show artifacts of any project"),
    "artifact:list": ("", "List artifacts"),
    "artifact:list_all_artifacts": ("rule:context_is_admin", "List artifacts of all projects"),
    "artifact:delete_public": (f"not {_PUBLIC} or rule:context_is_admin",
                               "Helper: public artifacts are deleted by admins only"),
    "artifact:delete_deactivated": (f"not {_DEACTIVATED} or rule:context_is_admin",
                                    "Helper: deactivated artifacts are deleted by admins only"),
    "artifact:delete": ("rule:admin_or_owner and rule:artifact:delete_public and "
                        f"rule:artifact:delete_deactivated and {_WRITER}", "Delete an artifact"),
    "artifact:set_location": (f"rule:admin_or_owner and {_WRITER}",
                              "Attach an external blob location"),
    "artifact:set_internal_location": ("rule:context_is_admin",
                                       "Attach an internal (store) blob location"),
    "artifact:upload": (f"rule:admin_or_owner and {_WRITER}", "Upload blob data"),
    "artifact:download_deactivated": (f"not {_DEACTIVATED} or rule:context_is_admin",
                                      "Helper: deactivated artifacts: admins only"),
    "artifact:download": (f"(rule:admin_or_owner or {_PUBLIC}) and "
                          "rule:artifact:download_deactivated", "Download blob data"),
    "artifact:download_from_any_artifact": ("rule:context_is_admin",
                                            "Download blobs of any project"),
    "artifact:delete_blob": (f"rule:admin_or_owner and {_WRITER}", "Delete a blob location"),
    "artifact:set_quotas": ("rule:context_is_admin", "Set project quotas"),
    "artifact:list_all_quotas": ("rule:context_is_admin", "List all quotas"),
    "artifact:list_project_quotas": ("project_id:%(project_id)s or rule:context_is_admin",
                                     "Show one project's quotas"),
}


def load_policy_file(path: str | Path) -> dict[str, str]:
    """Read operator overrides from a YAML or JSON file (rule name → rule string)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise StartupError(f"Policy file {path} cannot be parsed: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise StartupError(f"Policy file {path} must map rule names to rule strings")
    return data


class Policy:
    """The effective rules and the one place that evaluates them."""

    def __init__(
        self,
        overrides: Mapping[str, str] | None = None,
        extra_defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.defaults = {name: rule for name, (rule, _) in DEFAULT_RULES.items()}
        self.defaults.update(extra_defaults or {})
        self.rules = dict(self.defaults)
        self.rules.update(overrides or {})
        if unused := self.unused_file_rules():
            LOG.warning("The policy file defines rules that no action checks and no rule "
                        "refers to (a typo?): %s", ", ".join(unused))
        conf = cfg.ConfigOpts()
        conf([], project="glare", default_config_files=[], default_config_dirs=[])
        self._enforcer = oslo_policy.Enforcer(conf, use_conf=False)
        try:
            parsed = oslo_policy.Rules.from_dict(self.rules)
        except Exception as exc:  # oslo raises several types for bad syntax
            raise StartupError(f"Invalid policy rule: {exc}") from exc
        self._enforcer.set_rules(parsed, overwrite=True, use_conf=False)

    def origin(self, name: str) -> str:
        """Where rule ``name`` comes from, for ``glare-manage policy``."""
        if name in DEFAULT_RULES:
            return DEFAULT_RULES[name][1]
        if name in self.defaults:
            return "added by a plugin"
        return "from the policy file only"

    def unused_file_rules(self) -> list[str]:
        """Rules only the policy file has that nothing uses: neither an action of Glare or
        a plugin, nor referred to as ``rule:<name>`` by another rule."""
        referred = {match for rule in self.rules.values()
                    for match in re.findall(r"rule:([\w:.\-]+)", rule)}
        return sorted(name for name in self.rules
                      if name not in self.defaults and name not in referred)

    def check(self, action: str, target: Mapping[str, Any], context: RequestContext) -> bool:
        """True if ``context`` may perform ``action`` on ``target``."""
        # An absent identity (an anonymous caller's project) is left out rather than
        # passed as None: oslo.policy compares as text, and None would then match a
        # target whose value is the string "None".
        credentials = {k: v for k, v in context.credentials().items() if v is not None}
        return bool(self._enforcer.enforce(action, _target(target), credentials))

    def authorize(self, action: str, target: Mapping[str, Any], context: RequestContext) -> None:
        """Raise PolicyException (403) unless ``context`` may perform ``action``."""
        if not self.check(action, target, context):
            raise PolicyException(f"Policy doesn't allow {action} to be performed")

    def is_admin(self, roles: tuple[str, ...], project_id: str | None) -> bool:
        creds = {"roles": list(roles), "project_id": project_id, "is_admin": False}
        return bool(self._enforcer.enforce("context_is_admin", {}, creds))


def _target(target: Mapping[str, Any]) -> dict[str, Any]:
    # oslo.policy interpolates %(key)s: missing keys would make a rule fail loudly.
    out = {"owner": None, "visibility": None, "status": None, "project_id": None}
    out.update({k: v for k, v in target.items() if not isinstance(v, (dict, list))})
    return out
