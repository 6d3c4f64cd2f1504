"""Anonymous pages are cookie-free and shared through the page cache, purged when what they show changes;
nothing a member sees is ever served from it or kept by a shared cache."""
import pytest
from django.test import Client
from wagtail.models import PageViewRestriction

from tests.cms import factories
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/events/", "/achievements/", "/standards/", "/standards/matrix/", "/experts/", "/search/?q=质量"]


def anonymous_get(url, **extra):
    response = Client().get(url, **extra)
    return response, response.content.decode()


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_anonymous_page_sets_no_cookie_and_does_not_vary_on_cookie(url, page_cache):
    response, _ = anonymous_get(url)
    assert response.status_code == 200
    assert not response.cookies, response.cookies
    assert "cookie" not in response.get("Vary", "").lower()
    control = response["Cache-Control"]
    assert "public" in control and "s-maxage=" in control
    assert response.has_header("ETag") and response.has_header("Last-Modified")


def test_event_page_with_registration_form_is_shareable(province, page_cache):
    event = factories.event(province("SH"), registration_open=True, capacity=30)
    response, body = anonymous_get(event.url)
    assert "registration-form" in body
    assert not response.cookies and "csrfmiddlewaretoken" not in body
    assert anonymous_get(event.url)[0]["X-Page-Cache"] == "hit"


def test_second_anonymous_request_is_served_from_the_cache_and_revalidates(page_cache):
    first, body = anonymous_get("/events/")
    assert first["X-Page-Cache"] == "miss"
    second, again = anonymous_get("/events/")
    assert second["X-Page-Cache"] == "hit" and again == body
    assert Client().get("/events/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_published_change_is_visible_to_the_next_anonymous_request(province, page_cache,
                                                                  django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), title="质量月启动仪式")
    assert "质量月启动仪式" in anonymous_get(event.url)[1]
    assert "质量月启动仪式" in anonymous_get("/events/")[1]
    event.title = "质量月闭幕式"
    with django_capture_on_commit_callbacks(execute=True):
        event.save_revision().publish()
    for url in (event.url, "/events/"):
        response, body = anonymous_get(url)
        assert "质量月闭幕式" in body and "质量月启动仪式" not in body, url
        assert response["X-Page-Cache"] == "miss"


def test_new_event_appears_in_the_listing_at_once(province, page_cache, django_capture_on_commit_callbacks):
    anonymous_get("/events/")
    with django_capture_on_commit_callbacks(execute=True):
        factories.event(province("JS"), title="江苏质量大讲堂新一期")
    assert "江苏质量大讲堂新一期" in anonymous_get("/events/")[1]


def test_unpublished_page_is_gone_for_the_next_anonymous_request(province, page_cache,
                                                                django_capture_on_commit_callbacks):
    event = factories.event(province("SH"))
    url = event.url
    assert anonymous_get(url)[0].status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        event.unpublish()
    assert anonymous_get(url)[0].status_code == 404


def test_moved_page_is_served_at_its_new_address_only(province, page_cache, django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), title="迁移测试活动")
    old_url = event.url
    assert anonymous_get(old_url)[0].status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        event.move(province("ZJ").section_page, pos="last-child")
    event.refresh_from_db()
    assert event.url != old_url
    moved = anonymous_get(old_url)[0]  # Wagtail's automatic redirect, not the stored page
    assert moved.status_code == 301 and moved["Location"].endswith(event.url)
    assert "迁移测试活动" in anonymous_get(event.url)[1]


def test_registration_updates_the_places_left(province, page_cache, django_capture_on_commit_callbacks):
    from cms import services

    event = factories.event(province("SH"), registration_open=True, capacity=30)
    assert "剩余 30 个" in anonymous_get(event.url)[1]
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_create(event_id=event.pk, name="张三", email="zhang@example.test")
    assert "剩余 29 个" in anonymous_get(event.url)[1]


def test_recognition_decision_shows_in_the_matrix(page_cache, django_capture_on_commit_callbacks):
    from hub.models import Province
    from sharing import services
    from sharing.models.standards import Outcome
    from tests.sharing.factories import make_standard, propose

    standard = make_standard("SH")
    propose(standard, "JS")
    before = anonymous_get("/standards/matrix/")[1]
    assert standard.number in before
    js = Province.objects.get(code="JS")
    reviewer = make_user(province_code="JS", role="reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        services.recognition_decide(actor=reviewer, standard_id=standard.pk, province_id=js.pk,
                                    outcome=Outcome.RECOGNISED, rationale="技术内容一致。",
                                    evidence_url="https://example.test/resolution")
    response, after = anonymous_get("/standards/matrix/")
    assert response["X-Page-Cache"] == "miss" and after != before


def test_expert_approval_shows_in_the_directory(page_cache, django_capture_on_commit_callbacks):
    from expert_pool import services
    from tests.expert_pool.factories import make_expert

    expert = make_expert("SH", status="pending", name="李审核")
    assert "李审核" not in anonymous_get("/experts/")[1]
    coordinator = make_user(province_code="SH", role="coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        services.expert_set_status(actor=coordinator, expert_id=expert.pk, status="active")
    assert "李审核" in anonymous_get("/experts/")[1]


def test_logged_in_pages_are_never_served_from_or_kept_by_the_shared_cache(client, page_cache):
    anonymous, _ = anonymous_get("/events/")
    member = make_user(province_code="SH", role="editor", first_name="王会员")
    client.force_login(member)
    response = client.get("/events/")
    body = response.content.decode()
    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "cookie" in response.get("Vary", "").lower()
    assert member.username in body or "王会员" in body
    # … and what the member saw was not stored for the next anonymous visitor.
    again, anonymous_body = anonymous_get("/events/")
    assert again["X-Page-Cache"] == "hit" and "王会员" not in anonymous_body


def test_members_only_page_is_never_served_from_the_cache(client, province, page_cache):
    from cms.achievements import AchievementPage  # noqa: F401 - the section pages are cms pages

    section = province("SH").section_page
    secret = factories.content_page(section, title="会员专享页面", intro="仅会员可见的内部通报")
    factories.restrict(secret, PageViewRestriction.LOGIN)
    member = make_user(province_code="SH", role="editor")
    client.force_login(member)
    shown = client.get(secret.url)
    assert shown.status_code == 200 and "仅会员可见的内部通报" in shown.content.decode()
    for _ in range(2):
        response, body = anonymous_get(secret.url)
        assert response.status_code == 302 and "仅会员可见的内部通报" not in body
        assert "X-Page-Cache" not in response


def test_english_visitors_get_their_own_copy(page_cache):
    chinese = anonymous_get("/events/")[1]
    english_client = Client()
    english_client.cookies["django_language"] = "en"
    english = english_client.get("/events/")
    assert english.content.decode() != chinese
    assert "private" in english["Cache-Control"]
    assert anonymous_get("/events/")[1] == chinese


def test_language_link_sets_the_cookie_and_returns_to_this_site_only():
    client = Client()
    response = client.get("/i18n/en/", {"next": "/events/?province=SH"})
    assert response.status_code == 302 and response["Location"] == "/events/?province=SH"
    assert response.cookies["django_language"].value == "en"
    assert client.get("/i18n/zh-hans/", {"next": "https://evil.example/"})["Location"] == "/"
    assert client.get("/i18n/xx/").status_code == 404


def test_header_has_language_links_and_no_forms_for_anonymous_visitors():
    body = anonymous_get("/")[1]
    assert 'href="/i18n/en/?next=/"' in body
    assert "csrfmiddlewaretoken" not in body


def test_anonymous_registration_needs_this_sites_origin(province):
    from cms.events import Registration

    event = factories.event(province("SH"), registration_open=True, capacity=30)
    client = Client(enforce_csrf_checks=True)
    data = {"name": "赵六", "email": "zhao@example.test"}
    forged = client.post(f"/events/{event.pk}/register/", data, HTTP_ORIGIN="https://evil.example")
    assert forged.status_code == 403
    assert client.post(f"/events/{event.pk}/register/", data).status_code == 403  # no Origin at all
    assert not Registration.objects.filter(event=event).exists()
    ok = client.post(f"/events/{event.pk}/register/", data, HTTP_ORIGIN="http://testserver")
    assert ok.status_code == 302
    assert Registration.objects.filter(event=event, email="zhao@example.test").exists()


def test_logged_in_registration_still_needs_the_token(province):
    from cms.events import Registration

    event = factories.event(province("SH"), registration_open=True, capacity=30)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(province_code="SH", role="editor"))
    data = {"name": "钱七", "email": "qian@example.test"}
    assert client.post(f"/events/{event.pk}/register/", data, HTTP_ORIGIN="http://testserver").status_code == 403
    assert not Registration.objects.filter(event=event).exists()
