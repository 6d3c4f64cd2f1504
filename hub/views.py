"""Thin site views of the roundtable core."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from hub import selectors

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
        "first_number": (page - 1) * PER_GROUP + 1,
    })


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
