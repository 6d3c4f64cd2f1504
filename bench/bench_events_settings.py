"""Settings for bench/events.py: the hub's own settings plus a minimal baseline view, production-like debug off."""
from hub.settings import *  # noqa: F403 - the hub's settings, plus a baseline view

DEBUG = False
ROOT_URLCONF = "bench.bench_events_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
