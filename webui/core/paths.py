"""Where pgwarden finds its SQL, migrations and policies, installed or from a checkout."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def project_dir() -> Path:
    """The folder holding `migrations/`, `sql/` and `policies/`.

    `PGWARDEN_PROJECT_DIR` wins; a wheel carries them under `webui/_project`; a checkout (or an
    editable install) has them beside the package.
    """
    override = os.environ.get("PGWARDEN_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    bundled = PACKAGE_DIR / "_project"
    if (bundled / "migrations" / "sqitch.plan").is_file():
        return bundled
    return PACKAGE_DIR.parent


def migrations_dir() -> Path:
    return project_dir() / "migrations"


def sql_dir() -> Path:
    return project_dir() / "sql"


def policies_dir() -> Path:
    return project_dir() / "policies"


def state_dir() -> Path:
    """The git-ignored folder holding the embedded cluster and local secrets (`.pgwarden/`)."""
    return Path(os.environ.get("PGWARDEN_HOME", Path.cwd() / ".pgwarden")).resolve()
