"""Every public listing, detail page, calendar and feed of events and achievements runs the same number of SQL
queries at 10 and at 1,000 items, for an anonymous visitor, a member and an editor."""
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.achievements import AchievementAttachment
from cms.events import EventAttachment, EventPage, EventQuestion
from tests.cms import factories

pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 1000
WHO = ("anonymous", "member", "editor")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


class Roundtable:
    """The pages under test and the rows that grow beneath them."""

    def __init__(self, province):
        from hub.models import Province

        self.provinces = list(Province.objects.select_related("section_page").order_by("order"))
        self.sh = province("SH")
        self.campaign = factories.campaign(self.sh)
        self.event = factories.event(self.sh, registration_open=True, capacity=5000, co_organisers=[province("ZJ")],
                                     campaign=self.campaign)
        self.achievement = factories.achievement(self.sh, tags=["焊接"])
        self.size = 0

    def grow_to(self, size: int) -> None:
        """Add rows until every growing collection holds ``size`` items (a tenth as many taxonomy entries)."""
        n, start = size - self.size, self.size
        provinces = self.provinces
        categories = [factories.category(f"category-{start + i}") for i in range(max(n // 10, 1))]
        types = [factories.achievement_type(f"type-{start + i}") for i in range(max(n // 10, 1))]
        factories.bulk_events([{
            "province": provinces[i % 5], "co_organisers": provinces[i % 5 + 1:i % 5 + 1 + i % 3],
            # past and upcoming, some in the campaign, spread over the months
            "days_ahead": (i * 37) % 400 - 100, "category": categories[i % len(categories)],
            "campaign": self.campaign if i % 2 == 0 else None,
        } for i in range(start, start + n)])
        achievements = factories.bulk_achievements([{
            "province": provinces[i % 5], "achievement_type": types[i % len(types)], "year": 2018 + i % 8,
            "visibility": "members" if i % 3 == 0 else "public", "tags": [f"标签{i % 40}", f"工具{i % 7}"],
        } for i in range(start, start + n)])
        for i, achievement in enumerate(achievements):
            if i % 2 == 0:
                factories.bulk_adoptions(achievement, provinces, 1 + i % 3)
        for i, province in enumerate(provinces):
            factories.bulk_content_pages(province.section_page, n // 5 + (i < n % 5))
        # the detail pages' own related rows
        factories.bulk_registrations(self.event, n)
        factories.bulk_adoptions(self.achievement, provinces, n)
        co_organisers = EventPage.co_organisers.through  # one co-organiser at the small size, all four at the large
        co_organisers.objects.filter(eventpage=self.event).delete()
        co_organisers.objects.bulk_create([co_organisers(eventpage=self.event, province=p) for p in provinces
                                           if p != self.sh][:1 if size <= SMALL else None])
        EventQuestion.objects.bulk_create([EventQuestion(page=self.event, sort_order=i, label=f"问题{i}")
                                           for i in range(start, start + n // 20 + 1)])
        for model, page in ((EventAttachment, self.event), (AchievementAttachment, self.achievement)):
            model.objects.bulk_create([model(page=page, document=document, sort_order=i) for i, document in
                                       enumerate(factories.bulk_documents(n // 20 + 1), start=start)])
        self.size = size

    def urls(self) -> list[str]:
        month = f"{self.event.start_date:%Y-%m}"
        return [
            "/", "/sh/", "/events/", "/events/?province=JS&when=all", "/events/?page=2&when=all",
            f"/events/?month={month}&when=all", "/achievements/", "/achievements/?adopted=1",
            "/achievements/?province=SH&year=2025", f"/achievements/?tag={quote('标签1')}",
            self.event.url, self.achievement.url, self.campaign.url,
            "/events/calendar.ics", "/events/province/sh.ics", "/events/category/category-0.ics",
            f"/events/{self.event.pk}.ics",
            "/events/feed/rss/", "/events/feed/atom/", "/achievements/feed/rss/", "/achievements/feed/atom/",
        ]


def test_bulk_pages_are_sound_tree_nodes_like_add_child_makes(client, province):
    from wagtail.models import Page

    sh = province("SH")
    before = factories.event(sh)
    bulk = factories.bulk_events([{"province": sh, "co_organisers": [province("ZJ")]} for _ in range(3)])
    after = factories.event(sh)  # the tree API carries on after the bulk rows
    assert [p.pk for p in Page.objects.child_of(sh.section_page).type(EventPage)] == [
        before.pk, *(p.pk for p in bulk), after.pk]
    assert all(not problems for problems in Page.find_problems())
    page = EventPage.objects.get(pk=bulk[0].pk)
    assert (page.province, page.starts_at, page.locale_id, page.url_path) == (
        sh, bulk[0].starts_at, before.locale_id, f"{sh.section_page.url_path}{page.slug}/")
    assert [p.code for p in page.co_organisers.all()] == ["ZJ"]
    assert client.get(page.url).status_code == 200


@pytest.mark.slow
def test_pages_run_constant_queries_at_10_and_1000_items(client_for, province, staff_of):
    clients = {"anonymous": client_for(None), "member": client_for(staff_of("SH", "member")),
               "editor": client_for(staff_of("SH", "editor"))}
    site = Roundtable(province)
    site.grow_to(SMALL)
    for client in clients.values():  # warm per-process caches (content types, site root paths) once
        for url in site.urls():
            client.get(url)
    small = {(who, url): count_queries(client, url) for who, client in clients.items() for url in site.urls()}
    site.grow_to(LARGE)
    large = {(who, url): count_queries(client, url) for who, client in clients.items() for url in site.urls()}
    print("\nqueries at 10 / 1000 items:", *(f"{who:9} {url:40} {small[who, url]:3} {large[who, url]:3}"
                                             for who, url in small), sep="\n")
    assert large == small
