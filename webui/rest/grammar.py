"""The query-string grammar of the dialect, parsed into plain data (no SQL here).

select=alias:col->a->>b::text,rel!hint!inner(col),...spread(col)
col=[not.]op[(any|all)][(fts config)].value        or=(a.eq.1,and(b.gt.2,c.is.null))
order=col.desc.nullslast,other                     limit, offset, columns, on_conflict
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from webui.rest.errors import parse_error

OPERATORS = {
    "eq": "=",
    "neq": "<>",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "like": "like",
    "ilike": "ilike",
    "match": "~",
    "imatch": "~*",
    "cs": "@>",
    "cd": "<@",
    "ov": "&&",
    "sl": "<<",
    "sr": ">>",
    "nxr": "&<",
    "nxl": "&>",
    "adj": "-|-",
    "in": "in",
    "is": "is",
    "isdistinct": "is distinct from",
    "fts": "@@",
    "plfts": "@@",
    "phfts": "@@",
    "wfts": "@@",
}
QUANTIFIABLE = {"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"}
FTS_FUNCTIONS = {
    "fts": "to_tsquery",
    "plfts": "plainto_tsquery",
    "phfts": "phraseto_tsquery",
    "wfts": "websearch_to_tsquery",
}
# `is.not_null` is PostgREST v13's (#3747): the same as `not.is.null`.
IS_VALUES = {
    "null": "null",
    "not_null": "not null",
    "true": "true",
    "false": "false",
    "unknown": "unknown",
}
CASTS = {
    "text",
    "int",
    "integer",
    "int2",
    "int4",
    "int8",
    "smallint",
    "bigint",
    "numeric",
    "real",
    "float",
    "float4",
    "float8",
    "double precision",
    "boolean",
    "bool",
    "json",
    "jsonb",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "varchar",
    "char",
    "interval",
    "inet",
    "money",
}
_NAME = r'(?:"(?:[^"]|"")+"|[^\s,.:()!"\->]+)'
_FIELD = re.compile(rf"^({_NAME})((?:->>?(?:{_NAME}|-?\d+))*)$")
_ARROW = re.compile(rf"(->>?)({_NAME}|-?\d+)")
_OP = re.compile(r"^(not\.)?([a-z]+)(?:\((any|all)\))?(?:\(([A-Za-z0-9_ ]+)\))?\.(.*)$", re.S)


@dataclass(frozen=True)
class Field:
    name: str
    path: tuple[tuple[str, str], ...] = ()

    @property
    def default_alias(self) -> str:
        return self.path[-1][1] if self.path else self.name


AGGREGATES = ("count", "sum", "avg", "max", "min")


@dataclass
class SelectColumn:
    field: Field
    alias: str | None = None
    cast: str | None = None
    aggregate: str | None = None  # count | sum | avg | max | min (db-aggregates-enabled)
    input_cast: str | None = None  # `amount::int.sum()`: the cast of the aggregated value


@dataclass
class Embed:
    name: str
    alias: str | None = None
    hint: str | None = None
    inner: bool = False
    spread: bool = False
    items: list[SelectColumn | Embed] = field(default_factory=list)


@dataclass
class Filter:
    field: Field
    operator: str
    value: str | list[str]
    negate: bool = False
    quantifier: str | None = None
    language: str | None = None


@dataclass
class Logic:
    conjunction: str  # and | or
    children: list[Filter | Logic]
    negate: bool = False


@dataclass
class OrderTerm:
    field: Field
    descending: bool = False
    nulls: str | None = None  # first | last
    relation: str | None = None  # `authors(name).desc`: a column of a to-one embed


def unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def parse_field(text: str) -> Field:
    match = _FIELD.match(text.strip())
    if not match:
        raise parse_error(f'"failed to parse field: {text}"')
    path = tuple((arrow, unquote(key)) for arrow, key in _ARROW.findall(match.group(2)))
    return Field(unquote(match.group(1)), path)


def split_top(text: str, separator: str = ",") -> list[str]:
    """Split on separators outside quotes, parentheses and braces."""
    parts, depth, quoted, start, index = [], 0, False, 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\" and quoted:
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "({":
            depth += 1
        elif not quoted and char in ")}":
            depth -= 1
            if depth < 0:
                raise parse_error(f'"unbalanced parentheses in: {text}"')
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    if depth or quoted:
        raise parse_error(f'"unbalanced parentheses or quotes in: {text}"')
    parts.append(text[start:])
    return parts


def _unescape_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_list(value: str) -> list[str]:
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error(f'"failed to parse list: {value}"', "expected in.(a,b,c)")
    inner = value[1:-1]
    return [_unescape_value(v) for v in split_top(inner)] if inner.strip() else []


def parse_operation(field_: Field, text: str) -> Filter:
    match = _OP.match(text)
    if not match:
        raise parse_error(f'"failed to parse filter ({text})"', "expected [not.]operator.value")
    negate, operator, quantifier, language, value = match.groups()
    if operator not in OPERATORS:
        raise parse_error(f'"unknown operator ({operator})"', f"one of: {', '.join(OPERATORS)}")
    if quantifier and operator not in QUANTIFIABLE:
        raise parse_error(f'"{operator} does not accept (any) or (all)"')
    if language and operator not in FTS_FUNCTIONS:
        raise parse_error(f'"only full-text operators take a language: {operator}"')
    parsed: str | list[str] = value
    if operator == "in" or quantifier:
        parsed = parse_list(value if operator == "in" else _brace_to_paren(value))
    elif operator == "is":
        if value.lower() not in IS_VALUES:
            raise parse_error(f'"is accepts null, not_null, true, false or unknown, not: {value}"')
        parsed = IS_VALUES[value.lower()]
    return Filter(field_, operator, parsed, bool(negate), quantifier, language)


def _brace_to_paren(value: str) -> str:
    if value.startswith("{") and value.endswith("}"):
        return "(" + value[1:-1] + ")"
    return value


def parse_logic(conjunction: str, value: str, negate: bool = False) -> Logic:
    value = value.strip()
    if not (value.startswith("(") and value.endswith(")")):
        raise parse_error(f'"failed to parse logic tree ({value})"', "expected or=(a.eq.1,b.eq.2)")
    children: list[Filter | Logic] = []
    for part in split_top(value[1:-1]):
        children.append(_logic_child(part.strip()))
    if not children or any(c is None for c in children):
        raise parse_error(f'"empty logic tree ({value})"')
    return Logic(conjunction, children, negate)


def _logic_child(part: str) -> Filter | Logic:
    nested = re.match(r"^(not\.)?(and|or)(\(.*\))$", part, re.S)
    if nested:
        return parse_logic(nested.group(2), nested.group(3), bool(nested.group(1)))
    field_text, operation = _split_field(part)
    node = parse_operation(parse_field(field_text), operation)
    if isinstance(node.value, str) and node.operator not in ("is",):
        node.value = _unescape_value(node.value)  # `name.eq."Le Guin, Ursula"` inside or=(…)
    return node


def _split_field(part: str) -> tuple[str, str]:
    """`data->>a.eq.1` → (`data->>a`, `eq.1`): the field ends at the first dot outside quotes."""
    quoted = False
    for index, char in enumerate(part):
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            return part[:index], part[index + 1 :]
    raise parse_error(f'"failed to parse logic tree element ({part})"')


def parse_order(value: str) -> list[OrderTerm]:
    terms = []
    for part in split_top(value):
        pieces = _order_pieces(part.strip())
        if not pieces[0]:
            raise parse_error(f'"failed to parse order ({value})"')
        term = _order_target(pieces[0])
        for modifier in pieces[1:]:
            if modifier in ("asc", "desc"):
                term.descending = modifier == "desc"
            elif modifier in ("nullsfirst", "nullslast"):
                term.nulls = modifier[5:]
            else:
                raise parse_error(
                    f'"failed to parse order ({value})"', "asc|desc, nullsfirst|nullslast"
                )
        terms.append(term)
    return terms


_RELATED = re.compile(rf"^({_NAME})\((.+)\)$", re.S)


def _order_pieces(part: str) -> list[str]:
    """`authors(name).desc.nullslast` → [`authors(name)`, `desc`, `nullslast`]."""
    if ")" not in part:
        return part.split(".")
    end = part.rindex(")") + 1
    head, tail = part[:end], part[end:]
    if tail and not tail.startswith("."):
        return [""]
    return [head, *tail.split(".")[1:]]


def _order_target(text: str) -> OrderTerm:
    related = _RELATED.match(text)
    if related:
        return OrderTerm(parse_field(related.group(2)), relation=unquote(related.group(1)))
    return OrderTerm(parse_field(text))


def parse_select(value: str) -> list[SelectColumn | Embed]:
    items: list[SelectColumn | Embed] = []
    for part in split_top(value):
        part = part.strip()
        if not part:
            raise parse_error(f'"failed to parse select parameter ({value})"', "empty select item")
        items.append(_select_item(part))
    return items


_AGGREGATE = re.compile(
    r"^(?:(?P<field>.+?)(?:::(?P<incast>[a-z0-9 ]+))?\.)?(?P<agg>count|sum|avg|max|min)\(\)"
    r"(?:::(?P<outcast>[a-z0-9 ]+))?$",
    re.S,
)


def _aggregate_item(part: str) -> SelectColumn | None:
    """`count()`, `amount.sum()`, `total:amount.avg()::int`, `amount::int.max()`."""
    alias, _, rest = _split_alias(part)
    match = _AGGREGATE.match(rest.strip())
    if not match:
        return None
    aggregate, field_text = match.group("agg"), match.group("field")
    if field_text is None and aggregate != "count":
        raise parse_error(
            f'"failed to parse select parameter ({part})"', f"{aggregate}() needs a column"
        )
    for cast in (match.group("incast"), match.group("outcast")):
        if cast and cast.strip() not in CASTS:
            raise parse_error(f'"unsupported cast ({cast})"', f"one of: {', '.join(sorted(CASTS))}")
    field_ = parse_field(field_text) if field_text else Field("*")
    return SelectColumn(field_, alias, match.group("outcast"), aggregate, match.group("incast"))


def uses_aggregates(items: list[SelectColumn | Embed]) -> bool:
    return any(
        uses_aggregates(i.items) if isinstance(i, Embed) else i.aggregate is not None for i in items
    )


def _select_item(part: str) -> SelectColumn | Embed:
    aggregate = _aggregate_item(part)
    if aggregate is not None:
        return aggregate
    if part.endswith(")") and "(" in part:
        return _embed(part)
    alias, _, rest = _split_alias(part)
    expression, _, cast = rest.partition("::")
    if cast and cast.strip().lower() not in CASTS:
        raise parse_error(f'"unsupported cast ({cast})"', f"one of: {', '.join(sorted(CASTS))}")
    if expression.strip() == "*":
        return SelectColumn(Field("*"))
    return SelectColumn(parse_field(expression), alias, cast.strip().lower() or None)


def _split_alias(part: str) -> tuple[str | None, str, str]:
    match = re.match(rf"^({_NAME}):(?!:)(.*)$", part, re.S)
    if match:
        return unquote(match.group(1)), ":", match.group(2)
    return None, "", part


def _embed(part: str) -> Embed:
    spread = part.startswith("...")
    head, _, body = part.removeprefix("...").partition("(")
    alias, _, target = _split_alias(head)
    names = target.split("!")
    embed = Embed(unquote(names[0].strip()), alias, spread=spread)
    for hint in names[1:]:
        if hint == "inner":
            embed.inner = True
        elif hint == "left":
            embed.inner = False
        elif hint and embed.hint is None:
            embed.hint = unquote(hint)
        else:
            raise parse_error(f'"failed to parse select parameter ({part})"', "one hint at most")
    if not embed.name:
        raise parse_error(f'"failed to parse select parameter ({part})"')
    inner = body[:-1]
    embed.items = parse_select(inner) if inner.strip() else []
    return embed


def parse_int(name: str, value: str) -> int:
    if not re.fullmatch(r"\d{1,12}", value.strip()):
        raise parse_error(f'"failed to parse {name} parameter ({value})"', "a non-negative integer")
    return int(value)
