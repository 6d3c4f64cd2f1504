"""Reading the environment: one place that knows which variables exist and which production requires."""
import os
import sys

from django.core.exceptions import ImproperlyConfigured

#: Every variable the hub reads, with what it is for (``.env.example`` mirrors this list).
VARIABLES = {
    "DJANGO_ENV": "development (default) or production",
    "DJANGO_SECRET_KEY": "secret key; required in production",
    "DJANGO_ALLOWED_HOSTS": "comma-separated host names; required in production",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "comma-separated origins (https://hub.example.org); defaults from the hosts",
    "DJANGO_DEBUG": "1 to force debug mode (never in production)",
    "DATABASE_URL": "postgres://user:pass@host:5432/name; required in production, SQLite file otherwise",
    "REDIS_URL": "redis://host:6379/0 for the channel layer and cache; required in production",
    "DJANGO_MEDIA_ROOT": "where uploaded files live (default: ./media)",
    "DJANGO_STATIC_ROOT": "where collectstatic writes (default: ./staticfiles)",
    "DJANGO_EMAIL_URL": "smtp://user:pass@host:587 (console e-mail when unset)",
    "DJANGO_DEFAULT_FROM_EMAIL": "sender of the hub's e-mail",
    "HUB_BASE_URL": "public base URL used in e-mails and feeds (default http://127.0.0.1:8000)",
    "HUB_NOTES_LINK_HOST": "address each worker listens at for the others' live-notes edits (127.0.0.1); empty: Redis",
    "HUB_CACHE_PURGE_URL": "nginx address that accepts PURGE for its proxy_cache (http://127.0.0.1:8080); unset: none",
    "PYTEST_XDIST_WORKER": "set by pytest-xdist in parallel test workers (gw0, gw1…): Redis keys prefixed hub-gw0…",
    "HUB_PDF_FONT": "TrueType/OpenType collection with Chinese glyphs embedded in PDF minutes (default: WenQuanYi Micro Hei)",
}

PRODUCTION_REQUIRED = ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


def is_production() -> bool:
    return os.environ.get("DJANGO_ENV", "development").strip().lower() == "production"


def get(name: str, default: str = "") -> str:
    assert name in VARIABLES, f"undeclared environment variable {name}"
    return os.environ.get(name, default).strip()


def require(name: str) -> str:
    """A production variable: missing means start-up stops with one sentence naming it."""
    value = get(name)
    if not value:
        message = f"The environment variable {name} must be set when DJANGO_ENV=production ({VARIABLES[name]})."
        if "pytest" in sys.modules:
            raise ImproperlyConfigured(message)
        sys.stderr.write(message + "\n")
        raise SystemExit(2)
    return value


def as_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
