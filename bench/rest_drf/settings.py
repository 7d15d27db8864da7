"""Django settings as `django-admin startproject` writes them, trimmed of templates and static
files, plus DRF authenticating the benchmark's bearer JWT (djangorestframework-simplejwt, without
a user lookup, like pgwarden's JWT path) and requiring an authenticated caller, as pgwarden does.
One database (from BENCH_DATABASE_*), persistent connections."""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "rest_drf.app"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_drf",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
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
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SIMPLE_JWT = {
    "SIGNING_KEY": os.environ["BENCH_JWT_SECRET"],
    "ALGORITHM": "HS256",
    "USER_ID_CLAIM": "sub",
}
