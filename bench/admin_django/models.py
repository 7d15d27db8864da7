"""The library example's tables as a Django team would map them (unmanaged: pgwarden owns them)."""

from __future__ import annotations

from django.db import models


class Branch(models.Model):
    name = models.TextField(unique=True)
    address = models.TextField(null=True)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "branches"
        managed = False

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    KINDS = (("book", "book"), ("audiobook", "audiobook"), ("dvd", "dvd"))
    STATUSES = tuple((s, s) for s in ("available", "on_loan", "lost", "withdrawn"))
    branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING)
    title = models.TextField()
    kind = models.TextField(choices=KINDS)
    isbn = models.TextField(null=True, blank=True)
    status = models.TextField(choices=STATUSES, default="available")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "items"
        managed = False

    def __str__(self) -> str:
        return self.title
