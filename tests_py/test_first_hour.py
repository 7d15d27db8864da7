"""The first hour of a new user (issue 13): what `make run`, the CLI and the docs promise holds.
Each test reproduces one of the reported problems."""

from __future__ import annotations

from pathlib import Path

from webui.core.paths import declared_schemas
from webui.rest.config import load


def test_the_policy_files_schemas_are_exposed_first_next_to_api(tmp_path: Path) -> None:
    assert declared_schemas() == ("library",)
    assert load(env={}, declared=declared_schemas()).db_schemas == ("library", "api")
    (tmp_path / "a.toml").write_text('[settings]\nschema = "shop"\n')
    (tmp_path / "b.toml").write_text("not = [toml")  # reported by `policies check`, skipped here
    assert declared_schemas(tmp_path) == ("shop",)


def test_pgrst_db_schemas_still_overrides_the_declared_ones() -> None:
    env = {"PGRST_DB_SCHEMAS": "api"}
    assert load(env=env, declared=("library",)).db_schemas == ("api",)
