"""Each feature app mounts its URLs here, one line each, before Wagtail's catch-all page serving."""
from django.urls import include, path

urlpatterns = [
    path("", include("hub.meetings.urls")),
    path("notifications/", include("hub.notifications.urls")),
    path("", include("cms.urls")),
    path("standards/", include("sharing.urls")),
    path("experts/", include("expert_pool.urls")),
    path("evaluations/", include("sharing.evaluation_urls")),
]
