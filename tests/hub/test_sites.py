"""Per-request work done once: one Wagtail site lookup per request, site root paths kept per process."""
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site
from wagtail.models.sites import SITE_ROOT_PATHS_CACHE_KEY, SITE_ROOT_PATHS_CACHE_VERSION

from tests.cms import factories

pytestmark = pytest.mark.django_db


def test_root_paths_come_from_the_process_until_wagtail_clears_them(django_assert_num_queries):
    Site.clear_site_root_paths_cache()
    first = Site.get_site_root_paths()
    cache.delete(SITE_ROOT_PATHS_CACHE_KEY, version=SITE_ROOT_PATHS_CACHE_VERSION)  # not even the shared cache
    with django_assert_num_queries(0):
        assert Site.get_site_root_paths() == first
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "hub.example.org", 80
    site.save()  # Wagtail clears the root paths: this process forgets its copy at once
    assert Site.get_site_root_paths()[0].root_url == "http://hub.example.org"


@pytest.mark.parametrize("url", ["/", "/events/", "/achievements/", "{event}"])
def test_one_site_lookup_per_request(client, province, url):
    event = factories.event(province("SH"))
    url = url.format(event=event.url)
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    lookups = [q["sql"] for q in ctx.captured_queries if 'FROM "wagtailcore_site"' in q["sql"]]
    assert len(lookups) <= 1, lookups
