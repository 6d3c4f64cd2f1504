"""Full-page cache for anonymous visitors, purged through Wagtail's frontend-cache machinery.

A page an anonymous visitor sees is the same for every anonymous visitor (per language), so it is rendered once and
kept: in Django's cache here (the embedded default and every worker), and in production also by nginx's
``proxy_cache`` in front of the workers (README, "Production deployment"). Both are purged by the backends in
``WAGTAILFRONTENDCACHE``: ``DjangoCacheBackend`` below and, in production, Wagtail's ``HTTPBackend`` sending PURGE
to nginx. Pages purge their own URL on publish/unpublish (Wagtail's handlers); this module adds what else shows
the page (listings, the home page, search) and the non-page changes that pages show: features register them with
``purge_when_saved``.

What is never kept: any request with a session (logged-in visitors, or anyone the site stored something for), any
response that sets a cookie or is not a plain 200, and anything under the excluded prefixes. Members-only pages
redirect anonymous visitors to the login page (a 302, never stored) and are served to members with their session,
which always bypasses the cache.

Keys: each path has a version in the cache; a purge bumps the version of the path (all its query strings at once),
and a purge of ``/*`` bumps a version every key carries (site-wide changes: navigation, footer, a moved subtree).
"""
from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, set_response_etag
from django.utils.http import http_date
from wagtail.contrib.frontend_cache.backends import BaseBackend

logger = logging.getLogger(__name__)

#: Seconds a page is kept when nothing purges it: a bound on staleness for what no purge covers.
TIMEOUT = getattr(settings, "HUB_PAGE_CACHE_SECONDS", 600)
EXCLUDED_PREFIXES = ("/admin/", "/django-admin/", "/accounts/", "/documents/", "/i18n/", "/ws/", "/static/",
                     "/media/", "/healthz", "/bench/minimal")
#: Cookies whose presence means the page may differ for this visitor (a session, a pending flash message).
PERSONAL_COOKIES = ("messages",)
EVERYTHING = "/*"
MAX_QUERY_LENGTH = 256
_PREFIX = "pagecache:"


def _cache():
    return caches[getattr(settings, "HUB_PAGE_CACHE_ALIAS", "default")]


cache = _cache


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


digest = _digest


def _version_keys(path: str) -> tuple[str, str]:
    return f"{_PREFIX}v:all", f"{_PREFIX}v:{_digest(path)}"


def _language(request) -> str:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in {code for code, _name in settings.LANGUAGES} else settings.LANGUAGE_CODE


def is_anonymous_request(request) -> bool:
    """True when nothing in the request can make the page differ from what any anonymous visitor gets."""
    if request.method not in ("GET", "HEAD") or request.path.startswith(EXCLUDED_PREFIXES):
        return False
    request.get_host()  # a host outside ALLOWED_HOSTS is refused (400) here too, never answered from the cache
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:  # no cache entry per made-up long query
        return False
    if getattr(request, "skip_page_cache", False):  # set by an earlier middleware (the benchmark's uncached rounds)
        return False
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and not any(name in cookies for name in PERSONAL_COOKIES)


def version_numbers(path: str) -> tuple[int, int]:
    """The content versions of ``path``: (site-wide, the path's own); a purge of the path or of everything changes
    them. Page-cache keys carry them, and so do the content fragments of hub/fragments.py."""
    global_key, path_key = _version_keys(path)
    found = _cache().get_many([global_key, path_key])
    return found.get(global_key, 0), found.get(path_key, 0)


def request_versions(request) -> tuple[int, int]:
    """``version_numbers(request.path)``, read once per request (the page cache, the kept route and the fragments
    of one request all use them)."""
    memo = getattr(request, "_hub_versions", None)
    if memo is None:
        memo = request._hub_versions = version_numbers(request.path)
    return memo


def versions(path: str) -> str:
    site, own = version_numbers(path)
    return f"{site}.{own}"


def _page_key(request) -> str:
    site, own = request_versions(request)
    return (f"{_PREFIX}p:{_digest(request.path)}:{site}.{own}:"
            f"{_language(request)}:{_digest(request.META.get('QUERY_STRING', ''))}")


def _storable(request, response) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming or response.cookies:
        return False
    control = response.get("Cache-Control", "")
    if any(word in control for word in ("private", "no-cache", "no-store")):
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def mark_shared(response, *, language_chosen: bool) -> None:
    """Headers of a page any anonymous visitor may get: shared caches may keep it until purged.

    Browsers revalidate each time (max-age=0) with the ETag/Last-Modified; nginx keeps it for TIMEOUT
    (X-Accel-Expires, which nginx reads and does not pass on). The page does not depend on the session cookie (the
    request had none), so ``Vary: Cookie`` goes; the language cookie is part of nginx's cache key.
    """
    vary = [value.strip() for value in response.get("Vary", "").split(",") if value.strip()]
    vary = [value for value in vary if value.lower() != "cookie"]
    if vary:
        response["Vary"] = ", ".join(vary)
    elif "Vary" in response:
        del response["Vary"]
    if language_chosen:
        # An English page under the same URL: only caches that key on the language cookie (ours, nginx) keep it.
        patch_cache_control(response, private=True, max_age=0)
    else:
        patch_cache_control(response, public=True, max_age=0, s_maxage=TIMEOUT)
        response["X-Accel-Expires"] = str(TIMEOUT)


class AnonymousPageCacheMiddleware:
    """Serve anonymous GET requests from the page cache; logged-in pages are marked private."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "HUB_PAGE_CACHE_ENABLED", True) or not is_anonymous_request(request):
            response = self.get_response(request)
            return self._mark_personal(request, response)
        language_chosen = _language(request) != settings.LANGUAGE_CODE
        key = _page_key(request)
        stored = _cache().get(key)
        if stored is not None:
            return self._rebuild(stored, request)
        response = self.get_response(request)
        if not _storable(request, response):
            return self._mark_personal(request, response)
        response.setdefault("Last-Modified", http_date(time.time()))
        if not response.has_header("ETag"):
            set_response_etag(response)
        mark_shared(response, language_chosen=language_chosen)
        headers = [(name, value) for name, value in response.items() if name.lower() not in ("x-page-cache",)]
        _cache().set(key, (response.status_code, headers, response.content), TIMEOUT)
        response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def _rebuild(stored, request) -> HttpResponse:
        status, headers, content = stored
        response = HttpResponse(b"" if request.method == "HEAD" else content, status=status)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(content))
        response["X-Page-Cache"] = "hit"
        return response

    @staticmethod
    def _mark_personal(request, response):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            # Nothing a member sees may be kept by a shared cache, whatever the page.
            patch_cache_control(response, private=True, no_cache=True)
        return response


# --- Purging -------------------------------------------------------------------------------------------------


def _bump(key: str) -> None:
    cache = _cache()
    try:
        cache.incr(key)
    except ValueError:  # not there yet (or evicted): any value other than the old one will do
        cache.set(key, time.time_ns(), None)


def purge_path(path: str) -> None:
    """Forget every stored page of ``path`` (all query strings, all languages); ``/*`` forgets everything."""
    global_key, path_key = _version_keys(path)
    if path == EVERYTHING or path.endswith("*"):
        _bump(global_key)
    else:
        _bump(path_key)


class DjangoCacheBackend(BaseBackend):
    """Wagtail frontend-cache backend for the page cache above (keys by path, whatever the host)."""

    def purge(self, url) -> None:
        purge_path(urlsplit(url).path or "/")


def _absolute(paths) -> list[str]:
    base = settings.HUB_BASE_URL.rstrip("/")
    return [path if "://" in path else base + path for path in dict.fromkeys(paths) if path]


def purge(paths) -> None:
    """Purge these paths (or URLs) from every configured frontend cache, through Wagtail's machinery."""
    from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

    urls = _absolute(paths)
    if urls:
        purge_urls_from_cache(urls)


def purge_on_commit(paths) -> None:
    paths = list(paths)
    transaction.on_commit(lambda: purge(paths))


def purge_when_saved(model, paths_of) -> None:
    """Register a model whose rows pages show: saving or deleting one purges ``paths_of(instance)`` on commit.

    A signal rather than a call in each service: every write path (services, Wagtail admin, imports, seed_demo)
    must purge, as Wagtail's own frontend cache does for pages.
    """

    def handler(sender, instance, **kwargs):
        try:
            paths = list(paths_of(instance))
        except Exception:  # a purge must never break the write; the timeout bounds the staleness
            logger.exception("page cache: no paths for %r", instance)
            return
        purge_on_commit(paths)

    uid = f"pagecache:{model._meta.label}"
    post_save.connect(handler, sender=model, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(handler, sender=model, weak=False, dispatch_uid=uid + ":delete")


#: Pages that list or summarise other pages, by page: features register ``paths_of(page)``.
_page_dependents: list = []


def page_shown_on(paths_of) -> None:
    """Register what else shows a page (a listing, the home page): purged with the page."""
    _page_dependents.append(paths_of)


def _dependent_paths(page) -> list[str]:
    from django.urls import reverse

    # The page's own URL again after commit: Wagtail's handler purges at publish time, inside the transaction,
    # and a request in between could have stored the old page again.
    paths = [page.specific_deferred.get_url() or "", "/", reverse("search")]
    parent = page.get_parent()
    if parent is not None and parent.depth > 1:
        paths.append(parent.specific_deferred.get_url() or "")
    if page.show_in_menus or page.depth <= 3:
        # Navigation and footer (top-level and section pages) appear on every page.
        paths.append(EVERYTHING)
    for paths_of in _page_dependents:
        paths.extend(paths_of(page.specific_deferred))
    return paths


def _on_page_changed(sender, instance, **kwargs):
    purge_on_commit(_dependent_paths(instance))


def _on_page_moved(sender, instance, url_path_before="", url_path_after="", **kwargs):
    # Every URL of the subtree changed, under an old and a new parent: forget everything.
    if url_path_before != url_path_after:
        purge_on_commit([EVERYTHING])


def _on_page_saved(sender, instance, **kwargs):
    """A live page's row saved outside publishing (a service setting a field, a draft saved in the admin): what
    was kept of its address (the page, its route, its content) is forgotten; a draft's save purges needlessly but
    harmlessly."""
    from wagtail.models import Page

    if isinstance(instance, Page) and instance.live and not kwargs.get("raw"):
        purge_on_commit([instance.url_path and instance.get_url() or ""])


def _on_slug_changed(sender, instance, **kwargs):
    purge_on_commit([EVERYTHING])  # the page and its subtree answer at other addresses now


def _on_restriction_changed(sender, instance, **kwargs):
    # Who may see a subtree changed: every page below it, listings and kept routes (hub/page_routes.py).
    purge_on_commit([EVERYTHING])


def _on_snippet_changed(sender, instance, **kwargs):
    url = getattr(instance, "get_absolute_url", None)
    purge_on_commit([url()] if url else [])


def register_signal_handlers() -> None:
    """Wagtail purges a page's own URL on publish/unpublish; here: what else shows it, moves, snippets."""
    from wagtail.models import PageViewRestriction
    from wagtail.signals import (
        page_published,
        page_slug_changed,
        page_unpublished,
        post_page_move,
        published,
        unpublished,
    )

    post_save.connect(_on_page_saved, dispatch_uid="pagecache:page_saved")
    page_slug_changed.connect(_on_slug_changed, dispatch_uid="pagecache:page_slug_changed")
    for signal in (post_save, post_delete):
        signal.connect(_on_restriction_changed, sender=PageViewRestriction,
                       dispatch_uid=f"pagecache:restriction:{signal is post_save}")
    page_published.connect(_on_page_changed, dispatch_uid="pagecache:page_published")
    page_unpublished.connect(_on_page_changed, dispatch_uid="pagecache:page_unpublished")
    post_page_move.connect(_on_page_moved, dispatch_uid="pagecache:post_page_move")
    published.connect(_on_snippet_changed, dispatch_uid="pagecache:published")
    unpublished.connect(_on_snippet_changed, dispatch_uid="pagecache:unpublished")
