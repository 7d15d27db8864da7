"""Fuzz the query grammar and request bodies against the live endpoint: whatever arrives, the
answer is never a 5xx, and always the stable error shape when it is an error."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import rest_support
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as s
from rest_support import bearer

from webui.testing import ServerProcess

# `make test` runs a small budget; bench/rest_fuzz.py multiplies it (×30: about 50,000 cases).
SCALE = max(1, int(os.environ.get("PGWARDEN_FUZZ_SCALE", "1")))
# bench/rest_fuzz.py's run: where the tally goes (JSON), and the wall-clock time (epoch seconds)
# past which every test stops; there a failing case is recorded and the run goes on.
REPORT = os.environ.get("PGWARDEN_FUZZ_REPORT")
# The run's time bound (seconds), shared among the tests by their budgets: each stops at its share.
BOUND = float(os.environ.get("PGWARDEN_FUZZ_SECONDS", "0"))
SHARES: dict[str, float] = {}  # test name → its share of the bound (set by `budget`)
PROGRESS_EVERY = 1000


def budget(examples: int, requests_per_example: int = 1) -> settings:
    name = f"#{len(SHARES)}"
    SHARES[name] = examples * requests_per_example
    # In the full-size run a failure is recorded, not raised, and nothing is shrunk: shrinking
    # a slow failing case is what kept that run from finishing.
    phases = [Phase.explicit, Phase.reuse, Phase.generate] if REPORT else list(Phase)
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=phases,
        database=None if REPORT else settings.default.database,
    )


class Tally:
    """Cases sent and failures met, per test: the full-size run's summary."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.cases: dict[str, int] = {}
        self.failures: list[dict[str, Any]] = []
        self.stopped: list[str] = []
        self.began: dict[str, float] = {}

    @staticmethod
    def current() -> str:
        return os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]

    def before(self) -> None:
        name = self.current()
        if name not in self.began:
            self.began[name] = time.monotonic()
        if BOUND and time.monotonic() - self.began[name] > BOUND * share(name):
            if self.current() not in self.stopped:
                self.stopped.append(self.current())
            pytest.skip("the run's time bound was reached")

    def sent(self) -> None:
        name = self.current()
        self.cases[name] = self.cases.get(name, 0) + 1
        total = sum(self.cases.values())
        if REPORT and total % PROGRESS_EVERY == 0:
            load = Path("/proc/loadavg").read_text().split()[0]
            print(
                f"fuzz: {total:,} cases, {len(self.failures)} failures, "
                f"{time.monotonic() - self.started:.0f} s, load {load}",
                file=sys.stderr,
                flush=True,
            )

    def failed(self, request: str, error: BaseException) -> None:
        if not REPORT:
            raise error
        text = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        self.failures.append({"test": self.current(), "request": request, "error": text[:400]})


TALLY = Tally()


def share(name: str) -> float:
    """This test's part of the time bound, by its planned requests (the order of `budget`)."""
    order = [n for n in TESTS if n in _selected()]
    if name not in order:
        return 1.0
    planned = {n: list(SHARES.values())[TESTS.index(n)] for n in order}
    return planned[name] / sum(planned.values())


# The fuzz tests in the order of their `budget` declarations.
TESTS = [
    "test_query_grammar_never_5xx",
    "test_well_formed_queries_never_5xx",
    "test_write_bodies_never_5xx",
    "test_rpc_never_5xx",
    "test_headers_and_raw_bodies_never_5xx",
]


def _selected() -> list[str]:
    chosen = os.environ.get("PGWARDEN_FUZZ_TESTS")
    return chosen.split(",") if chosen else TESTS


def exchange(
    http: httpx.Client,
    method: str,
    url: str,
    verify: Callable[[httpx.Response], None] | None = None,
    **kwargs: Any,
) -> None:
    """Send one case and check its answer (a timeout is a failure: a hang)."""
    TALLY.before()
    try:
        (verify or check)(http.request(method, url, **kwargs))
    except (AssertionError, httpx.TimeoutException) as error:
        TALLY.failed(f"{method} {url} {kwargs.get('params') or ''}"[:300], error)
    finally:
        TALLY.sent()


# The module-scoped fixtures of rest_support, used here by name.
base = rest_support.base
rest_db = rest_support.rest_db
rest_server = rest_support.rest_server


COLUMNS = [
    "id",
    "title",
    "author_id",
    "pages",
    "tags",
    "data",
    "price",
    "period",
    "search",
    "published",
    "nope",
    '"ti tle"',
    "data->>rating",
    "data->awards->0",
    "id::text",
]
OPERATORS = [
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "like",
    "ilike",
    "match",
    "imatch",
    "in",
    "is",
    "isdistinct",
    "fts",
    "plfts",
    "phfts",
    "wfts",
    "cs",
    "cd",
    "ov",
    "sl",
    "sr",
    "nxr",
    "nxl",
    "adj",
    "not.eq",
    "eq(any)",
    "like(all)",
    "fts(english)",
    "bogus",
    "",
]
EMBEDS = [
    "authors(*)",
    "authors!inner(name)",
    "reviews(stars)",
    "genres(name)",
    "...authors(name)",
    "people(*)",
    "reviews!nope(*)",
    "x:authors(id)",
    "authors(books(id))",
    "...reviews(stars)",
    "reviews(count)",
]
TEXT = s.text(alphabet=s.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
VALUES = s.one_of(
    TEXT,
    s.integers().map(str),
    s.sampled_from(
        [
            "null",
            "true",
            "(1,2)",
            "{a,b}",
            "[1,5)",
            '"x,y"',
            "()",
            "(",
            "1.5",
            "'; drop table x",
            "*",
        ]
    ),
)


@s.composite
def filter_pair(draw: s.DrawFn) -> tuple[str, str]:
    column = draw(s.sampled_from(COLUMNS))
    prefix = draw(s.sampled_from(["", "reviews.", "authors.", "nope."]))
    return prefix + column.split("::")[0], f"{draw(s.sampled_from(OPERATORS))}.{draw(VALUES)}"


@s.composite
def query(draw: s.DrawFn) -> list[tuple[str, str]]:
    pairs = draw(s.lists(filter_pair(), max_size=3))
    if draw(s.booleans()):
        items = draw(
            s.lists(
                s.sampled_from(COLUMNS + EMBEDS + ["*", "", "a:b:c", "("]), min_size=1, max_size=4
            )
        )
        pairs.append(("select", ",".join(items)))
    if draw(s.booleans()):
        pairs.append(
            (
                "order",
                draw(
                    s.sampled_from(
                        ["id.desc", "pages.asc.nullsfirst", "x.y", "data->>rating.desc", "id.", ""]
                    )
                ),
            )
        )
    if draw(s.booleans()):
        inner = ",".join(
            f"{c}.{v}" for c, v in draw(s.lists(filter_pair(), min_size=1, max_size=3))
        )
        pairs.append(
            (
                draw(s.sampled_from(["or", "and", "not.or", "reviews.or"])),
                draw(s.sampled_from([f"({inner})", inner, f"(and({inner}))"])),
            )
        )
    for name in ("limit", "offset"):
        if draw(s.booleans()):
            pairs.append((name, draw(s.sampled_from(["0", "3", "-1", "x", "99999999999999"]))))
    if draw(s.booleans()):
        pairs.append((draw(TEXT), draw(TEXT)))
    return pairs


GOOD_COLUMNS = [
    "id",
    "title",
    "author_id",
    "pages",
    "tags",
    "data",
    "price",
    "period",
    "search",
    "published",
    "data->>rating",
    "data->awards->0",
]
GOOD_EMBEDS = [
    "authors(name)",
    "authors!inner(*)",
    "reviews(stars,body)",
    "genres(name)",
    "...authors(country)",
    "reviews!inner(id)",
    "...reviews(stars,body)",
    "reviews(count)",
]


@s.composite
def well_formed_query(draw: s.DrawFn) -> list[tuple[str, str]]:
    """Only names that exist and shapes that parse, so that almost every example reaches SQL."""
    items = draw(s.lists(s.sampled_from(GOOD_COLUMNS + GOOD_EMBEDS), min_size=1, max_size=4))
    pairs = [("select", ",".join(items))]
    for _ in range(draw(s.integers(0, 3))):
        column = draw(s.sampled_from(GOOD_COLUMNS))
        operator = draw(s.sampled_from([o for o in OPERATORS if o and o != "bogus"]))
        pairs.append((column, f"{operator}.{draw(VALUES)}"))
    if draw(s.booleans()):
        terms = [
            f"{draw(s.sampled_from(GOOD_COLUMNS))}.{draw(s.sampled_from(OPERATORS[:8]))}"
            f".{draw(s.integers(0, 400))}"
            for _ in range(draw(s.integers(1, 3)))
        ]
        pairs.append(("or", f"({','.join(terms)})"))
    if any(i.startswith("reviews") for i in items) and draw(s.booleans()):
        pairs += [
            ("reviews.stars", f"gte.{draw(s.integers(1, 5))}"),
            ("reviews.order", "stars.desc"),
            ("reviews.limit", "1"),
        ]
    pairs.append(
        (
            "order",
            draw(
                s.sampled_from(
                    ["id.desc", "pages.asc.nullsfirst", "data->>rating.desc.nullslast,id"]
                )
            ),
        )
    )
    return pairs


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.url, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"code", "message", "details", "hint"}
        # A syntax error in the statement, or an ambiguous reference, would be SQL we built
        # wrong (a value that fails its type's own syntax, e.g. a tsvector, is the client's).
        assert not body["message"].startswith("syntax error at"), (response.request.url, body)
        assert body["code"] not in ("42702", "42P10", "XX000"), (response.request.url, body)


@pytest.fixture(scope="module")
def http(base: str) -> httpx.Client:
    with httpx.Client(base_url=base, headers={"Accept-Profile": "test_api"}, timeout=10) as client:
        yield client


@budget(800)
@given(
    pairs=query(),
    accept=s.sampled_from(
        ["application/json", "text/csv", "application/vnd.pgrst.object+json", "*/*"]
    ),
    range_header=s.sampled_from([None, "0-2", "5-1", "abc", "3-"]),
)
def test_query_grammar_never_5xx(
    http: httpx.Client, pairs: list, accept: str, range_header: str | None
) -> None:
    headers = {"Accept": accept, "Prefer": "count=exact"}
    if range_header:
        headers["Range"] = range_header
    exchange(http, "GET", "/books", params=pairs, headers=headers)


@budget(400)
@given(pairs=well_formed_query(), accept=s.sampled_from(["application/json", "text/csv"]))
def test_well_formed_queries_never_5xx(http: httpx.Client, pairs: list, accept: str) -> None:
    headers = {"Accept": accept, "Prefer": "count=exact"}
    exchange(http, "GET", "/books", params=pairs, headers=headers)


JSON = s.recursive(
    s.none() | s.booleans() | s.integers() | s.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: s.lists(inner, max_size=3) | s.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
ROW = s.fixed_dictionaries(
    {}, optional={"id": JSON, "name": JSON, "qty": JSON, "created_at": JSON, "bogus": JSON}
)


@budget(200)
@given(
    body=s.one_of(ROW, s.lists(ROW, max_size=3), JSON),
    method=s.sampled_from(["POST", "PATCH", "PUT"]),
    prefer=s.sampled_from(
        [
            "return=representation",
            "missing=default",
            "resolution=merge-duplicates",
            "handling=strict, tx=rollback",
            "return=headers-only",
        ]
    ),
)
def test_write_bodies_never_5xx(http: httpx.Client, body: object, method: str, prefer: str) -> None:
    headers = {**bearer(), "Content-Profile": "test_api", "Prefer": prefer + ", tx=rollback"}
    exchange(http, method, "/items?id=eq.1", json=body, headers=headers)


@budget(100, requests_per_example=2)
@given(name=TEXT, args=s.dictionaries(TEXT, JSON, max_size=3))
def test_rpc_never_5xx(http: httpx.Client, name: str, args: dict) -> None:
    headers = {"Content-Profile": "test_api"}
    exchange(http, "POST", f"/rpc/{quote(name, safe='') or 'add'}", json=args, headers=headers)
    exchange(http, "POST", "/rpc/add", json=args, headers=headers)


HEADER_TEXT = s.text(
    alphabet=s.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
).map(str.strip)
HEADER_VALUES = {
    "Accept": [
        "application/json",
        "text/csv",
        "application/vnd.pgrst.object+json;nulls=stripped",
        "application/vnd.pgrst.plan+text",
        "application/openapi+json",
        "*/*",
        "text/html",
    ],
    "Content-Type": [
        "application/json",
        "text/csv",
        "application/x-www-form-urlencoded",
        "application/vnd.pgrst.object+json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ],
    "Prefer": [
        "return=representation",
        "count=exact",
        "count=planned",
        "handling=strict, max-affected=1",
        "resolution=merge-duplicates",
        "missing=default",
        "timezone=Europe/Paris",
        "timezone=Not/AZone",
        "tx=rollback",
    ],
    "Range": ["0-0", "1-", "9-3", "-5", "items=0-10", "0-99999999999999"],
    "Accept-Profile": ["test_api", "api", "nope", ""],
    "Content-Profile": ["test_api", "api", "nope", ""],
    "Authorization": ["Bearer x", "Basic abc", "Bearer a.b.c", "Bearer", ""],
    "Cookie": ["pgw_session=x", "pgw_session=", "a=b; c"],
}
HEADERS = s.dictionaries(s.sampled_from(sorted(HEADER_VALUES)), HEADER_TEXT, max_size=4).flatmap(
    lambda keys: s.fixed_dictionaries(
        {k: s.one_of(s.sampled_from(HEADER_VALUES[k]), HEADER_TEXT) for k in keys}
    )
)
RAW_BODIES = s.one_of(
    s.binary(max_size=64),
    s.sampled_from([b"[" * 5000, b"{" * 5000, b'{"id": 1e999}', b"id,name\n1", b"a=b&c"]),
    JSON.map(lambda v: json.dumps(v).encode()),
)
PATHS = s.sampled_from(
    ["/items", "/books?select=id", "/rpc/add", "/rpc/echo_body", "/nope", "/items/1", "/"]
)


@budget(200)
@given(
    method=s.sampled_from(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"]),
    path=PATHS,
    headers=HEADERS,
    body=RAW_BODIES,
)
def test_headers_and_raw_bodies_never_5xx(
    http: httpx.Client, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    """Any header among those the dialect reads, well-formed or not, with any body."""
    content = None if method in ("GET", "HEAD") else body

    def verify(response: httpx.Response) -> None:
        assert response.status_code < 500, (method, path, headers, body[:80], response.text)
        if response.status_code >= 400 and method != "HEAD" and response.content:
            assert set(response.json()) == {"code", "message", "details", "hint"}

    exchange(http, method, path, verify, headers=headers, content=content)


def test_server_logged_no_unhandled_error(rest_server: ServerProcess) -> None:
    assert "unhandled error" not in rest_server.log()


@pytest.fixture(scope="module", autouse=True)
def report(rest_server: ServerProcess) -> Iterator[None]:
    """The full-size run's tally, written when the module ends (bench/rest_fuzz.py reads it)."""
    yield
    if REPORT:
        log = rest_server.log()
        tally = {
            "cases": TALLY.cases,
            "failures": TALLY.failures,
            "stopped_by_time_bound": TALLY.stopped,
            "seconds": time.monotonic() - TALLY.started,
            "unhandled_errors_logged": log.count("unhandled error"),
            "tracebacks_logged": log.count("Traceback (most recent call last)"),
        }
        Path(REPORT).write_text(json.dumps(tally, indent=1))
