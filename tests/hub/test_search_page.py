"""The site search page: results grouped by type, only what the visitor may see."""
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail import hooks
from wagtail.models import PageViewRestriction as R

from tests.cms.factories import content_page, restrict

LONG = "各协会对彼此的团体标准逐项作出互认决定。" * 20


@pytest.fixture
def pages(province):
    section = province("SH").section_page
    members = Group.objects.get(name="SH members")
    made = {
        "public": content_page(section, "团体标准互认公告", intro=f"<p>{LONG}</p>"),
        "described": content_page(section, "互认工作说明", search_description="互认流程一页看懂"),
        "draft": content_page(section, "互认草稿", publish=False),
        "members": content_page(section, "会员互认内参"),
        "password": content_page(section, "互认密码页"),
    }
    restrict(made["members"], R.GROUPS, groups=[members])
    restrict(made["password"], R.PASSWORD, password="x")
    return made


MINE = {"团体标准互认公告", "互认工作说明", "互认草稿", "会员互认内参", "互认密码页"}


def titles(response):
    """Titles of this test's pages among the results (the home page's intro mentions 互认 too)."""
    return sorted(r["title"] for g in response.context["groups"] for r in g["results"] if r["title"] in MINE)


@pytest.mark.django_db
def test_anonymous_visitors_find_public_pages_only(client, pages):
    response = client.get("/search/", {"q": "互认"})
    assert response.status_code == 200
    assert titles(response) == ["互认工作说明", "团体标准互认公告"]
    assert "会员互认内参" not in response.content.decode()


@pytest.mark.django_db
def test_members_also_find_their_members_only_pages(client_for, staff_of, pages):
    response = client_for(staff_of("SH", "member")).get("/search/", {"q": "互认"})
    assert titles(response) == ["互认工作说明", "会员互认内参", "团体标准互认公告"]


@pytest.mark.django_db
def test_results_show_the_search_description_or_the_intro_shortened(client, pages):
    response = client.get("/search/", {"q": "互认"})
    summaries = {r["title"]: r["summary"] for g in response.context["groups"] for r in g["results"]}
    assert summaries["互认工作说明"] == "互认流程一页看懂"
    assert summaries["团体标准互认公告"].startswith("各协会对彼此的团体标准")
    assert len(summaries["团体标准互认公告"]) <= 120
    assert [g["key"] for g in response.context["groups"]] == ["pages"]


@pytest.mark.django_db
def test_features_add_their_own_groups_through_the_hook(client, pages):
    def group(*, user, query, limit):
        return {"key": "standards", "label": "团体标准", "order": 30,
                "results": [{"title": f"T/SHAQ 1—2026 {query}", "url": "/standards/1/", "summary": ""}]}

    with hooks.register_temporarily("hub_search_groups", group):
        response = client.get("/search/", {"q": "互认"})
    assert [g["key"] for g in response.context["groups"]] == ["pages", "standards"]
    assert "T/SHAQ 1—2026 互认" in response.content.decode()


@pytest.mark.django_db
def test_an_empty_or_punctuation_query_searches_nothing(client, pages):
    for q in ("", "  ", "？！"):
        response = client.get("/search/", {"q": q})
        assert response.status_code == 200
        assert response.context["groups"] == []


@pytest.mark.django_db
def test_nothing_found_says_so_in_words(client, pages):
    response = client.get("/search/", {"q": "六西格玛"})
    assert response.context["total"] == 0
    assert "没有找到" in response.content.decode()


@pytest.mark.django_db
def test_the_search_page_runs_a_constant_number_of_queries(client_for, staff_of, province):
    member = staff_of("SH", "member")
    c = client_for(member)
    section = province("SH").section_page

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert c.get("/search/", {"q": "互认"}).status_code == 200
        return len(queries)

    content_page(section, "互认一", intro="<p>互认</p>")
    c.get("/search/", {"q": "互认"})  # warm the site-root cache
    small = count()
    for n in range(8):
        restrict(content_page(section, f"互认{n}", intro="<p>互认</p>"), R.LOGIN)
    assert count() == small
