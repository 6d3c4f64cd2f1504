"""Thin site views of the roundtable core."""
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

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
