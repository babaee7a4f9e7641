"""Content checks of Heat documents: templates and environments (YAML or JSON).

The checks are structural only (what Heat itself refuses before looking at resources): a
template is a mapping with a template version key whose ``resources`` section, if present,
is a mapping; an environment is a mapping made only of the sections Heat knows.
"""

from __future__ import annotations

import json
from typing import Any

from glare_core.plugin import BadRequest, parse_yaml

# HOT templates name their version with the first key, CloudFormation-style ones with
# one of the two others.
TEMPLATE_VERSION_KEYS = ("heat_template_version", "AWSTemplateFormatVersion",
                         "HeatTemplateFormatVersion")
RESOURCE_SECTIONS = ("resources", "Resources")
# Environment sections Heat accepts, with the JSON kind each must have.
ENVIRONMENT_SECTIONS: dict[str, type] = {
    "parameters": dict,
    "parameter_defaults": dict,
    "resource_registry": dict,
    "encrypted_param_names": list,
    "event_sinks": list,
    "parameter_merge_strategies": dict,
}
_KIND_NAMES = {dict: "a mapping", list: "a list"}


def load_document(data: bytes, what: str) -> Any:
    """Parse YAML (JSON is accepted too, also where YAML would not take it)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(f"The {what} is not UTF-8 text") from None
    try:
        return parse_yaml(data, what)
    except BadRequest as not_yaml:
        try:
            return json.loads(text)
        except ValueError:
            # parse_yaml says "The <what> is not valid YAML: <reason>"; keep the reason.
            reason = not_yaml.message.removeprefix(f"The {what} is not valid YAML: ")
            raise BadRequest(f"The {what} is neither valid YAML nor JSON: {reason}") from None


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), "a scalar")


def check_template(data: bytes, what: str = "template") -> dict[str, Any]:
    """Return the parsed template, or raise BadRequest saying what is wrong with it."""
    document = load_document(data, what)
    if not isinstance(document, dict):
        raise BadRequest(f"The {what} must be a mapping, not {_kind(document)}")
    versions = [key for key in TEMPLATE_VERSION_KEYS if document.get(key) is not None]
    if not versions:
        raise BadRequest(
            f"The {what} has no template version: it needs a 'heat_template_version' "
            "(or a CloudFormation 'AWSTemplateFormatVersion' / 'HeatTemplateFormatVersion') key"
        )
    for section in RESOURCE_SECTIONS:
        value = document.get(section)
        if value is not None and not isinstance(value, dict):
            raise BadRequest(
                f"The '{section}' section of the {what} must be a mapping, not {_kind(value)}"
            )
    return document


def check_environment(data: bytes, what: str = "environment") -> dict[str, Any]:
    """Return the parsed environment, or raise BadRequest saying what is wrong with it."""
    document = load_document(data, what)
    if not isinstance(document, dict):
        raise BadRequest(f"The {what} must be a mapping, not {_kind(document)}")
    unknown = sorted(str(key) for key in document if key not in ENVIRONMENT_SECTIONS)
    if unknown:
        raise BadRequest(
            f"The {what} has unknown sections: {', '.join(unknown)} (allowed: "
            f"{', '.join(ENVIRONMENT_SECTIONS)})"
        )
    for section, kind in ENVIRONMENT_SECTIONS.items():
        value = document.get(section)
        if value is not None and not isinstance(value, kind):
            raise BadRequest(
                f"The '{section}' section of the {what} must be {_KIND_NAMES[kind]}, "
                f"not {_kind(value)}"
            )
    return document
