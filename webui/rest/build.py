"""From parsed request parts and the schema cache to one parameterised SQL statement in which
PostgreSQL builds the whole body. Identifiers come pre-quoted from the cache; values are `%s`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from webui.rest.errors import ApiError, column_not_found_read
from webui.rest.grammar import (
    FTS_FUNCTIONS,
    OPERATORS,
    Embed,
    Field,
    Filter,
    Logic,
    OrderTerm,
    SelectColumn,
)
from webui.rest.schema import Relationship, Table, quote

Path = tuple[str, ...]
_INT_KEY = re.compile(r"^-?\d+$")


class Frag(NamedTuple):
    text: str
    params: tuple[Any, ...] = ()


def cat(*parts: Frag | str) -> Frag:
    texts, params = [], []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        else:
            texts.append(part.text)
            params.extend(part.params)
    return Frag("".join(texts), tuple(params))


def join(separator: str, parts: list[Frag]) -> Frag:
    out: list[Frag | str] = []
    for index, part in enumerate(parts):
        if index:
            out.append(separator)
        out.append(part)
    return cat(*out)


@dataclass
class ReadSpec:
    """Everything of a read, keyed by embed path (() is the top level)."""

    items: list[SelectColumn | Embed] = field(default_factory=list)
    filters: dict[Path, list[Filter | Logic]] = field(default_factory=dict)
    order: dict[Path, list[OrderTerm]] = field(default_factory=dict)
    limit: dict[Path, int] = field(default_factory=dict)
    offset: dict[Path, int] = field(default_factory=dict)


def array_literal(values: list[str]) -> str:
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in escaped) + "}"


def find_relationship(table: Table, name: str, hint: str | None) -> Relationship:
    candidates = [r for r in table.relationships if r.target.name == name]
    if not candidates:
        candidates = [
            r
            for r in table.relationships
            if r.kind == "m2o" and len(r.pairs) == 1 and r.pairs[0][0] == name
        ]
    if hint is not None:
        candidates = [r for r in candidates if _matches_hint(r, hint)]
    if not candidates:
        raise ApiError(
            400,
            "PGRST200",
            f"Could not find a relationship between '{table.name}' and '{name}' "
            "in the schema cache",
            hint="Check the embedded name and the foreign keys; reload the schema cache if new.",
        )
    if len(candidates) > 1:
        raise ApiError(
            300,
            "PGRST201",
            f"Could not embed because more than one relationship was found for '{table.name}' "
            f"and '{name}'",
            details="; ".join(
                f"{r.kind} via {r.junction.name if r.junction else r.constraint}"
                for r in candidates
            ),
            hint=f"Try changing '{name}' to one of: "
            + ", ".join(
                f"{name}!{r.junction.name if r.junction else r.constraint}" for r in candidates
            ),
        )
    return candidates[0]


def _matches_hint(rel: Relationship, hint: str) -> bool:
    if hint in (rel.constraint, rel.junction_constraint):
        return True
    if rel.junction is not None:
        return hint == rel.junction.name
    return any(hint in pair for pair in rel.pairs)


class Builder:
    def __init__(self, spec: ReadSpec) -> None:
        self.spec = spec
        self.counter = 0
        self.items_at: dict[Path, list[SelectColumn | Embed]] = {}
        self.groups: dict[Path, list[int]] = {}  # path → 1-based positions to group by

    def alias(self) -> str:
        self.counter += 1
        return f'"t{self.counter}"'

    # --- fields and values ---------------------------------------------------------------
    def field(self, table: Table, alias: str, f: Field) -> Frag:
        column = table.columns.get(f.name)
        if column is not None:
            head = f"{alias}.{column.quoted}"
        elif f.name in table.computed:  # the row cast: a write's rows come from its CTE
            head = f"{table.computed[f.name]}({alias}::{table.qualified})"
        else:
            raise column_not_found_read(f.name, table.name)
        parts: list[Frag | str] = [head]
        for arrow, key in f.path:
            if _INT_KEY.match(key):
                parts.append(Frag(f"{arrow}%s::int", (int(key),)))
            else:
                parts.append(Frag(f"{arrow}%s::text", (key,)))
        return cat(*parts)

    def condition(self, table: Table, alias: str, node: Filter | Logic) -> Frag:
        if isinstance(node, Logic):
            inner = join(
                f" {node.conjunction} ", [self.condition(table, alias, c) for c in node.children]
            )
            return cat("not (" if node.negate else "(", inner, ")")
        target = self.field(table, alias, node.field)
        if node.operator in FTS_FUNCTIONS and not _is_tsvector(table, node.field):
            target = _to_tsvector(target, node.language)
        expression = self.predicate(target, node)
        return cat("not (", expression, ")") if node.negate else expression

    def predicate(self, target: Frag, node: Filter) -> Frag:
        operator, value = node.operator, node.value
        if operator == "is":
            return cat(target, f" is {value}")
        if operator == "in":
            return cat(target, Frag(" = any(%s)", (array_literal(list(value)),)))
        if operator in FTS_FUNCTIONS:
            function = FTS_FUNCTIONS[operator]
            if node.language:
                return cat(
                    target, Frag(f" @@ {function}(%s::regconfig, %s)", (node.language, value))
                )
            return cat(target, Frag(f" @@ {function}(%s)", (value,)))
        symbol = OPERATORS[operator]
        if node.quantifier:
            values = [_like(v) if operator in ("like", "ilike") else v for v in value]
            return cat(target, Frag(f" {symbol} {node.quantifier}(%s)", (array_literal(values),)))
        if operator in ("like", "ilike"):
            value = _like(str(value))
        return cat(target, Frag(f" {symbol} %s", (value,)))

    # --- select lists and embeds ---------------------------------------------------------
    def columns(
        self, table: Table, alias: str, items: list[SelectColumn | Embed], path: Path
    ) -> tuple[list[tuple[Frag, str]], list[Frag], dict[str, Frag]]:
        """(output columns, extra where conditions for !inner, embed name → exists test)."""
        output: list[tuple[Frag, str]] = []
        where: list[Frag] = []
        exists: dict[str, Frag] = {}
        self.items_at[path] = items
        plain: list[int] = []
        aggregated = False
        for item in items or [SelectColumn(Field("*"))]:
            if isinstance(item, SelectColumn) and _legacy_count(table, item):
                item = replace(item, field=Field("*"), aggregate="count")
            if isinstance(item, Embed):
                columns, test = self.embed(table, alias, item, path)
                exists[item.alias or item.name] = test
                if item.inner:
                    where.append(test)
            elif item.aggregate is not None:
                columns, aggregated = [self.aggregate(table, alias, item)], True
            elif item.field.name == "*":
                columns = [(Frag(f"{alias}.{c.quoted}"), c.name) for c in table.columns.values()]
            else:
                expression = self.field(table, alias, item.field)
                if item.cast:
                    expression = cat("(", expression, f")::{item.cast}")
                columns = [(expression, item.alias or item.field.default_alias)]
            if not (isinstance(item, SelectColumn) and item.aggregate):
                plain.extend(range(len(output) + 1, len(output) + 1 + len(columns)))
            output.extend(columns)
        if aggregated and plain:
            self.groups[path] = plain
        return output, where, exists

    def aggregate(self, table: Table, alias: str, item: SelectColumn) -> tuple[Frag, str]:
        """`count()`, `col.sum()` …: grouped by the other columns selected beside it."""
        if item.field.name == "*":
            expression = Frag("pg_catalog.count(*)")
        else:
            value = self.field(table, alias, item.field)
            if item.input_cast:
                value = cat("(", value, f")::{item.input_cast}")
            expression = cat(f"pg_catalog.{item.aggregate}(", value, ")")
        if item.cast:
            expression = cat("(", expression, f")::{item.cast}")
        return expression, item.alias or item.aggregate or "count"

    def group_by(self, path: Path) -> Frag:
        positions = self.groups.get(path)
        return Frag(" group by " + ", ".join(map(str, positions))) if positions else Frag("")

    def embed(
        self, table: Table, alias: str, item: Embed, path: Path
    ) -> tuple[list[tuple[Frag, str]], Frag]:
        rel = find_relationship(table, item.name, item.hint)
        child = self.alias()
        child_path = (*path, item.alias or item.name)
        if not item.items and not item.spread:  # `books()`: a filter only, left out of the output
            conditions = [self.join_condition(rel, alias, child)]
            conditions += self.where(rel.target, child, child_path, {})
            where = join(" and ", conditions)
            test = cat(f"exists (select 1 from {rel.target.qualified} {child} where ", where, ")")
            return [], test
        columns, inner_where, exists = self.columns(rel.target, child, item.items, child_path)
        conditions = [self.join_condition(rel, alias, child), *inner_where]
        conditions += self.where(rel.target, child, child_path, exists)
        where = join(" and ", conditions)
        source = f"{rel.target.qualified} {child}"
        test = cat(f"exists (select 1 from {source} where ", where, ")")
        if item.spread and not rel.to_one:
            return self.spread_many(rel.target, child, child_path, columns, source, where), test
        if item.spread:
            return [
                (cat("(select ", e, f" from {source} where ", where, ")"), n) for e, n in columns
            ], test
        select = self.select_clause(columns)
        body = cat("select ", select, f" from {source} where ", where, self.group_by(child_path))
        name = item.alias or item.name
        if rel.to_one:
            return [(cat("(select row_to_json(_e) from (", body, " limit 1) _e)"), name)], test
        tail = self.order_limit(rel.target, child, child_path)
        aggregate = cat("coalesce((select json_agg(_e) from (", body, tail, ") _e), '[]')")
        return [(aggregate, name)], test

    def spread_many(
        self,
        target: Table,
        child: str,
        path: Path,
        columns: list[tuple[Frag, str]],
        source: str,
        where: Frag,
    ) -> list[tuple[Frag, str]]:
        """`...reviews(stars)` on a to-many relationship (PostgREST v13): each column becomes
        the JSON array of its values over the related rows (`[]` when none), in their order."""
        if path in self.groups or any(i.aggregate for i in _columns_of(self.items_at[path])):
            raise ApiError(
                400,
                "PGRST127",
                "Feature not implemented",
                "Aggregates are not implemented for one-to-many or many-to-many spreads.",
            )
        tail = self.order_limit(target, child, path)
        return [
            (
                cat(
                    "coalesce((select json_agg(_s.v) from (select ",
                    e,
                    f" as v from {source} where ",
                    where,
                    tail,
                    ") _s), '[]')",
                ),
                n,
            )
            for e, n in columns
        ]

    def join_condition(self, rel: Relationship, alias: str, child: str) -> Frag:
        table_alias = alias
        if rel.junction is None:
            pairs = [f"{child}.{quote(t)} = {table_alias}.{quote(s)}" for s, t in rel.pairs]
            return Frag(" and ".join(pairs))
        link = self.alias()
        to_source = [f"{link}.{quote(j)} = {table_alias}.{quote(s)}" for s, j in rel.pairs]
        to_target = [f"{link}.{quote(j)} = {child}.{quote(t)}" for j, t in rel.junction_pairs]
        return Frag(
            f"exists (select 1 from {rel.junction.qualified} {link} where "
            + " and ".join(to_source + to_target)
            + ")"
        )

    def select_clause(self, columns: list[tuple[Frag, str]]) -> Frag:
        if not columns:
            return Frag("")
        return join(", ", [cat(expression, f" as {quote(name)}") for expression, name in columns])

    # --- where, order, limit -------------------------------------------------------------
    def where(self, table: Table, alias: str, path: Path, exists: dict[str, Frag]) -> list[Frag]:
        out = []
        for node in self.spec.filters.get(path, []):
            if isinstance(node, Filter) and not node.field.path and node.field.name in exists:
                out.append(self.embed_null_filter(node, exists[node.field.name]))
            else:
                out.append(self.condition(table, alias, node))
        return out

    def embed_null_filter(self, node: Filter, test: Frag) -> Frag:
        if node.operator != "is" or node.value not in ("null", "not null"):
            raise ApiError(
                400,
                "PGRST120",
                f"Bad operator on the '{node.field.name}' embedded resource",
                "Only is null or not is null filters are allowed on embedded resources",
            )
        present = node.negate != (node.value == "not null")
        return test if present else cat("not ", test)

    def order_clause(self, table: Table, alias: str, path: Path) -> Frag:
        """` order by …` of this level, or nothing."""
        terms = self.spec.order.get(path, [])
        if not terms:
            return Frag("")
        return cat(
            " order by ", join(", ", [self.order_term(table, alias, t, path) for t in terms])
        )

    def order_limit(self, table: Table, alias: str, path: Path, cap: int | None = None) -> Frag:
        parts: list[Frag | str] = [self.order_clause(table, alias, path)]
        limit = self.spec.limit.get(path)
        if cap is not None:
            limit = cap if limit is None else min(limit, cap)
        if limit is not None:
            parts.append(Frag(" limit %s", (limit,)))
        offset = self.spec.offset.get(path)
        if offset:
            parts.append(Frag(" offset %s", (offset,)))
        return cat(*parts)

    def order_term(self, table: Table, alias: str, term: OrderTerm, path: Path = ()) -> Frag:
        direction = " desc" if term.descending else " asc"
        nulls = f" nulls {term.nulls}" if term.nulls else ""
        if term.relation is not None:
            target = self.related_value(table, alias, term, path)
        else:
            target = self.field(table, alias, term.field)
        return cat(target, direction + nulls)

    def related_value(self, table: Table, alias: str, term: OrderTerm, path: Path) -> Frag:
        """`order=authors(name)`: the column of a to-one embed of this level; to-many is 400."""
        name = term.relation or ""
        embed = next(
            (
                i
                for i in self.items_at.get(path, [])
                if isinstance(i, Embed) and name in (i.alias, i.name)
            ),
            None,
        )
        if embed is None:
            raise ApiError(
                400,
                "PGRST108",
                f"'{name}' is not an embedded resource in this request",
                hint=f"Verify that '{name}' is included in the 'select' query parameter.",
            )
        rel = find_relationship(table, embed.name, embed.hint)
        if not rel.to_one:
            raise ApiError(
                400,
                "PGRST118",
                f"A related order on '{name}' is not possible",
                f"'{table.name}' and '{name}' do not form a many-to-one or one-to-one relationship",
            )
        child = self.alias()
        value = self.field(rel.target, child, term.field)
        condition = self.join_condition(rel, alias, child)
        return cat(
            "(select ",
            value,
            f" from {rel.target.qualified} {child} where ",
            condition,
            " limit 1)",
        )


def _legacy_count(table: Table, item: SelectColumn) -> bool:
    """`select=count`, `reviews(count)`: PostgreSQL reads `t.count` as `count(t)`, so PostgREST
    has always answered it with the row count (its spec: "a count by using it as a column,
    backwards compat"); it needs no `db-aggregates-enabled`."""
    f = item.field
    return (
        f.name == "count"
        and not f.path
        and item.aggregate is None
        and "count" not in table.columns
        and "count" not in table.computed
    )


def _is_tsvector(table: Table, f: Field) -> bool:
    column = table.columns.get(f.name)
    return column is not None and not f.path and column.type == "tsvector"


def _to_tsvector(target: Frag, language: str | None) -> Frag:
    """Full-text search on a column that is not a tsvector: `to_tsvector()` of it, in the
    filter's language when it names one (PostgREST v13, #2255)."""
    if language:
        return cat(Frag("pg_catalog.to_tsvector(%s::regconfig, ", (language,)), target, ")")
    return cat("pg_catalog.to_tsvector(", target, ")")


def _columns_of(items: list[SelectColumn | Embed]) -> list[SelectColumn]:
    return [i for i in items if isinstance(i, SelectColumn)]


def _like(value: str) -> str:
    return value.replace("*", "%")


@dataclass
class Built:
    """A read over `source` aliased "t0": the row query, its output names, its where clause."""

    rows: Frag
    names: list[str]
    where: Frag
    from_clause: Frag


def build_rows(
    table: Table,
    spec: ReadSpec,
    source: Frag | None = None,
    cap: int | None = None,
    paged: bool = True,
    positional: bool = False,
) -> Built:
    """`positional` names the output columns _c0, _c1… (CSV: names may repeat)."""
    builder = Builder(spec)
    alias = '"t0"'
    _check_embed_paths(spec)
    if not spec.items and not positional:
        select, names = _every_column(table, alias)
        conditions = builder.where(table, alias, (), {})
    else:
        columns, inner_where, exists = builder.columns(table, alias, spec.items, ())
        conditions = inner_where + builder.where(table, alias, (), exists)
        named = [(e, f"_c{i}") for i, (e, _) in enumerate(columns)] if positional else columns
        select, names = builder.select_clause(named), [n for _, n in columns]
    from_clause = cat(source or Frag(table.qualified), f" {alias}")
    where = cat(" where ", join(" and ", conditions)) if conditions else Frag("")
    tail = builder.order_limit(table, alias, (), cap) if paged else Frag("")
    if paged and source is None and _deferred_page(table, spec, builder):
        rows = _deferred_rows(table, alias, select, from_clause, where, builder, tail)
    else:
        rows = cat("select ", select, " from ", from_clause, where, builder.group_by(()), tail)
    return Built(rows, names, where, from_clause)


DEFERRED_OFFSET = 1000  # from this offset on, a page's keys are found first (see below)


def _deferred_page(table: Table, spec: ReadSpec, builder: Builder) -> bool:
    """A deep page of a table ordered by plain columns that end with its one-column primary key:
    the order is total, so finding the page's keys first gives the very rows of the plain query."""
    terms = spec.order.get((), [])
    key = table.primary_key
    return (
        (spec.offset.get(()) or 0) >= DEFERRED_OFFSET
        and table.kind in ("r", "p")
        and len(key) == 1
        and bool(terms)
        and all(t.relation is None and not t.field.path for t in terms)
        and terms[-1].field.name == key[0]
        and not builder.groups.get(())
    )


def _deferred_rows(
    table: Table,
    alias: str,
    select: Frag,
    from_clause: Frag,
    where: Frag,
    builder: Builder,
    tail: Frag,
) -> Frag:
    """`offset` skips rows it has read: the page's keys are read first (an index-only scan of
    the order's index reads no skipped row's heap tuple), then only the page's rows. The same
    policies apply to both scans."""
    key = f"{alias}.{quote(table.primary_key[0])}"
    keys = cat("select ", key, " from ", from_clause, where, tail)
    order = builder.order_clause(table, alias, ())
    return cat(
        "select ", select, " from ", from_clause, f" where {key} = any(array(", keys, "))", order
    )


def _every_column(table: Table, alias: str) -> tuple[Frag, list[str]]:
    """The select list of no `select=` (every column, in order): the same text the general path
    builds, made once per table."""
    key = ("every column", alias)
    if key not in table.memo:
        text = ", ".join(f"{alias}.{c.quoted} as {quote(c.name)}" for c in table.columns.values())
        table.memo[key] = (Frag(text), list(table.columns))
    select, names = table.memo[key]
    return select, list(names)


def _check_embed_paths(spec: ReadSpec) -> None:
    known: set[Path] = {()}

    def walk(items: list[SelectColumn | Embed], path: Path) -> None:
        for item in items:
            if isinstance(item, Embed):
                child = (*path, item.alias or item.name)
                known.add(child)
                walk(item.items, child)

    walk(spec.items, ())
    for mapping in (spec.filters, spec.order, spec.limit, spec.offset):
        for path in mapping:
            if path not in known:
                raise ApiError(
                    400,
                    "PGRST108",
                    f"'{'.'.join(path)}' is not an embedded resource in this request",
                    hint=f"Verify that '{'.'.join(path)}' is included in the 'select' parameter.",
                )
