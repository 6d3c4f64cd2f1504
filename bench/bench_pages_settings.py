"""Settings for bench/pages.py: the hub's production-like settings (DEBUG off) plus the same-bytes baseline view."""
from hub.settings import *  # noqa: F403 - the hub's settings, plus a baseline view

DEBUG = False
ROOT_URLCONF = "bench.bench_pages_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
# The "uncached" rounds ask the page cache to step aside with a header (bench.bench_pages_urls.UncachedSwitch).
MIDDLEWARE = [  # noqa: F405
    "bench.bench_pages_urls.UncachedSwitch" if name == "hub.pagecache.AnonymousPageCacheMiddleware" else name
    for name in MIDDLEWARE  # noqa: F405
]
MIDDLEWARE.insert(MIDDLEWARE.index("bench.bench_pages_urls.UncachedSwitch") + 1,
                  "hub.pagecache.AnonymousPageCacheMiddleware")
