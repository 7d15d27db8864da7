"""Minimal Django settings: one database (from BENCH_DATABASE_*), persistent connections, DRF."""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "rest_drf.app"
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "rest_drf"]
MIDDLEWARE: list[str] = []
USE_TZ = True
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["BENCH_DATABASE_NAME"],
        "USER": os.environ.get("BENCH_DATABASE_USER", "postgres"),
        "HOST": os.environ["BENCH_DATABASE_HOST"],
        "PORT": os.environ["BENCH_DATABASE_PORT"],
        "CONN_MAX_AGE": None,  # persistent connections
        "OPTIONS": {"options": "-c search_path=bench"},
    }
}
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
