"""Bad input never gets a 500 (docs/sessions.md, endpoints): arbitrary JSON bodies, headers and
path segments sent to the auth endpoints of a real server get a typed answer below 500 with the
stable error shape, whatever hypothesis generates."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webui.testing import ServerProcess
from webui.testing.auth import sql

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
BODIES = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {
            "email": JSON_VALUES | st.text(max_size=80),
            "password": JSON_VALUES | st.text(max_size=80),
        }
    ),
)
ENDPOINTS = st.sampled_from(
    [
        "/auth/login",
        "/auth/logout",
        "/auth/password",
        "/auth/reauth",
        "/auth/sessions/revoke-others",
    ]
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@SETTINGS
@given(path=ENDPOINTS, body=BODIES)
def test_json_bodies_never_get_a_500(
    server: ServerProcess, db_url: str, path: str, body: Any
) -> None:
    sql(db_url, "update auth.config set ip_budget = 100000")
    status, answer = post(
        server.base_url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    assert status < 500, answer
    if status >= 400:
        assert set(answer) == {"code", "message", "details", "hint"}


@SETTINGS
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=latin-1", ""]
    ),
    segment=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20),
    cookie=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
)
def test_raw_bytes_segments_and_cookies_never_get_a_500(
    server: ServerProcess, db_url: str, raw: bytes, content_type: str, segment: str, cookie: str
) -> None:
    sql(db_url, "update auth.config set ip_budget = 100000")
    headers = {"Content-Type": content_type} if content_type else {}
    status, answer = post(server.base_url + "/auth/login", raw, headers)
    assert status < 500, answer
    quoted = urllib.request.quote(segment, safe="")
    status, answer = post(
        server.base_url + f"/auth/sessions/{quoted}/revoke",
        b"{}",
        {"Content-Type": "application/json", "Cookie": f"pgw_session={cookie.replace(';', '')}"},
    )
    assert status < 500, answer
