"""Thin site views of the roundtable core."""
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from hub import selectors


def search(request):
    """Site search, results grouped by type; only what the visitor may see."""
    query = request.GET.get("q", "").strip()
    groups = selectors.site_search(user=request.user, query=query, request=request) if query else []
    return render(request, "hub/search.html", {"query": query, "groups": groups,
                                               "total": sum(len(g["results"]) for g in groups)})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


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
