"""pgwarden: an admin and REST framework in which PostgreSQL is the engine."""

__version__ = "0.1.0"
