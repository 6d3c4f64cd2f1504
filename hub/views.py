"""Thin site views of the roundtable core."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from hub import selectors
from hub.search import highlight_terms

PER_GROUP = 20


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
    groups = selectors.site_search(user=request.user, query=query, request=request, limit=PER_GROUP, only=only,
                                   offset=(page - 1) * PER_GROUP) if query else []
    return render(request, "hub/search.html", {
        "query": query, "groups": groups, "only": only, "page": page,
        "total": sum(len(g["results"]) for g in groups), "more": any(g["has_more"] for g in groups),
        "first_number": (page - 1) * PER_GROUP + 1, "highlight": highlight_terms(query) if groups else [],
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


#: Paths no search engine should crawl: the admin, accounts, per-person and organiser pages, exports and feeds' .ics.
ROBOTS_DISALLOW = ("/admin/", "/accounts/", "/i18n/", "/search/", "/events/mine/", "/meetings/", "/experts/tasks/")


def robots_txt(request):
    from django.http import HttpResponse

    from hub.links import absolute_url

    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "",
             f"Sitemap: {absolute_url('/sitemap.xml')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
