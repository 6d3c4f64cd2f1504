"""Kept page routes (hub/page_routes.py): a page's second request walks no tree, and whatever changes which page an
address shows, or who may see it, reaches the very next request."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from tests.cms import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

#: What routing reads: the site, the page's view restrictions, its locale (by table); a child by its slug and the
#: specific page by id (by condition).
ROUTING_TABLES = ("wagtailcore_site", "wagtailcore_pageviewrestriction", "wagtailcore_locale")
ROUTING_CONDITIONS = ('"wagtailcore_page"."slug" =', '"page_ptr_id" = ')


def is_routing(sql: str) -> bool:
    table = sql.split(" FROM ", 1)[1].split()[0].strip('"') if " FROM " in sql else ""
    return table in ROUTING_TABLES or any(condition in sql for condition in ROUTING_CONDITIONS)


def routing_queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in ctx.captured_queries if is_routing(query["sql"])]


@pytest.fixture
def member(page_cache):
    client = Client()
    client.force_login(make_user(province_code="SH", role="editor"))
    return client


@pytest.mark.parametrize("which", ["home", "event", "content"])
def test_a_pages_second_request_reads_no_page_tree(which, member, province):
    section = province("SH").section_page
    url = {"home": "/", "event": factories.event(province("SH")).url,
           "content": factories.content_page(section, title="合作机制说明").url}[which]
    assert routing_queries(member, url)  # the first request walks the tree
    assert routing_queries(member, url) == []


def test_the_route_is_shared_but_the_restriction_is_checked_for_each_visitor(member, province):
    section = province("SH").section_page
    secret = factories.content_page(section, title="会员专享页面", intro="仅会员可见的内部通报")
    factories.restrict(secret, PageViewRestriction.LOGIN)
    for _ in range(2):
        assert "仅会员可见的内部通报" in member.get(secret.url).content.decode()
        anonymous = Client().get(secret.url)  # the route kept by the member's requests: still refused
        assert anonymous.status_code == 302 and "仅会员可见的内部通报" not in anonymous.content.decode()


def test_a_restriction_added_later_closes_the_page_at_once(page_cache, province,
                                                          django_capture_on_commit_callbacks):
    page = factories.content_page(province("SH").section_page, title="先公开后限制", intro="后来只给会员看的通报")
    for _ in range(2):
        assert "后来只给会员看的通报" in Client().get(page.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        factories.restrict(page, PageViewRestriction.LOGIN)
    closed = Client().get(page.url)
    assert closed.status_code == 302 and "后来只给会员看的通报" not in closed.content.decode()


def test_a_live_page_saved_without_publishing_shows_the_saved_row(member, province,
                                                                  django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), title="直接保存之前")
    for client in (member, Client()):
        assert "直接保存之前" in client.get(event.url).content.decode()
    event.title = "直接保存之后"
    with django_capture_on_commit_callbacks(execute=True):
        event.save(update_fields=["title"])  # a service changing a field of the live page, no revision
    for client in (member, Client()):
        body = client.get(event.url).content.decode()
        assert "直接保存之后" in body and "直接保存之前" not in body


def test_a_renamed_page_leaves_its_old_address(member, province, django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), title="改名活动")
    old_url = event.url
    for client in (member, Client()):
        assert client.get(old_url).status_code == 200
    event.slug = "renamed-event"
    with django_capture_on_commit_callbacks(execute=True):
        event.save_revision().publish()
    event.refresh_from_db()
    assert event.url != old_url
    for client in (member, Client()):
        assert client.get(old_url).status_code in (301, 404)
        assert "改名活动" in client.get(event.url).content.decode()
