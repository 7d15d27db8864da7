"""Property: whatever a policy file holds, the parser and checker report issues and never raise,
and whatever they accept without errors compiles. Mutations of the real library declarations
explore the neighbourhood of valid files, where the interesting mistakes are."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webui.policies import checker, compiler, parser
from webui.policies import model as m

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = tomllib.loads((ROOT / "policies" / "library.toml").read_text())
FINE = tomllib.loads(
    (ROOT / "examples" / "fine_grained_policies" / "fine_grained_policies.toml").read_text()
)
WORDS = [
    "user.id",
    "claim.tenant_id",
    "row.branch_id",
    "input.branch_id",
    "id",
    "branch_id",
    "loans",
    "patrons",
    "staff",
    "anon",
    "set_null",
    "text",
    "bigint",
    "x = user.id",
    "user_id is null",
    "",
    "all_of",
    "any_of",
    "not",
    "exists",
    "tier_at_least",
]
scalars = st.one_of(
    st.sampled_from(WORDS), st.integers(-3, 3), st.booleans(), st.none(), st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from([*WORDS, "field", "equals", "resource", "where", "type", "references"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=12,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def _run(data: Any) -> None:
    decl = m.Declarations(path=Path("fuzz.toml"), schema="public")
    if not isinstance(data, dict):
        data = {"resources": data}
    decl = parser.load_data(data, decl)
    issues = checker.check([decl])
    for issue in issues:
        assert issue.file and issue.code and issue.message
    if not [i for i in issues if i.level == "error"]:
        catalog = {r.name: r for r in decl.resources}
        change = compiler.compile_decl(decl, catalog, "fuzz.toml")
        assert change.deploy.startswith("-- Deploy pgwarden:policies_fuzz")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([LIBRARY, FINE]), st.data())
def test_mutated_declarations_never_crash(base: dict[str, Any], data: st.DataObject) -> None:
    paths = _paths(base)
    path = data.draw(st.sampled_from(paths))
    _run(_replace(base, path, data.draw(values)))


@settings(max_examples=200, deadline=None)
@given(values)
def test_arbitrary_documents_never_crash(document: Any) -> None:
    _run(document)
