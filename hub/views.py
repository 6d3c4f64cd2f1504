"""Thin site views of the roundtable core."""
import logging
import sys

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404, HttpResponse, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from hub import selectors
from hub.fragments import lazy_context
from hub.search import highlight_terms

PER_GROUP = 20

logger = logging.getLogger(__name__)
#: Errors that mean "the database cannot be reached" rather than "this request is wrong".
UNREACHABLE = (OperationalError, InterfaceError)


def search(request):
    """Site search, results grouped by type; only what the visitor may see. ``?type=<group>&page=<n>`` pages
    through one group."""
    query = request.GET.get("q", "").strip()
    only = request.GET.get("type") or None
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    if only is None:
        page = 1

    def compute():
        groups = selectors.site_search(user=request.user, query=query, request=request, limit=PER_GROUP, only=only,
                                       offset=(page - 1) * PER_GROUP) if query else []
        return {"groups": groups, "total": sum(len(g["results"]) for g in groups),
                "more": any(g["has_more"] for g in groups), "highlight": highlight_terms(query) if groups else []}

    # The search runs only when its results are not kept already (hub/fragments.py).
    return render(request, "hub/search.html", {
        "query": query, "only": only, "page": page, "first_number": (page - 1) * PER_GROUP + 1,
        **lazy_context(compute, ["groups", "total", "more", "highlight"]), "cache_content": True,
    })


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        # A broken connection is dropped, so the next request connects afresh: recovery needs no restart.
        connection.close()
        return False


def _redis_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def healthz(request):
    """{"status": "ok"} with 200, or 503 naming each service that is down (database; Redis when configured)."""
    checks = {"database": _database_ok()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_ok()
    down = sorted(name for name, ok in checks.items() if not ok)
    body = {"status": "ok" if not down else "unavailable", "down": down,
            **{name: "ok" if ok else "down" for name, ok in checks.items()}}
    return JsonResponse(body, status=503 if down else 200)


def server_error(request, template_name="500.html"):
    """handler500: a database that cannot be reached is a 503 ("try again shortly"), anything else a 500. Both
    pages use a layout that reads nothing from the database."""
    error = sys.exc_info()[1]
    if isinstance(error, UNREACHABLE):
        connection.close()
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())


#: Paths no search engine should crawl: the admin, accounts, per-person and organiser pages, exports and feeds' .ics.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/i18n/", "/search/", "/events/mine/", "/meetings/", "/experts/tasks/")


def robots_txt(request):
    from hub.links import absolute_url

    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "",
             f"Sitemap: {absolute_url('/sitemap.xml')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@never_cache
def choose_language(request, code: str):
    """The header's language links: set the language cookie and go back to the page (only to this site).

    A link, not a form: a form needs a CSRF token, whose cookie would make every anonymous page uncacheable. The
    cookie only chooses a language, so a forged link can do no harm.
    """
    if code not in {language for language, _name in settings.LANGUAGES}:
        raise Http404
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
