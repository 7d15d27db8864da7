"""Where pgwarden finds its SQL, migrations and policies, installed or from a checkout."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATE_NAME = ".pgwarden"


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
    """The git-ignored folder holding the embedded cluster and local secrets (`.pgwarden/`).

    `PGWARDEN_HOME` wins; else the nearest `.pgwarden/` in the working folder or above it (as git
    finds `.git`), so that commands run from `migrations/` find the project's cluster; else the
    checkout's own folder; else (an installed wheel) the working folder."""
    override = os.environ.get("PGWARDEN_HOME")
    if override:
        return Path(override).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / STATE_NAME).is_dir():
            return folder / STATE_NAME
    project = project_dir()
    if project == PACKAGE_DIR.parent and (project / "pyproject.toml").is_file():
        return project / STATE_NAME
    return here / STATE_NAME


def declared_schemas(folder: Path | None = None) -> tuple[str, ...]:
    """The schemas that `policies/*.toml` declare (`[settings] schema`), in file order.

    Unreadable files are skipped here: `pgwarden policies check` is where they are reported."""
    found: list[str] = []
    for path in sorted((folder or policies_dir()).glob("*.toml")):
        try:
            settings = tomllib.loads(path.read_text()).get("settings", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        schema = settings.get("schema") if isinstance(settings, dict) else None
        if isinstance(schema, str) and schema and schema not in found:
            found.append(schema)
    return tuple(found)
