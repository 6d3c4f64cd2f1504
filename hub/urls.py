import re

from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from hub import views

handler500 = "hub.views.server_error"

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/<str:code>/", views.choose_language, name="choose_language"),
    path("accounts/", include("hub.accounts.urls")),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    # Feature URLs: each app owns its own urls module.
    path("", include("hub.feature_urls")),
]

# Uploads through the gate's read rules (hub/media.py) in every set-up: an image used only by drafts must not be
# downloadable from its file path in production either (nginx passes /media/ to the workers, README).
from hub.media import media  # noqa: E402

urlpatterns += [re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$", media, name="media")]

# Wagtail's page serving comes last: it catches every remaining path.
urlpatterns += [path("", include(wagtail_urls))]
