"""Test doubles of external services used by the tests (not collected as tests)."""
