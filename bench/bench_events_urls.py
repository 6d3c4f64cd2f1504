"""The hub's URLs plus the baseline: the smallest Django view, served by the same server in the same run."""
from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), path("", include("hub.urls"))]
