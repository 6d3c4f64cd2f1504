"""Wagtail's site root paths, and the site of each host name, kept per process.

Every ``page.url`` without a request, and the first ``{% pageurl %}`` of each request, asked Django's cache (Redis
in production) for ``Site.get_site_root_paths()``: on the footer alone five round trips per page, 14 % of a listing's
time. The paths change only when a Site is saved or deleted or a site's root page changes its slug, and Wagtail then
calls ``Site.clear_site_root_paths_cache()``: this process forgets its copy at once; other worker processes
refresh theirs after ``TTL`` seconds at most. The same holds for the site a request's host name and port find
(``Site.find_for_request``, one query per request before): kept per process, pickled, so that every request gets
its own instance (with its root page) and no thread changes another's; when this process's copy expires, it is
read again from Django's cache (no query), under a generation that every clearing of the root paths renews.
"""
from __future__ import annotations

import pickle
import threading
import time

TTL = 30.0

_lock = threading.Lock()
_memo: tuple[float, list] | None = None
_GENERATION_KEY = "hub:sites:generation"
#: (host name, port) → (expiry, pickled site, or b"" for none).
_sites: dict[tuple[str, int], tuple[float, bytes | None]] = {}
_installed = False


def install() -> None:
    """Wrap Wagtail's Site.get_site_root_paths / clear_site_root_paths_cache with the per-process copy."""
    global _installed
    from wagtail.models import Site

    if _installed:
        return
    shared_get = Site.get_site_root_paths
    shared_clear = Site.clear_site_root_paths_cache
    find_site = Site._find_for_request

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
        forget()
        shared_clear()
        from django.core.cache import cache

        cache.set(_GENERATION_KEY, time.time_ns(), None)  # every process looks its sites up afresh

    def find_for_request(request):
        from django.http.request import split_domain_port

        where = (split_domain_port(request._get_raw_host())[0], request.get_port())
        kept, now = _sites.get(where), time.monotonic()
        if kept is None or kept[0] <= now:
            from django.core.cache import cache

            shared_key = f"hub:site:{cache.get(_GENERATION_KEY, 0)}:{where[0]}:{where[1]}"
            pickled = cache.get(shared_key)
            if pickled is None:
                site = find_site(request)
                pickled = b"" if site is None else pickle.dumps(site)
                cache.set(shared_key, pickled, 24 * 3600)
            if len(_sites) > 100:  # made-up Host headers must not grow the memo
                _sites.clear()
            kept = _sites[where] = (now + TTL, pickled)
        return pickle.loads(kept[1]) if kept[1] else None

    get_site_root_paths.__doc__ = shared_get.__doc__
    Site.get_site_root_paths = staticmethod(get_site_root_paths)
    Site.clear_site_root_paths_cache = staticmethod(clear_site_root_paths_cache)
    Site._find_for_request = staticmethod(find_for_request)
    _installed = True


def forget() -> None:
    """Drop this process's copies (tests that change sites outside Wagtail's signals)."""
    global _memo
    _memo = None
    _sites.clear()
