"""Every public listing and detail page runs the same number of SQL queries however much data there is."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cms import factories

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> int:
    client.get(url)  # warm per-process caches (content types, site root paths) so both sizes start equal
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def grow(province, campaign, detail_event, detail_achievement, n):
    """Add n events and n achievements across provinces (some joint, some members-only, some adopted)."""
    from hub.models import Province

    provinces = list(Province.objects.order_by("order"))
    for i in range(n):
        lead = provinces[i % len(provinces)]
        co = [provinces[(i + 1) % len(provinces)]]
        factories.event(lead, co_organisers=co, campaign=campaign, days_ahead=5 + i)
        a = factories.achievement(lead, visibility="members" if i % 3 == 0 else "public", tags=[f"标签{i % 4}"])
        factories.adoption(a, co[0])
        factories.registration(detail_event)
        factories.adoption(detail_achievement, provinces[(i + 2) % len(provinces)] if provinces[(i + 2) % len(
            provinces)] != detail_achievement.province else provinces[(i + 3) % len(provinces)])


URLS = [
    "/", "/sh/", "/events/", "/events/?province=JS&when=all", "/events/?page=2", "/achievements/",
    "/achievements/?adopted=1", "/achievements/?province=SH&year=2025", "/events/calendar.ics",
    "/events/province/sh.ics", "/events/feed/rss/", "/achievements/feed/atom/",
]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", "member", "editor"])
def test_listing_and_detail_pages_run_a_constant_number_of_queries(client_for, province, staff_of, who):
    user = {"anonymous": None, "member": staff_of("SH", "member"), "editor": staff_of("SH", "editor")}[who]
    client = client_for(user)
    campaign = factories.campaign(province("SH"))
    detail_event = factories.event(province("SH"), registration_open=True, co_organisers=[province("ZJ")])
    detail_achievement = factories.achievement(province("SH"))
    urls = URLS + [detail_event.url, detail_achievement.url, campaign.url]

    grow(province, campaign, detail_event, detail_achievement, 2)
    small = {url: count_queries(client, url) for url in urls}
    grow(province, campaign, detail_event, detail_achievement, 14)
    large = {url: count_queries(client, url) for url in urls}
    assert small == large
