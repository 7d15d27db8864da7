"""The admin: server-rendered pages under /admin, a client of the REST dialect over HTTP (never
of `webui.rest`), with identity pages over the auth room. Doctrine: docs/admin.md."""

from __future__ import annotations

import logging

from aiohttp import web

from webui.admin import (
    account,
    groups_pages,
    mfa_pages,
    recovery_pages,
    users_actions,
    users_pages,
    views_bulk,
    views_edit,
    views_history,
    views_list,
)
from webui.admin.chrome import admin_middleware
from webui.admin.client import rest_context
from webui.admin.registry import REGISTRY, load

ROUTES = [
    ("GET", "/admin/login", account.login_page),
    ("POST", "/admin/login", account.login),
    ("POST", "/admin/logout", account.logout),
    ("GET", "/admin/account/sessions", account.sessions_page),
    ("POST", "/admin/account/sessions/revoke-others", account.revoke_others),
    ("POST", "/admin/account/sessions/revoke-all", account.revoke_all),
    ("POST", "/admin/account/sessions/{id}/revoke", account.revoke_one),
    ("GET", "/admin/password_change", account.password_page),
    ("POST", "/admin/password_change", account.password_change),
    ("POST", "/admin/theme", account.theme),
    *mfa_pages.ROUTES,
    *recovery_pages.ROUTES,  # before the /admin/{resource} wildcards
    *users_pages.ROUTES,
    *users_actions.ROUTES,
    *groups_pages.ROUTES,
    ("GET", "/admin", views_list.dashboard),
    ("GET", "/admin/", views_list.dashboard),
    ("GET", "/admin/history", views_history.global_history),
    ("GET", "/admin/_lookup/{resource}", views_list.lookup),
    ("GET", "/admin/{resource}", views_list.changelist),
    ("GET", "/admin/{resource}/export.csv", views_list.export_csv),
    ("GET", "/admin/{resource}/new", views_edit.add_page),
    ("POST", "/admin/{resource}/new", views_edit.add),
    ("POST", "/admin/{resource}/bulk", views_bulk.bulk),
    ("GET", "/admin/{resource}/{id}/edit", views_edit.edit_page),
    ("POST", "/admin/{resource}/{id}/edit", views_edit.edit),
    ("GET", "/admin/{resource}/{id}/delete", views_edit.delete_page),
    ("POST", "/admin/{resource}/{id}/delete", views_edit.delete),
    ("GET", "/admin/{resource}/{id}/history", views_edit.history),
    ("POST", "/admin/{resource}/{id}/history/{event}/restore", views_edit.restore),
]


async def _not_found(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


def setup(app: web.Application) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per REST call otherwise
    app[REGISTRY] = load()
    app.cleanup_ctx.append(rest_context)
    app.middlewares.append(admin_middleware)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_route("*", "/admin/{tail:.*}", _not_found)
