"""The compiled plan: the objects a policy file becomes, each carrying its name, and how each
is printed. The compiler builds these; `delta` compares two plans by name and `live` compares a
plan with the catalog, so nothing re-parses generated SQL to learn a name."""

from __future__ import annotations

from dataclasses import dataclass

from webui.policies.sqltext import ident, text_literal


def grantees(role: str) -> str:
    """The roles a grant to `role` names: an anonymous grant also reaches every tier (whose
    roles do not inherit pgw_anon)."""
    return "pgw_anon, pgw_user" if role == "pgw_anon" else role


@dataclass(frozen=True)
class Constraint:
    """A table constraint (primary key, check, foreign key, unique)."""

    name: str
    body: str

    def sql(self) -> str:
        return f"constraint {ident(self.name)} {self.body}"


@dataclass(frozen=True)
class Index:
    name: str
    table: str  # qualified, as printed
    columns: tuple[str, ...]

    def sql(self) -> str:
        cols = ", ".join(ident(c) for c in self.columns)
        return f"create index {ident(self.name)} on {self.table} ({cols});"


@dataclass(frozen=True)
class Grant:
    privilege: str  # e.g. "select", "insert (a, b)"
    table: str
    role: str

    def sql(self) -> str:
        return f"grant {self.privilege} on {self.table} to {grantees(self.role)};"


@dataclass(frozen=True)
class Policy:
    name: str
    table: str
    command: str  # select | insert | update | delete | all
    role: str
    clause: str  # "using (…)" and/or "with check (…)", as printed
    comment: str
    separator: str = "\n  "  # between the role and the clause

    def sql(self) -> str:
        name = ident(self.name)
        return "\n".join(
            [
                f"drop policy if exists {name} on {self.table};",
                f"create policy {name} on {self.table} as permissive for {self.command} to "
                f"{grantees(self.role)}{self.separator}{self.clause};",
                f"comment on policy {name} on {self.table} is {text_literal(self.comment)};",
            ]
        )

    def drop(self) -> str:
        return f"drop policy if exists {ident(self.name)} on {self.table};"


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    when: str  # e.g. "before insert or update"
    function: str  # the call, e.g. "authz.touch('updated_at')"
    condition: str = ""  # the WHEN clause, if any

    def sql(self) -> str:
        name = ident(self.name)
        when = f"when ({self.condition})\n  " if self.condition else ""
        return (
            f"drop trigger if exists {name} on {self.table};\n"
            f"create trigger {name} {self.when} on {self.table}\n"
            f"  for each row {when}execute function {self.function};"
        )

    def drop(self) -> str:
        return f"drop trigger if exists {ident(self.name)} on {self.table};"


@dataclass(frozen=True)
class View:
    name: str  # qualified, as printed
    query: str
    security_invoker: bool
    comment: str
    revoke_from: str
    read_role: str | None

    def sql(self) -> str:
        option = "true" if self.security_invoker else "false"
        lines = [
            f"create or replace view {self.name} with (security_invoker = {option}) as\n"
            f"{self.query};",
            f"comment on view {self.name} is {text_literal(self.comment)};",
            f"revoke all on {self.name} from {self.revoke_from};",
        ]
        if self.read_role:
            lines.append(f"grant select on {self.name} to {grantees(self.read_role)};")
        return "\n".join(lines) + "\n"

    def drop(self) -> str:
        return f"drop view if exists {self.name};"
