"""Setuptools entry point; static metadata lives in setup.cfg.

The package list is computed here because the Alembic scripts in the top-level
``migrations/`` folder are installed as the package ``glare_migrations`` (so
``glare-manage db upgrade`` works from a non-editable install too).
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["glare_core", "glare_core.*"]),
        "glare_migrations",
        "glare_migrations.versions",
    ],
    package_dir={"glare_migrations": "migrations"},
)
