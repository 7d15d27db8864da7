"""Benchmark of the REST dialect against its ceiling and its peer, in one run on one machine.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/rest_bench.py [--duration 10] [--connections 32]

Cases: single-row GET by primary key, a 25-row filtered and ordered list, the same list with one
embedded relation, a single-row POST and a single-row PATCH. For each: pgbench running the same
SQL transaction that pgwarden sends (the physical ceiling), pgwarden with 1 and 2 worker
processes, and Django REST Framework (gunicorn, persistent connections) on the same tables.
The load generator is wrk on loopback. Results go to bench/results/rest.{json,md,png}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import jwt
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webui.ops.cluster import Cluster  # noqa: E402
from webui.rest import schema as rest_schema  # noqa: E402
from webui.rest import statements as st  # noqa: E402
from webui.rest.build import Frag, ReadSpec, build_rows  # noqa: E402
from webui.rest.params import read_spec  # noqa: E402
from webui.rest.runner import BEGIN, Context  # noqa: E402
from webui.testing import deploy_all, free_port, url_for_database  # noqa: E402

DATABASE = "pgwarden_bench"
SECRET = "bench-secret-" + "0" * 60
RESULTS = ROOT / "bench" / "results"
ID, AUTHOR = "424242", "4242"  # sentinels replaced by pgbench variables


@dataclass
class Case:
    name: str
    title: str
    method: str
    pgwarden_path: str  # Lua expression
    drf_path: str  # Lua expression
    body: str | None = None  # Lua expression
    write: bool = False
    audited_of: str | None = None  # the unaudited case this one repeats on bench.audited_items


CASES = [
    Case(
        "get_one",
        "GET one row by primary key",
        "GET",
        '"/rest/v1/items?id=eq." .. id',
        '"/items/" .. id',
    ),
    Case(
        "list_25",
        "GET 25 rows, filtered and ordered",
        "GET",
        '"/rest/v1/items?select=id,name,qty,price&author_id=eq." .. author .. "&order=id&limit=25"',
        '"/items?author_id=" .. author',
    ),
    Case(
        "embed_25",
        "GET 25 rows with one embedded relation",
        "GET",
        '"/rest/v1/items?select=id,name,authors(name)&author_id=eq." .. author'
        ' .. "&order=id&limit=25"',
        '"/items-embed?author_id=" .. author',
    ),
    Case(
        "post_one",
        "POST one row",
        "POST",
        '"/rest/v1/items"',
        '"/items"',
        '\'{"name":"bench","qty":1,"author_id":\' .. author .. \'}\'',
        write=True,
    ),
    Case(
        "patch_one",
        "PATCH one row by primary key",
        "PATCH",
        '"/rest/v1/items?id=eq." .. id',
        '"/items/" .. id',
        "'{\"qty\":7}'",
        write=True,
    ),
    # the same writes on an audited copy of the table (pgwarden only: issue 18's goal is an
    # audited single-row POST or PATCH at >= 85 % of the unaudited request rate)
    Case(
        "post_audited",
        "POST one row, audited table",
        "POST",
        '"/rest/v1/audited_items"',
        "",
        '\'{"name":"bench","qty":1,"author_id":\' .. author .. \'}\'',
        write=True,
        audited_of="post_one",
    ),
    Case(
        "patch_audited",
        "PATCH one row by primary key, audited table",
        "PATCH",
        '"/rest/v1/audited_items?id=eq." .. id',
        "",
        "'{\"qty\":7}'",
        write=True,
        audited_of="patch_one",
    ),
]
PGWARDEN_ONLY = {c.name for c in CASES if c.audited_of}


@dataclass
class Measure:
    case: str
    target: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


# --- database --------------------------------------------------------------------------------
def prepare_database() -> tuple[Cluster, str]:
    cluster = Cluster(ROOT / ".pgwarden" / "bench")
    cluster.start()
    server = cluster.url("postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    url = url_for_database(server, DATABASE)
    deploy_all(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((ROOT / "bench" / "rest_schema.sql").read_text())
        conn.execute(AUDITED_COPY)
    return cluster, url


# An audited copy of bench.items, written by the *_audited cases (row audit: docs/audit.md).
AUDITED_COPY = """
create table bench.audited_items (like bench.items including all);
alter table bench.audited_items
  add foreign key (author_id) references bench.authors (id);
insert into bench.audited_items overriding system value select * from bench.items;
select setval(pg_get_serial_sequence('bench.audited_items', 'id'), 10000);
grant select, insert, update on bench.audited_items to pgw_user;
grant usage on all sequences in schema bench to pgw_user;
select audit.enable('bench.audited_items');
analyze bench.audited_items;
"""


def reset_items(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("items", "audited_items"):
            conn.execute(f"delete from bench.{name} where id > 10000")
            conn.execute(f"update bench.{name} set qty = id % 1000")
            conn.execute(f"vacuum analyze bench.{name}")


# --- the SQL pgwarden sends, for pgbench ----------------------------------------------------
def _literal(value: object) -> str:
    text = str(value)
    if text == ID:
        return ":id"
    if text == AUTHOR:
        return ":author"
    return sql.Literal(text).as_string(None)


def inline(frag: Frag) -> str:
    """The statement with its parameters as literals (and the sentinels as pgbench variables)."""
    values = iter(frag.params)
    return re.sub(
        r"%%|%s", lambda m: "%" if m.group() == "%%" else _literal(next(values)), frag.text
    )


def context_statement(read_only: bool) -> str:
    claims = json.dumps({"role": "pgw_user", "sub": "1"}, separators=(",", ":"))
    context = Context(
        "pgw_user",
        claims,
        "GET",
        "/rest/v1/items",
        "{}",
        "{}",
        "bench",
        "127.0.0.1",
        authenticated=True,
    )
    return inline(Frag(*context.begin(read_only)))


async def load_cache(url: str) -> rest_schema.SchemaCache:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await rest_schema.load(conn, ("bench",))


def pgbench_script(case: Case, table: rest_schema.Table) -> str:
    head = "\\set id random(1, 10000)\n\\set author random(1, 100)\n"
    if case.write:
        return head + _write_script(case, table)
    query = {
        "get_one": [("id", f"eq.{ID}")],
        "list_25": [
            ("select", "id,name,qty,price"),
            ("author_id", f"eq.{AUTHOR}"),
            ("order", "id"),
            ("limit", "25"),
        ],
        "embed_25": [
            ("select", "id,name,authors(name)"),
            ("author_id", f"eq.{AUTHOR}"),
            ("order", "id"),
            ("limit", "25"),
        ],
    }[case.name]
    spec = read_spec(query)
    main = st.read_statement(build_rows(table, spec), None, st.Shape())
    return (
        head
        + "\\startpipeline\n"
        + ";\n".join([context_statement(True), inline(main)])
        + ";\n\\endpipeline\n"
    )


def _write_script(case: Case, table: rest_schema.Table) -> str:
    built = build_rows(table, ReadSpec(), source=Frag("pgrst_source"), paged=False)
    if case.name == "post_one":
        dml = st.insert_statement(table, ["name", "qty", "author_id"], None, None, False)
        body = (
            "json_build_array(json_build_object('name', 'bench', 'qty', 1,"
            " 'author_id', :author::int))"
        )
        statement = inline(st.returning(Frag(dml.text, ("BODY",)), built, st.Shape(), []))
        statement = statement.replace("'BODY'", body)
    else:
        where = st.dml_where(table, read_spec([("id", f"eq.{ID}")]))
        dml = st.update_statement(table, ["qty"], where)
        statement = inline(
            st.returning(Frag(dml.text, ('{"qty":7}', *dml.params)), built, st.Shape(), [])
        )
    return (
        "\\startpipeline\n"
        + ";\n".join([inline(BEGIN), context_statement(False), statement])
        + ";\n\\endpipeline\ncommit;\n"
    )


def run_pgbench(url: str, script: str, args: argparse.Namespace, case: Case) -> Measure:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case.sql"
        path.write_text(script)
        params = psycopg.conninfo.conninfo_to_dict(url)
        command = [
            "pgbench",
            "-n",
            "-M",
            "prepared",
            "-c",
            str(args.connections),
            "-j",
            "2",
            "-T",
            str(args.duration),
            "-f",
            str(path),
            "-l",
            "--log-prefix",
            f"{folder}/log",
            "-h",
            str(params["host"]),
            "-p",
            str(params["port"]),
            "-U",
            str(params.get("user", "postgres")),
            DATABASE,
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=folder)
        latencies = sorted(
            int(line.split()[2]) / 1000.0
            for log in Path(folder).glob("log*")
            for line in log.read_text().splitlines()
        )
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return Measure(
        case.name,
        "pgbench",
        tps,
        _pct(latencies, 50),
        _pct(latencies, 99),
        int(failed.group(1)) if failed else 0,
    )


def _pct(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))]


# --- HTTP servers ----------------------------------------------------------------------------
def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until the server answers (any HTTP status, a 401 included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def pgwarden(url: str, workers: int, pool: int) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PGRST_DB_SCHEMAS": "bench",
        "PGRST_DB_POOL": str(pool),
        "PGRST_JWT_SECRET": SECRET,
        "PGWARDEN_SECRET_KEY": "bench-" + "x" * 40,
        "PGWARDEN_POOL_MAX": str(pool),  # the pool `serve` shares with the REST dialect
    }
    command = [
        sys.executable,
        "-m",
        "webui.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with _server(command, env, port, "/rest/v1/authors?limit=1") as base:
        yield base


@contextmanager
def drf(url: str, workers: int) -> Iterator[str]:
    port = free_port()
    params = psycopg.conninfo.conninfo_to_dict(url)
    env = {
        **os.environ,
        "BENCH_DATABASE_NAME": DATABASE,
        "BENCH_DATABASE_HOST": str(params["host"]),
        "BENCH_DATABASE_PORT": str(params["port"]),
        "BENCH_DATABASE_USER": str(params.get("user", "postgres")),
        "BENCH_JWT_SECRET": SECRET,
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT / "bench"),
        "--log-level",
        "warning",
        "rest_drf.wsgi:application",
    ]
    with _server(command, env, port, "/items/1") as base:
        yield base


@contextmanager
def _server(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[str]:
    """Start a server in its own session, wait until `probe` answers, stop it on exit."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}{probe}", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process of its session (pre-forked workers included)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    time.sleep(0.5)


# --- wrk ---------------------------------------------------------------------------------------
LUA = """math.randomseed(%(seed)d)
local headers = %(headers)s
request = function()
  local id = math.random(1, 10000)
  local author = math.random(1, 100)
  return wrk.format("%(method)s", %(path)s, headers, %(body)s)
end
"""


def lua_script(case: Case, target: str) -> str:
    # the same bearer token for every peer: pgwarden reads the role claim, DRF (simplejwt) the
    # token type and id; both check the signature and the expiry
    expiry = int(time.time()) + 86400
    claims = {"role": "pgw_user", "sub": "1", "token_type": "access", "jti": "bench", "exp": expiry}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    if target.startswith("pgwarden") and case.write:
        headers["Prefer"] = "return=representation"
    table = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    path = case.pgwarden_path if target.startswith("pgwarden") else case.drf_path
    return LUA % {
        "seed": 42,
        "headers": table,
        "method": case.method,
        "path": path,
        "body": case.body or "nil",
    }


def run_wrk(base: str, case: Case, target: str, args: argparse.Namespace) -> Measure:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(case, target))
    try:
        subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", "-d2s", "-s", script.name, base],
            capture_output=True,
            check=True,
        )  # warm-up
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.duration}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    return parse_wrk(out, case.name, target)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str, case: str, target: str) -> Measure:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    count = int(errors.group(1)) if errors else 0
    if socket_errors:
        count += sum(int(g) for g in socket_errors.groups())
    return Measure(case, target, rps, p50, p99, count)


# --- report ------------------------------------------------------------------------------------
TARGETS = ["pgbench", "pgwarden-1", "pgwarden-2", "drf"]


def write_report(measures: list[Measure], args: argparse.Namespace) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    meta = {
        "commit": commit or "unknown",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "duration_s": args.duration,
        "rounds": args.rounds,
        "connections": args.connections,
        "load_before": args.load_before,
        "load_after": os.getloadavg(),
    }
    (RESULTS / "rest.json").write_text(
        json.dumps({"meta": meta, "measures": [asdict(m) for m in measures]}, indent=2) + "\n"
    )
    (RESULTS / "rest.md").write_text(markdown(measures, meta))
    plot(measures)


def write_audited_report(measures: list[Measure], args: argparse.Namespace) -> None:
    """A run of pgwarden targets only, with audited cases: bench/results/rest_audited.md."""
    load_after = os.getloadavg()
    lines = [
        "# REST dialect: audited and unaudited writes",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `bench/rest_bench.py "
        f"--targets {args.targets} --cases {args.cases}` on {os.cpu_count()} shared CPUs, "
        "load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.2f}' for x in args.load_before)} before and "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after; wrk on loopback, "
        f"{args.connections} connections, {args.duration} s per case after a 2 s warm-up, "
        f"medians of {args.rounds} rounds (each round runs every case on every target, the "
        "unaudited and the audited write one after the other).",
        "",
        "| case | target | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in CASES:
        for target in TARGETS:
            m = _get(measures, case.name, target)
            if m:
                lines.append(
                    f"| {case.title} | {target} | {m.requests_per_second:,.0f} | "
                    f"{m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.errors} |"
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "rest_audited.md").write_text("\n".join(lines + audited_lines(measures)) + "\n")


def _get(measures: list[Measure], case: str, target: str) -> Measure | None:
    return next((m for m in measures if m.case == case and m.target == target), None)


def markdown(measures: list[Measure], meta: dict) -> str:
    lines = [
        "# REST dialect benchmark",
        "",
        f"Run {meta['date']} at commit {meta.get('commit', 'unknown')} on {meta['cpus']} CPUs "
        f"({meta['machine']}), load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.2f}' for x in meta['load_before'])} before the run and "
        f"{', '.join(f'{x:.2f}' for x in meta['load_after'])} after it; wrk on loopback, "
        f"{meta['connections']} connections, {meta['duration_s']} s per case after a 2 s warm-up; "
        f"each figure is the median of {meta['rounds']} rounds over every target. "
        "Produced by `bench/rest_bench.py`; raw numbers in `rest.json`.",
        "",
        "| case | target | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in CASES:
        for target in TARGETS:
            m = _get(measures, case.name, target)
            if m:
                lines.append(
                    f"| {case.title} | {target} | {m.requests_per_second:,.0f} | "
                    f"{m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.errors} |"
                )
    lines += [
        "",
        "Ratios (req/s):",
        "",
        "| case | pgwarden-2 / DRF | pgwarden-1 / DRF | pgwarden-2 / pgbench |",
        "|---|---:|---:|---:|",
    ]
    for case in CASES:
        p1, p2 = _get(measures, case.name, "pgwarden-1"), _get(measures, case.name, "pgwarden-2")
        d, b = _get(measures, case.name, "drf"), _get(measures, case.name, "pgbench")
        if p1 and p2 and d and b:
            lines.append(
                f"| {case.title} | {p2.requests_per_second / d.requests_per_second:.1f}× | "
                f"{p1.requests_per_second / d.requests_per_second:.1f}× | "
                f"{p2.requests_per_second / b.requests_per_second:.2f} |"
            )
    return "\n".join(lines + audited_lines(measures)) + "\n"


def audited_lines(measures: list[Measure]) -> list[str]:
    """Audited / unaudited request rate of the same write, per pgwarden target (goal >= 85 %)."""
    lines = [
        "",
        "Audited writes (the same request on `bench.audited_items`, row audit enabled, in the "
        "same round as the unaudited one; goal: at least 85 % of the unaudited rate):",
        "",
        "| case | target | unaudited req/s | audited req/s | audited / unaudited | goal |",
        "|---|---|---:|---:|---:|:---:|",
    ]
    for case in CASES:
        for target in ("pgwarden-1", "pgwarden-2"):
            audited = _get(measures, case.name, target)
            plain = _get(measures, case.audited_of or "", target)
            if audited and plain:
                share = audited.requests_per_second / plain.requests_per_second
                lines.append(
                    f"| {case.title} | {target} | {plain.requests_per_second:,.0f} | "
                    f"{audited.requests_per_second:,.0f} | {share:.0%} | "
                    f"{'✓' if share >= 0.85 else '✗'} |"
                )
    return lines


def plot(measures: list[Measure]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8))
    width = 0.2
    for index, target in enumerate(TARGETS):
        xs = [i + (index - 1.5) * width for i in range(len(CASES))]
        rps = [
            (_get(measures, c.name, target) or Measure("", "", 0, 0, 0, 0)).requests_per_second
            for c in CASES
        ]
        p99 = [
            (_get(measures, c.name, target) or Measure("", "", 0, 0, 0, 0)).p99_ms for c in CASES
        ]
        top.bar(xs, rps, width, label=target)
        bottom.bar(xs, p99, width, label=target)
    for axis, label in ((top, "requests / s"), (bottom, "p99 latency (ms)")):
        axis.set_xticks(range(len(CASES)), [c.name for c in CASES])
        axis.set_ylabel(label)
        axis.grid(axis="y", alpha=0.3)
    top.legend()
    top.set_title("pgwarden REST dialect vs pgbench (same SQL) and Django REST Framework")
    figure.tight_layout()
    figure.savefig(RESULTS / "rest.png", dpi=100)


def _missing_tools() -> list[str]:
    import importlib.util
    import shutil

    missing = [
        m for m in ("django", "rest_framework", "matplotlib") if importlib.util.find_spec(m) is None
    ]
    if not Path(sys.executable).with_name("gunicorn").exists():
        missing.append("gunicorn")
    missing += [tool for tool in ("wrk", "pgbench") if shutil.which(tool) is None]
    return missing


# --- main --------------------------------------------------------------------------------------
def one_round(
    url: str,
    table: rest_schema.Table,
    cases: list[Case],
    targets: list[str],
    args: argparse.Namespace,
) -> list[Measure]:
    """Every case on every target once: pgbench, pgwarden with one and two workers, DRF."""
    measures: list[Measure] = []
    for case in cases if "pgbench" in targets else []:
        if case.name in PGWARDEN_ONLY:
            continue
        reset_items(url)
        measures.append(run_pgbench(url, pgbench_script(case, table), args, case))
        print(measures[-1], flush=True)
    for workers in (1, 2):
        if f"pgwarden-{workers}" not in targets:
            continue
        with pgwarden(url, workers, args.db_pool) as base:
            for case in cases:
                reset_items(url)
                measures.append(run_wrk(base, case, f"pgwarden-{workers}", args))
                print(measures[-1], flush=True)
    with drf(url, args.drf_workers) if "drf" in targets else contextlib.nullcontext() as base:
        for case in cases if base else []:
            if case.name in PGWARDEN_ONLY:
                continue
            reset_items(url)
            measures.append(run_wrk(base, case, "drf", args))
            print(measures[-1], flush=True)
    return measures


def medians(rounds: list[Measure]) -> list[Measure]:
    """One measure per (case, target): the median of each figure over the rounds."""
    keys = list(dict.fromkeys((m.case, m.target) for m in rounds))
    out = []
    for case, target in keys:
        runs = [m for m in rounds if (m.case, m.target) == (case, target)]
        out.append(
            Measure(
                case,
                target,
                statistics.median(m.requests_per_second for m in runs),
                statistics.median(m.p50_ms for m in runs),
                statistics.median(m.p99_ms for m in runs),
                sum(m.errors for m in runs),
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds over every target; medians are reported"
    )
    parser.add_argument("--drf-workers", type=int, default=5, help="gunicorn sync workers")
    parser.add_argument("--cases", default=",".join(c.name for c in CASES))
    parser.add_argument(
        "--targets", default="pgbench,pgwarden-1,pgwarden-2,drf", help="which servers to measure"
    )
    parser.add_argument(
        "--db-pool",
        type=int,
        default=4,
        help="connections per pgwarden worker (PGWARDEN_POOL_MAX, PGRST_DB_POOL)",
    )
    args = parser.parse_args()
    args.load_before = os.getloadavg()
    missing = _missing_tools()
    if missing:
        print(
            f"rest_bench: missing {', '.join(missing)}; install them with "
            "`.venv/bin/pip install -r bench/requirements.txt` (and `apt-get install wrk`)",
            file=sys.stderr,
        )
        return 2
    cases = [c for c in CASES if c.name in args.cases.split(",")]
    _, url = prepare_database()
    table = asyncio.run(load_cache(url)).tables[("bench", "items")]
    targets = args.targets.split(",")
    rounds: list[Measure] = []
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number} of {args.rounds}", flush=True)
        rounds += one_round(url, table, cases, targets, args)
    measures = medians(rounds)
    if set(targets) != {"pgbench", "pgwarden-1", "pgwarden-2", "drf"}:
        if audited_lines(measures)[5:]:
            write_audited_report(measures, args)
            print((RESULTS / "rest_audited.md").read_text())
            return 0
        print("a partial run: bench/results/ left as it was")
        return 0
    write_report(measures, args)
    print((RESULTS / "rest.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
