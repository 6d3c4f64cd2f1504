"""Rendered page content kept between requests, keyed by the content version the page cache purges.

The anonymous page cache (hub/pagecache.py) keeps whole pages, but only for visitors without a session. This keeps
the part of a page between header and footer (``{% block content %}`` of base.html) for everyone, and the footer for
everyone, so a page-cache miss, a chosen language or a signed-in member still skips the queries and template work
of a listing:

- A view opts in with ``cache_content`` in its context and hands its expensive values as ``lazy_context``: on a hit
  they are never computed.
- Keys carry the page cache's versions of the path (``pagecache.versions``): whatever purges the page from the page
  cache, through Wagtail's frontend-cache backends, makes its content fragment unreachable too.
- What one visitor's session sees is never shown to another: a request with a session cookie has fragments of its
  own, keyed by a digest of the session key (a new sign-in is a new session, and with it a new CSRF secret), kept
  ``SESSION_SECONDS`` only, which bounds what no purge covers (a member added to a group). Requests without a
  session share the anonymous fragments, as they share the page cache.
- ``HUB_PAGE_CACHE_ENABLED`` switches both caches; ``request.skip_fragment_cache`` renders afresh.
"""
from __future__ import annotations

import operator

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty, new_method_proxy

from hub import pagecache

#: Seconds a fragment of a request with a session is kept (anonymous ones: the page cache's TIMEOUT).
SESSION_SECONDS = 60
_PREFIX = "fragment:"


def enabled(request) -> bool:
    return (getattr(settings, "HUB_PAGE_CACHE_ENABLED", True) and request is not None
            and request.method in ("GET", "HEAD") and not getattr(request, "skip_fragment_cache", False)
            # Wagtail's previews show unsaved edits under admin URLs that no purge reaches.
            and not getattr(request, "is_preview", False) and not request.path.startswith(pagecache.EXCLUDED_PREFIXES))


def viewer(request) -> tuple[str, int]:
    """Who shares a fragment (everyone without a session, or one session) and how long it is kept."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key or getattr(getattr(request, "user", None), "is_authenticated", False):
        return "s" + pagecache.digest(session_key or f"user:{request.user.pk}"), SESSION_SECONDS
    return "anon", pagecache.TIMEOUT


#: Fragments base.html renders on every page: fetched together in one round trip at the first of them.
PREFETCH = (("content", True), ("footer", False))


def _keys(request) -> tuple[dict, int]:
    """Key templates of this request (per path, site-wide) and the timeout; computed once per request."""
    memo = getattr(request, "_hub_fragment_keys", None)
    if memo is None:
        who, timeout = viewer(request)
        site, path = pagecache.request_versions(request)
        language = getattr(request, "LANGUAGE_CODE", "") or settings.LANGUAGE_CODE
        where = pagecache.digest(request.get_full_path())
        memo = request._hub_fragment_keys = ({
            True: f"{_PREFIX}{{name}}:{where}:{site}.{path}:{language}:{who}",
            False: f"{_PREFIX}{{name}}:-:{site}:{language}:{who}",
        }, timeout)
    return memo


def content_key(request, name: str, *, per_path: bool = True) -> tuple[str, int]:
    """The key of ``name`` for this request: path and query (unless site-wide), language, content version, viewer."""
    templates, timeout = _keys(request)
    return templates[per_path].format(name=name), timeout


def prefetch(request, *extra: str) -> dict:
    """Read the fragments base.html renders (``PREFETCH``) of this request, and ``extra`` keys, in one round trip at
    the first call; returns what was found of ``extra``. The fragments wait in the request for ``get_or_render``."""
    asked = getattr(request, "_hub_fragments", None)
    wanted = [key for key in extra if asked is None or key not in asked]
    if asked is None:
        asked = request._hub_fragments = {}
        wanted += [content_key(request, name, per_path=per_path)[0] for name, per_path in PREFETCH]
    if wanted:
        found = pagecache.cache().get_many(wanted)
        asked.update((key, found.get(key)) for key in wanted)
    return {key: asked.pop(key) for key in extra if asked.get(key) is not None}


def get_or_render(request, name: str, render, *, per_path: bool = True) -> str:
    if not enabled(request):
        return render()
    cache = pagecache.cache()
    key, timeout = content_key(request, name, per_path=per_path)
    asked = getattr(request, "_hub_fragments", None)
    if asked is None:
        html = prefetch(request, key).get(key)
    else:
        html = asked.pop(key) if key in asked else cache.get(key)
    if html is None:
        html = render()
        cache.set(key, str(html), timeout)
    return html


class LazyValue(SimpleLazyObject):
    """SimpleLazyObject that also passes for a number in templates (counts, ``|add``, comparisons)."""

    __int__ = new_method_proxy(int)
    __index__ = new_method_proxy(operator.index)
    __float__ = new_method_proxy(float)
    __le__ = new_method_proxy(operator.le)
    __ge__ = new_method_proxy(operator.ge)
    __add__ = new_method_proxy(operator.add)
    __sub__ = new_method_proxy(operator.sub)
    __mul__ = new_method_proxy(operator.mul)

    def __radd__(self, other):
        if self._wrapped is empty:
            self._setup()
        return other + self._wrapped


def lazy_context(compute, keys) -> dict:
    """``{key: value}`` whose values are computed (once, together, by ``compute()``) only when a template uses one.

    A view hands its expensive context this way next to ``cache_content``: a fragment hit then runs no query.
    """
    results = {}

    def value(key):
        def get():
            if not results:
                results.update(compute())
            return results[key]
        return LazyValue(get)

    return {key: value(key) for key in keys}
