"""`pgwarden init DIR [--name NAME] [--force]`: a new project that `make run` and `make test`
work in at once: policies/app.toml (one resource with its admin and list options), its sqitch
project with the compiled change, a Makefile, docker-compose.yml, a README and a pgTAP test."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from webui.cli.console import OK, fail
from webui.core.paths import PACKAGE_DIR
from webui.policies import writer

SCAFFOLD = PACKAGE_DIR / "cli" / "scaffold"
RENAMED = {"gitignore": ".gitignore"}  # dotfiles are kept under plain names in the package
FOLDERS = ("migrations/deploy", "migrations/revert", "migrations/verify")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("init", help="create a new pgwarden project in DIR")
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--name", help="project name (sqitch project, database); default: DIR")
    parser.add_argument("--force", action="store_true", help="write into a non-empty DIR")
    parser.set_defaults(handler=init_project)


def project_name(directory: Path, explicit: str | None) -> str | None:
    """A lowercase identifier, usable as sqitch project, database and role name."""
    name = explicit or re.sub(r"[^a-z0-9_]+", "_", directory.resolve().name.lower()).strip("_")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) or name == "pgwarden":
        return None
    return name


def init_project(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    name = project_name(directory, args.name)
    if name is None:
        return fail(
            "the project name must be a lowercase identifier other than pgwarden: pass --name NAME"
        )
    if directory.exists() and any(directory.iterdir()) and not args.force:
        return fail(
            f"{directory} is not empty: choose a new folder, or pass --force to write "
            "into it (existing files with the scaffold's names are replaced)"
        )
    written = _copy(directory, name)
    for folder in FOLDERS:
        (directory / folder).mkdir(parents=True, exist_ok=True)
    written += _compile(directory)
    for path in written:
        print(f"  created {path}")
    print(f"{OK} project {name} in {directory}: `cd {directory} && make run`")
    return 0


def _copy(directory: Path, name: str) -> list[str]:
    written = []
    for source in sorted(p for p in SCAFFOLD.rglob("*") if p.is_file()):
        relative = source.relative_to(SCAFFOLD)
        target = directory / relative.parent / RENAMED.get(relative.name, relative.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text().replace("@NAME@", name))
        shutil.copymode(source, target)
        written.append(str(target.relative_to(directory)))
    return written


def _compile(directory: Path) -> list[str]:
    """The policy file as the project's first sqitch change (what `policies compile` writes)."""
    decls, issues = writer.load(directory / "policies")
    errors = [issue for issue in issues if issue.level == "error"]
    if errors:
        raise RuntimeError(f"the scaffold's policies do not compile: {errors}")
    written = []
    for change, top in writer.compile_all(decls, directory.resolve()):
        outcome = writer.write(change, top)
        written.append(f"migrations/ change {outcome.name} ({outcome.state})")
    return written
