"""A stock ModelAdmin matching pgwarden's declaration of `items` (policies/library.toml):
the same list columns, search fields, filters, ordering and page size. BENCH_FULL_COUNT=0 turns
off `show_full_result_count` (Django's own answer to counting a large table)."""

from __future__ import annotations

import os

from django.contrib import admin

from admin_django.models import Item


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "isbn", "status", "branch", "created_at")
    search_fields = ("title", "isbn")
    list_filter = ("kind", "status")
    ordering = ("title",)
    list_per_page = 25
    list_select_related = ("branch",)
    show_full_result_count = os.environ.get("BENCH_FULL_COUNT", "1") == "1"
