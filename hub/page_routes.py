"""Wagtail's page routing kept between requests, keyed by the content versions the page cache purges.

Serving a Wagtail page walked the tree on every request: the site's root page, its localised and specific
versions, then one child lookup and one specific-page fetch per path segment, and the page's view restrictions —
on an event's page about ten queries before its own content, 40 % of an uncached request's time. Which page a path
shows changes only when a page is published, unpublished, moved or renamed, or a view restriction changes, and each
of these purges the path (or everything) through Wagtail's frontend-cache backends (hub/pagecache.py). So the
route found for a path is kept in Django's cache under the path's page-cache versions: the next request for the
path unpickles the same specific page (a fresh instance per request, nothing shared between threads) with its view
restrictions, and runs no routing query.

What is not kept: routes that raised 404, routes with arguments (routable pages), requests the fragment cache
does not serve (previews, admin paths, the caches switched off). The restrictions are still *checked* on every
request (``before_serve_page``) against the visitor; only the list of restrictions that apply is kept.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation

logger = logging.getLogger(__name__)

_PREFIX = "pageroute:"
MAX_PATH_LENGTH = 512
_installed = False


def route_key(request, site) -> str:
    from hub import pagecache

    site_version, own = pagecache.request_versions(request)
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"{_PREFIX}{site.pk}:{pagecache.digest(request.path)}:{site_version}.{own}:{language}"


def _kept_restrictions(page, restrictions):
    """The page's view restrictions as found when the route was kept (``check_view_restrictions`` iterates them)."""
    page.get_view_restrictions = lambda: restrictions
    return page


def install() -> None:
    """Wrap ``Page.route_for_request`` (Wagtail's serve view and ``Page.find_for_request`` go through it)."""
    global _installed
    if _installed:
        return
    from wagtail.models import Page, Site

    from hub import fragments, pagecache

    found_by_wagtail = Page.route_for_request

    def route_for_request(request, path):
        if hasattr(request, "_wagtail_route_for_request"):
            return request._wagtail_route_for_request
        if not fragments.enabled(request) or len(request.path) > MAX_PATH_LENGTH:
            return found_by_wagtail(request, path)
        site = Site.find_for_request(request)
        if site is None:
            return found_by_wagtail(request, path)
        key = route_key(request, site)
        kept = fragments.prefetch(request, key).get(key)
        if kept is not None:
            result, restrictions = kept
            _kept_restrictions(result[0], restrictions)
            request._wagtail_route_for_request = result
            return result
        result = found_by_wagtail(request, path)
        if result is not None and not result[1] and not result[2]:
            page = result[0]
            restrictions = list(page.get_view_restrictions())
            try:  # pickled now, before serving the page adds anything to the instance
                pagecache.cache().set(key, (result, restrictions), pagecache.TIMEOUT)
            except Exception:  # noqa: BLE001 - a page that does not pickle is simply routed every time
                logger.warning("page route of %s not kept", request.path, exc_info=True)
            _kept_restrictions(page, restrictions)
        return result

    route_for_request.__doc__ = found_by_wagtail.__doc__
    Page.route_for_request = staticmethod(route_for_request)
    _installed = True
