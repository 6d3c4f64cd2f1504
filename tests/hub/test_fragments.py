"""Kept page content (hub/fragments.py): a hit runs none of the listing's queries, the page cache's purge reaches it,
and what one session saw is never shown to another session or to anonymous visitors."""
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from tests.cms import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LISTINGS = ["/", "/events/", "/achievements/", "/standards/", "/standards/matrix/", "/experts/", "/search/?q=质量"]
#: What a signed-in page still asks on a content hit: the user row, and the session where it is not kept in the cache
#: (``cached_db`` with Redis; the embedded default reads it from the database) — the header's unread count is kept.
MEMBER_HIT_QUERIES = 1 + (settings.SESSION_ENGINE != "hub.accounts.cached_sessions")
#: …plus, for pages Wagtail serves, finding the site and the page and its view restrictions.
# Routing a Wagtail page also reads its locale now that pages have English versions (hub/translations.py).
ROUTING_TABLES = ("wagtailcore_site", "wagtailcore_page", "wagtailcore_pageviewrestriction", "cms_homepage",
                  "wagtailcore_locale")
HEADER_TABLES = ("django_session", "auth_user", "hub_notification")


def queries_of(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in ctx.captured_queries]


@pytest.fixture
def member_client(page_cache):
    client = Client()
    client.force_login(make_user(province_code="SH", role="editor"))
    return client


@pytest.mark.parametrize("url", LISTINGS)
def test_members_second_request_runs_no_listing_query(url, member_client, province):
    factories.event(province("SH"), title="圆桌活动")
    first = queries_of(member_client, url)
    second = queries_of(member_client, url)
    assert len(second) < len(first)
    for sql in second:
        table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
        assert table in HEADER_TABLES + ROUTING_TABLES, sql


@pytest.mark.parametrize("url", LISTINGS)
def test_anonymous_miss_of_the_page_cache_reuses_the_content(url, page_cache):
    """A visitor who chose English misses the shared page (it is private), but not the kept content."""
    english = Client()
    english.cookies["django_language"] = "en"
    queries_of(english, url)
    assert queries_of(english, url) == []


def test_query_count_of_a_content_hit_does_not_grow_with_the_data(member_client, province):
    factories.event(province("SH"))
    queries_of(member_client, "/events/")
    small = len(queries_of(member_client, "/events/"))
    factories.bulk_events([{"province": province("JS"), "days_ahead": 10 + i} for i in range(60)])
    from hub import pagecache

    pagecache.purge_path("/events/")
    queries_of(member_client, "/events/")
    assert len(queries_of(member_client, "/events/")) == small == MEMBER_HIT_QUERIES


def test_published_change_reaches_a_members_kept_content(member_client, province,
                                                        django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), title="质量月启动仪式")
    for url in (event.url, "/events/"):
        assert "质量月启动仪式" in member_client.get(url).content.decode()
    event.title = "质量月闭幕式"
    with django_capture_on_commit_callbacks(execute=True):
        event.save_revision().publish()
    for url in (event.url, "/events/"):
        body = member_client.get(url).content.decode()
        assert "质量月闭幕式" in body and "质量月启动仪式" not in body, url


def test_one_sessions_content_is_never_shown_to_another(page_cache, province):
    from cms import services

    event = factories.event(province("SH"), registration_open=True, capacity=30)
    registered, other = make_user(province_code="SH", role="editor"), make_user(province_code="JS", role="editor")
    services.registration_create(event_id=event.pk, name="张三", email="zhang@example.test", user=registered)
    first = Client()
    first.force_login(registered)
    assert "您已报名" in first.get(event.url).content.decode()
    second = Client()
    second.force_login(other)
    for client in (second, Client()):
        for _ in range(2):
            assert "您已报名" not in client.get(event.url).content.decode()


def test_members_only_content_kept_for_a_member_never_reaches_anonymous_visitors(member_client, province):
    section = province("SH").section_page
    secret = factories.content_page(section, title="会员专享页面", intro="仅会员可见的内部通报")
    factories.restrict(secret, PageViewRestriction.LOGIN)
    for _ in range(2):
        assert "仅会员可见的内部通报" in member_client.get(secret.url).content.decode()
        assert "会员专享页面" in member_client.get("/search/?q=会员专享").content.decode()
    anonymous = Client()
    for _ in range(2):
        assert anonymous.get(secret.url).status_code == 302
        assert "会员专享页面" not in anonymous.get("/search/?q=会员专享").content.decode()


def test_a_new_sign_in_gets_fresh_content(page_cache, province):
    """A fragment belongs to one session: after signing in again (a new session, a new CSRF secret) nothing of the
    old session's pages is reused."""
    event = factories.event(province("SH"), registration_open=True, capacity=30)
    member = make_user(province_code="SH", role="editor")
    Client().get(event.url)  # the page's route is shared by everyone (hub/page_routes.py): kept from here on
    client = Client()
    client.force_login(member)

    def content_queries():
        # Not per session: the header's unread count (kept per user, hub.notifications) and content types (kept per
        # process by Django).
        return [sql for sql in queries_of(client, event.url)
                if '"hub_notification"' not in sql and 'FROM "django_content_type"' not in sql]

    cold = content_queries()
    assert len(content_queries()) < len(cold)
    client.logout()
    client.force_login(member)
    again = content_queries()
    assert len(again) == len(cold), [q[:120] for q in cold if q not in again]


def test_nothing_is_kept_while_the_page_cache_is_off(province):
    client = Client()
    client.force_login(make_user(province_code="SH", role="editor"))
    queries_of(client, "/events/")  # the first request also fills the per-process site root paths
    assert len(queries_of(client, "/events/")) == len(queries_of(client, "/events/")) > MEMBER_HIT_QUERIES


def test_translations_stay_per_language():
    from django.utils import translation

    with translation.override("en"):
        english = translation.gettext("搜索")
    with translation.override("zh-hans"):
        chinese = translation.gettext("搜索")
    with translation.override("en"):
        assert translation.gettext("搜索") == english
    assert chinese == "搜索" and english != chinese
