"""Benchmark of the admin against Django admin, on the same 1,000,000-row table, in one run.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/admin_bench.py [--rows 1000000] [--requests 40]

The table is the library example's `items`, filled to --rows rows. pgwarden's admin (2 workers)
serves its changelist (page 1, page 1,000, a search, a filter), an edit page and a save, signed
in as the demo administrator; Django admin (gunicorn, the same number of workers) serves the
same pages of a stock ModelAdmin with matching list_display, search_fields and list_filter
(bench/admin_django/), with and without `show_full_result_count`. While each page is measured a
second client keeps loading the changelist, so every figure is "while another user is served".
Results go to bench/results/admin.md, with the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import html as markup
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rest_bench import _server  # noqa: E402

from webui.ops.cluster import Cluster  # noqa: E402
from webui.testing import free_port, url_for_database  # noqa: E402

DATABASE = "pgwarden_admin_bench"
RESULTS = ROOT / "bench" / "results"
WORKERS = 2
EDIT_ID = 4242


# --- HTTP with cookies and keep-alive -----------------------------------------------------------
@dataclass
class Browser:
    """One keep-alive connection with a cookie jar: what a signed-in user's browser does."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base)
        self.conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=60
        )

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
            headers["Referer"] = self.base + path
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, text, {k.lower(): v for k, v in response.getheaders()}


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    if not match:
        raise RuntimeError(f"no hidden field {name!r} in the page")
    return match.group(1)


def form_fields(html: str) -> dict[str, str]:
    """Every named input of the first form with a value (a browser's submission of it)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(checkbox|submit)"', tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = markup.unescape(value.group(1)) if value else ""
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', select.group(2))
        if chosen:
            fields[select.group(1)] = markup.unescape(chosen.group(1))
    for area in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[area.group(1)] = markup.unescape(area.group(2))
    return fields


# --- targets ------------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    login: Callable[[Browser], None]
    pages: dict[str, str]  # case → path
    save: Callable[[Browser], int]


def pgwarden_target(email: str, password: str) -> Target:
    def login(browser: Browser) -> None:
        _, page, _ = browser.request("GET", "/admin/login")
        form = {"email": email, "password": password, "csrf_token": hidden(page, "csrf_token")}
        status, _, _ = browser.request("POST", "/admin/login", form)
        if status not in (302, 303):
            raise RuntimeError(f"pgwarden admin login answered {status}")

    def save(browser: Browser) -> int:
        path = f"/admin/items/{EDIT_ID}/edit"
        _, page, _ = browser.request("GET", path)
        fields = form_fields(page)
        fields["title"] = f"Edited {time.monotonic_ns()}"
        status, _, _ = browser.request("POST", path, fields)
        return status

    pages = {  # 25 rows a page, as the Django peer's list_per_page
        "changelist": "/admin/items?per_page=25",
        "page 1,000": "/admin/items?per_page=25&p=1000",
        "search": "/admin/items?per_page=25&q=Atlas",
        "filter": "/admin/items?per_page=25&kind=dvd",
        "edit page": f"/admin/items/{EDIT_ID}/edit",
    }
    return Target("pgwarden", login, pages, save)


def django_target(name: str) -> Target:
    base = "/admin/admin_django/item/"

    def login(browser: Browser) -> None:
        _, page, _ = browser.request("GET", "/admin/login/?next=/admin/")
        form = {
            "username": "bench",
            "password": "bench-password",
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "next": "/admin/",
        }
        status, _, _ = browser.request("POST", "/admin/login/?next=/admin/", form)
        if status != 302:
            raise RuntimeError(f"Django admin login answered {status}")

    def save(browser: Browser) -> int:
        path = f"{base}{EDIT_ID}/change/"
        _, page, _ = browser.request("GET", path)
        fields = form_fields(page)
        fields["title"] = f"Edited {time.monotonic_ns()}"
        fields["_save"] = "Save"
        status, _, _ = browser.request("POST", path, fields)
        return status

    pages = {
        "changelist": base,
        "page 1,000": f"{base}?p=1000",
        "search": f"{base}?q=Atlas",
        "filter": f"{base}?kind__exact=dvd",
        "edit page": f"{base}{EDIT_ID}/change/",
    }
    return Target(name, login, pages, save)


# --- measuring ----------------------------------------------------------------------------------
@contextlib.contextmanager
def second_client(base: str, target: Target) -> Iterator[None]:
    """Another signed-in user loading the changelist over and over while we measure."""
    stop = threading.Event()

    def load() -> None:
        browser = Browser(base)
        target.login(browser)
        while not stop.is_set():
            browser.request("GET", target.pages["changelist"])

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


ERRORS: dict[str, int] = {}


def timed(call: Callable[[], int], count: int, label: str = "") -> list[float]:
    """Milliseconds of `count` calls, after two warm-up calls; answers of 4xx/5xx are counted
    in ERRORS (and reported) instead of ending the run."""
    for _ in range(2):
        call()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        status = call()
        times.append((time.perf_counter() - start) * 1000)
        if status >= 400:
            ERRORS[label] = ERRORS.get(label, 0) + 1
    return times


def measure(base: str, target: Target, count: int) -> dict[str, list[float]]:
    browser = Browser(base)
    target.login(browser)
    out: dict[str, list[float]] = {}
    with second_client(base, target):
        for case, path in target.pages.items():
            out[case] = timed(
                lambda p=path: browser.request("GET", p)[0], count, f"{target.name} {case}"
            )
            print(f"{target.name:<28} {case:<12} p50 {statistics.median(out[case]):7.1f} ms")
        out["save"] = timed(lambda: target.save(browser), max(5, count // 4), f"{target.name} save")
        print(f"{target.name:<28} {'save':<12} p50 {statistics.median(out['save']):7.1f} ms")
    return out


# --- database and servers -----------------------------------------------------------------------
def prepare_database(rows: int) -> tuple[str, str, str]:
    """A fresh database with the library example, `rows` items and Django's tables; returns the
    URL and the demo administrator's email and password."""
    cluster = Cluster(ROOT / ".pgwarden" / "bench")
    cluster.start()
    server = cluster.url("postgres")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(DATABASE))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(DATABASE)))
    url = url_for_database(server, DATABASE)
    env = {**os.environ, "DATABASE_URL": url}
    loaded = subprocess.run(
        [sys.executable, "-m", "webui.cli", "example", "load", "library", "--reset-passwords"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"administrator\s+(\S+@\S+)\s+(\S+)", loaded)
    if not match:
        raise RuntimeError(f"no administrator account in:\n{loaded}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into library.items (branch_id, title, kind, isbn, status)"
            " select (select min(id) from library.branches) + n %% 5,"
            " (array['The', 'A Short', 'Another', 'The Last', 'Notes on'])[1 + n %% 5] || ' '"
            " || (array['History', 'Garden', 'Voyage', 'Algorithm', 'River', 'Winter', 'Atlas'])"
            "[1 + n %% 7] || ' ' || n,"
            # the kind is independent of the title's words (n / 5, not n), as in a real catalogue
            " (array['book', 'book', 'book', 'audiobook', 'dvd'])[1 + (n / 5) %% 5],"
            " '978' || lpad(n::text, 10, '0'), 'available'"
            " from generate_series((select count(*) from library.items) + 1, %s) n",
            (rows,),
        )
        conn.execute("create schema if not exists django")
        conn.execute("vacuum analyze library.items")
    django_env = django_environment(url)
    manage = [sys.executable, "-m", "django"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=django_env, check=True, cwd=ROOT / "bench")
    subprocess.run(
        [*manage, "createsuperuser", "--noinput", "--username", "bench", "--email", "b@x.example"],
        env={**django_env, "DJANGO_SUPERUSER_PASSWORD": "bench-password"},
        check=True,
        cwd=ROOT / "bench",
    )
    return url, match.group(1), match.group(2)


def django_environment(url: str, full_count: bool = True) -> dict[str, str]:
    params = psycopg.conninfo.conninfo_to_dict(url)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "admin_django.settings",
        "BENCH_DATABASE_NAME": DATABASE,
        "BENCH_DATABASE_HOST": str(params["host"]),
        "BENCH_DATABASE_PORT": str(params["port"]),
        "BENCH_DATABASE_USER": str(params.get("user", "postgres")),
        "BENCH_FULL_COUNT": "1" if full_count else "0",
        "PYTHONPATH": str(ROOT / "bench"),
    }


@contextlib.contextmanager
def pgwarden(url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PGWARDEN_SECRET_KEY": "bench-" + "x" * 40,
        "PGRST_DB_SCHEMAS": "api,library,audit",  # the admin reads the library through REST
    }
    command = [sys.executable, "-m", "webui.cli", "serve", "--port", str(port)]
    with _server([*command, "--workers", str(WORKERS)], env, port, "/healthz") as base:
        yield base


@contextlib.contextmanager
def django(url: str, full_count: bool) -> Iterator[str]:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT / "bench"),
        "--log-level",
        "warning",
        "admin_django.wsgi:application",
    ]
    with _server(command, django_environment(url, full_count), port, "/admin/login/") as base:
        yield base


# --- report -------------------------------------------------------------------------------------
def write_report(results: dict[str, dict[str, list[float]]], args: argparse.Namespace) -> None:
    names = list(results)
    cases = list(results["pgwarden"])
    lines = [
        "# Admin benchmark: pgwarden vs Django admin",
        "",
        f"`bench/admin_bench.py`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{args.rows:,} rows in `library.items`, {WORKERS} worker processes each, "
        f"{args.requests} requests per page (medians), a second signed-in client loading the "
        "changelist throughout. Load average before "
        f"{'/'.join(f'{x:.2f}' for x in args.load_before)}, after "
        f"{'/'.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores).",
        "",
        "| page | " + " | ".join(f"{n} p50 ms" for n in names) + " | Django / pgwarden |",
        "|---|" + "---:|" * (len(names) + 1),
    ]
    for case in cases:
        p50 = {n: statistics.median(results[n][case]) for n in names}
        slowest_peer = min(p50[n] for n in names if n != "pgwarden")
        ratio = slowest_peer / p50["pgwarden"]
        cells = " | ".join(f"{p50[n]:.1f}" for n in names)
        lines.append(f"| {case} | {cells} | {ratio:.1f}× |")
    lines += [
        "",
        "The ratio column divides the faster of the two Django configurations by pgwarden.",
        "Error answers during the run: "
        + (", ".join(f"{k}: {v}" for k, v in ERRORS.items()) or "none")
        + ".",
        "Goals (issue 11): changelist p50 under 60 ms on 1M rows; at least 3× Django admin.",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "admin.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="requests per page")
    args = parser.parse_args()
    args.load_before = os.getloadavg()
    url, email, password = prepare_database(args.rows)
    results: dict[str, dict[str, list[float]]] = {}
    with pgwarden(url) as base:
        results["pgwarden"] = measure(base, pgwarden_target(email, password), args.requests)
    for full_count in (True, False):
        name = f"Django (full count {'on' if full_count else 'off'})"
        with django(url, full_count) as base:
            results[name] = measure(base, django_target(name), args.requests)
    write_report(results, args)
    print((RESULTS / "admin.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
