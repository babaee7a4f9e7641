"""keystonemiddleware takes its options paste-style and warns about every option it does
not declare itself, including the auth plugin's own (``auth_url``, ``username``...). Glare
keeps the warning for real mistakes only."""

from __future__ import annotations

import logging

import pytest

from glare_core.auth.keystone import wrap_with_auth_token

README_OPTIONS = {
    "www_authenticate_uri": "http://127.0.0.1:9/v3",
    "auth_url": "http://127.0.0.1:9/v3",
    "auth_type": "password",
    "username": "glare",
    "password": "secret",
    "project_name": "service",
    "user_domain_name": "Default",
    "project_domain_name": "Default",
    "memcached_servers": "127.0.0.1:11211",
}


def unknown_option_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(record.args[0]) for record in caplog.records
            if "is not known to keystonemiddleware" in str(record.msg)]


def test_the_documented_options_start_without_warnings(caplog):
    with caplog.at_level(logging.WARNING):
        wrap_with_auth_token(lambda environ, start: [], README_OPTIONS)
    assert unknown_option_warnings(caplog) == []


def test_an_application_credential_needs_no_user_options(caplog):
    options = {"auth_url": "http://127.0.0.1:9/v3", "auth_type": "v3applicationcredential",
               "application_credential_id": "abc", "application_credential_secret": "s"}
    with caplog.at_level(logging.WARNING):
        wrap_with_auth_token(lambda environ, start: [], options)
    assert unknown_option_warnings(caplog) == []


def test_a_misspelt_option_is_still_reported(caplog):
    with caplog.at_level(logging.WARNING):
        wrap_with_auth_token(lambda environ, start: [],
                             {**README_OPTIONS, "usernme": "glare", "pasword": "x"})
    assert sorted(unknown_option_warnings(caplog)) == ["pasword", "usernme"]


def test_options_of_another_plugin_are_reported(caplog):
    # "password" belongs to the password plugin, not to application credentials
    options = {"auth_url": "http://127.0.0.1:9/v3", "auth_type": "v3applicationcredential",
               "application_credential_id": "abc", "application_credential_secret": "s",
               "password": "secret"}
    with caplog.at_level(logging.WARNING):
        wrap_with_auth_token(lambda environ, start: [], options)
    assert unknown_option_warnings(caplog) == ["password"]
