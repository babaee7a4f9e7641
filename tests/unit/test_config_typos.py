"""Settings that name something that does not exist: a plugin enabled by name must be
installed; a disabled plugin or a policy rule that matches nothing is reported."""

from __future__ import annotations

import logging

import pytest

from glare_core.auth.policy import Policy
from glare_core.errors import StartupError
from glare_core.plugins.manager import make_plugin_manager


def test_enabling_a_plugin_that_is_not_installed_stops_the_start_up():
    with pytest.raises(StartupError, match=r"Enabled plugins \['sample_artefact'\] are not "
                                           r"installed \(installed: .*sample_artifact"):
        make_plugin_manager(enabled=["sample_artefact", "images"])


def test_enabled_plugins_that_are_installed_load():
    _, infos = make_plugin_manager(enabled=["sample_artifact"])
    assert "sample_artifact" in {info.name for info in infos}
    assert "images" not in {info.name for info in infos}


def test_disabling_a_plugin_that_is_not_installed_is_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="glare.plugins"):
        _, infos = make_plugin_manager(disabled=["hea", "images"])
    assert "not installed: hea (installed:" in caplog.text
    assert "images" not in {info.name for info in infos}
    assert "heat" in {info.name for info in infos}


def test_installed_names_raise_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="glare.plugins"):
        make_plugin_manager(disabled=["images"])
    assert caplog.text == ""


def test_a_policy_rule_nothing_uses_is_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="glare.policy"):
        policy = Policy(overrides={
            "artifact:publsh": "role:admin",           # a typo: nothing checks it
            "auditor": "role:auditor",                 # an alias, used below
            "artifact:get_any_artifact": "rule:auditor or rule:context_is_admin",
        })
    assert policy.unused_file_rules() == ["artifact:publsh"]
    assert "(a typo?): artifact:publsh" in caplog.text
    assert policy.origin("artifact:publsh") == "from the policy file only"
    assert policy.origin("auditor") == "from the policy file only"
    assert policy.origin("artifact:create") != "from the policy file only"


def test_plugin_rules_are_not_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="glare.policy"):
        policy = Policy(overrides={"widgets:polish": "role:admin"},
                        extra_defaults={"widgets:polish": "rule:admin_or_owner"})
    assert caplog.text == ""
    assert policy.origin("widgets:polish") == "added by a plugin"
