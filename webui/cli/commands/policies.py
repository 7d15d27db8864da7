"""`pgwarden policies check|compile|diff`: the declarations in policies/*.toml."""

from __future__ import annotations

import argparse
from pathlib import Path

from webui.cli.console import BAD, OK
from webui.core import paths
from webui.ops.database import database_url
from webui.policies import writer
from webui.policies.delta import DeltaError
from webui.policies.model import Issue


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("policies", help="check, compile and diff policies/*.toml")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="parse and validate the declarations")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument(
        "--live",
        action="store_true",
        help="also check the database (tables without RLS, definer views)",
    )
    _dir_option(check)
    check.set_defaults(handler=run_check)
    compile_ = actions.add_parser("compile", help="write each file as a sqitch change")
    compile_.add_argument("--migrations", type=Path, help="the sqitch project (default: ours)")
    compile_.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if compiling would change a file",
    )
    compile_.add_argument(
        "--rewrite",
        action="store_true",
        help="recompile each file's first change in place instead of adding a follow-up "
        "change (development only: revert it first if it is deployed)",
    )
    _dir_option(compile_)
    compile_.set_defaults(handler=run_compile)
    diff = actions.add_parser("diff", help="drift between the declarations and the database")
    _dir_option(diff)
    diff.set_defaults(handler=run_diff)


def _dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", type=Path, default=None, help="the folder of policy files (default: policies/)"
    )


def _directory(args: argparse.Namespace) -> Path:
    return args.dir or paths.policies_dir()


def _report(issues: list[Issue], strict: bool) -> bool:
    """Print the issues; True when they block (errors, or warnings under --strict)."""
    for issue in issues:
        print(issue)
    errors = sum(i.level == "error" for i in issues)
    warnings = len(issues) - errors
    return bool(errors or (strict and warnings))


def run_check(args: argparse.Namespace) -> int:
    directory = _directory(args)
    decls, issues = writer.load(directory)
    if args.live:
        from webui.policies import live

        issues += live.live_issues(database_url(), decls)
    blocked = _report(issues, args.strict)
    count = sum(len(d.resources) for d in decls)
    errors = sum(i.level == "error" for i in issues)
    summary = (
        f"{len(decls)} file(s), {count} resource(s): {errors} error(s), "
        f"{len(issues) - errors} warning(s)"
    )
    print(f"{BAD if blocked else OK} {summary}")
    return 1 if blocked else 0


def run_compile(args: argparse.Namespace) -> int:
    directory = _directory(args)
    decls, issues = writer.load(directory)
    if _report([i for i in issues if i.level == "error"], strict=False):
        print(f"{BAD} not compiled: fix the errors above (`pgwarden policies check`)")
        return 1
    changed = 0
    try:
        compiled = writer.compile_all(decls, paths.project_dir(), args.migrations, args.rewrite)
    except DeltaError as exc:
        print(f"{BAD} {exc}")
        return 1
    for change, top in compiled:
        outcome = writer.write(change, top, dry_run=args.check)
        changed += outcome.state != "unchanged"
        print(f"  {outcome.state:<9} {outcome.name}")
        if outcome.missing_requires:
            print(f"    note: requires {', '.join(outcome.missing_requires)}, not in the plan yet")
        if outcome.state == "rewritten" and not args.check:
            print(f"    note: if {outcome.name} is deployed, revert it and deploy it again")
        if outcome.state == "created" and outcome.name[-1].isdigit():
            print("    note: a follow-up change: `pgwarden migrate deploy` applies it")
    if args.check:
        print(f"{BAD if changed else OK} {changed} change(s) out of date")
        return 1 if changed else 0
    print(f"{OK} {changed} change(s) written" if changed else f"{OK} nothing to write")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from webui.policies import live

    decls, issues = writer.load(_directory(args))
    if _report([i for i in issues if i.level == "error"], strict=False):
        return 1
    drift = live.diff(database_url(), decls, writer.catalog(decls))
    for line in drift:
        print(f"  {line}")
    print(f"{BAD} {len(drift)} difference(s)" if drift else f"{OK} no drift")
    return 1 if drift else 0
