"""The hub's URLs plus the baseline for bench/pages.py: a minimal view answering exactly ``n`` bytes."""
from django.http import HttpResponse
from django.urls import include, path

_bodies: dict[int, bytes] = {}


def minimal(request, size: int):
    body = _bodies.get(size)
    if body is None:
        body = _bodies.setdefault(size, b"x" * size)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


class UncachedSwitch:
    """``X-Bench-Uncached: 1`` makes the page cache render the page as on a miss (the bench's uncached rounds)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Bench-Uncached"):
            request.skip_page_cache = True
        return self.get_response(request)


urlpatterns = [path("bench/minimal/<int:size>/", minimal), path("", include("hub.urls"))]
