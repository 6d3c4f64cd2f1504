"""Wagtail's site root paths kept per process.

Every ``page.url`` without a request, and the first ``{% pageurl %}`` of each request, asked Django's cache (Redis
in production) for ``Site.get_site_root_paths()``: on the footer alone five round trips per page, 14 % of a listing's
time. The paths change only when a Site is saved or deleted or a site's root page changes its slug, and Wagtail then
calls ``Site.clear_site_root_paths_cache()``: this process forgets its copy at once; other worker processes
refresh theirs after ``TTL`` seconds at most.
"""
from __future__ import annotations

import threading
import time

TTL = 30.0

_lock = threading.Lock()
_memo: tuple[float, list] | None = None
_installed = False


def install() -> None:
    """Wrap Wagtail's Site.get_site_root_paths / clear_site_root_paths_cache with the per-process copy."""
    global _installed
    from wagtail.models import Site

    if _installed:
        return
    shared_get = Site.get_site_root_paths
    shared_clear = Site.clear_site_root_paths_cache

    def get_site_root_paths():
        global _memo
        memo, now = _memo, time.monotonic()
        if memo is not None and memo[0] > now:
            return list(memo[1])
        with _lock:
            result = shared_get()
            _memo = (now + TTL, list(result))
        return list(result)

    def clear_site_root_paths_cache():
        global _memo
        _memo = None
        shared_clear()

    get_site_root_paths.__doc__ = shared_get.__doc__
    Site.get_site_root_paths = staticmethod(get_site_root_paths)
    Site.clear_site_root_paths_cache = staticmethod(clear_site_root_paths_cache)
    _installed = True


def forget() -> None:
    """Drop this process's copy (tests that change sites outside Wagtail's signals)."""
    global _memo
    _memo = None
