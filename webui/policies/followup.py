"""A follow-up change of a policy file: the compiled change that turns the deployed version of
its declarations into the current one (the SQL comes from webui.policies.delta)."""

from __future__ import annotations

from webui.policies import compiler, delta
from webui.policies import model as m


def compile_follow_up(
    old: m.Declarations,
    new: m.Declarations,
    catalog: dict[str, m.Resource],
    source: str,
    project: str,
    previous: str,
    number: int,
) -> compiler.Compiled:
    """Change number `number` (2, 3, …) of a file: from `old` (as deployed by `previous`) to
    `new`. Raises delta.DeltaError when the difference is not generated safely."""
    old, new = compiler.with_source(old, source), compiler.with_source(new, source)
    new_catalog = {**catalog, **{r.name: r for r in new.resources}}
    old_catalog = {**catalog, **{r.name: r for r in old.resources}}
    forward, backward = delta.follow_up(old, new, old_catalog, new_catalog)
    forward, backward = compiler.QUIET + forward, compiler.QUIET + backward
    name = f"{compiler.change_name(new)}_{number}"
    core = tuple(
        f"pgwarden:{r}" if project != "pgwarden" and r in compiler.FRAMEWORK else r
        for r in compiler.requires_of(new, new_catalog)
    )
    requires = (previous, *core)
    header = (
        f"-- Compiled by `pgwarden policies compile` from {source}: the changes since "
        f"{previous}.\n-- Do not edit; change the declarations and compile again.\n"
    )
    deps = f"-- requires: {', '.join(requires)}\n"
    deploy = compiler.script(
        f"Deploy {project}:{name} to pg\n{deps}{header}", forward
    ) + compiler.embed(new, source)
    revert = compiler.script(f"Revert {project}:{name} from pg\n{header}", backward)
    verify = compiler.script(
        f"Verify {project}:{name} on pg\n{header}",
        compiler.verify_body(new, new_catalog),
        "ROLLBACK",
    )
    note = f"Changes to {source} since {previous}"
    return compiler.Compiled(name, requires, note, deploy, revert, verify)
