"""English versions of pages (hub/translations.py): shown over the Chinese page under its URL when published, never
when a draft, never more public than the Chinese page, never listed twice."""
import pytest
from django.test import Client
from wagtail.models import Locale, Page, PageViewRestriction

from cms.translations import translation_of
from hub.permissions import read
from tests.cms import factories


@pytest.fixture
def english_locale():
    return Locale.objects.get(language_code="en")


@pytest.fixture
def english():
    c = Client()
    c.cookies["django_language"] = "en"
    return c


def english_version(page, locale, *, publish=True, **text):
    translated = translation_of(page, locale, **text)
    revision = translated.save_revision()
    if publish:
        revision.publish()
    return translated


@pytest.mark.django_db
def test_a_published_english_version_replaces_the_text_under_the_same_url(english, english_locale, province):
    page = factories.content_page(province("SH").section_page, "质量月通知", intro="<p>中文导语</p>")
    english_version(page, english_locale, title="Quality Month notice", intro="<p>English intro</p>")

    body = english.get(page.url).content.decode()
    assert "Quality Month notice" in body and "English intro" in body
    assert "中文导语" not in body and "data-language-fallback" not in body
    chinese = Client().get(page.url).content.decode()
    assert "中文导语" in chinese and "English intro" not in chinese


@pytest.mark.django_db
def test_a_draft_english_version_is_not_shown_to_anyone_on_the_site(english, english_locale, province, client_for,
                                                                     staff_of):
    page = factories.content_page(province("SH").section_page, "草稿译文原页", intro="<p>中文导语</p>")
    draft = english_version(page, english_locale, publish=False, title="Unpublished English",
                            intro="<p>English draft</p>")
    assert not Page.objects.get(pk=draft.pk).live
    for client in (english, client_for(staff_of("SH", "editor"))):
        client.cookies["django_language"] = "en"
        body = client.get(page.url).content.decode()
        assert "English draft" not in body and "data-language-fallback" in body and "中文导语" in body
    assert not read.published_pages(None).filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_an_english_version_is_no_more_public_than_its_chinese_page(english, english_locale, province):
    sh = province("SH")
    page = factories.content_page(sh.section_page, "会员内参", intro="<p>会员内容</p>")
    factories.restrict(page, PageViewRestriction.LOGIN)
    translated = english_version(page, english_locale, title="Members' brief", intro="<p>members text</p>")
    PageViewRestriction.objects.filter(page=translated).delete()  # an editor dropped it from the copy

    response = english.get(page.url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not read.published_pages(None).filter(pk=translated.pk).exists()
    assert "members text" not in english.get("/search/?q=members").content.decode()
    # The Chinese page unpublished: its English version goes with it.
    public = factories.content_page(sh.section_page, "公开页", intro="<p>公开</p>")
    shown = english_version(public, english_locale, title="Public page")
    assert read.published_pages(None).filter(pk=shown.pk).exists()
    public.unpublish()
    assert not read.published_pages(None).filter(pk=shown.pk).exists()
    assert english.get(public.url).status_code == 404


@pytest.mark.django_db
def test_an_event_in_english_keeps_one_record_its_registrations_and_one_listing_entry(english, english_locale,
                                                                                        province):
    sh = province("SH")
    event = factories.event(sh, title="数字化质量研讨", registration_open=True, capacity=3)
    factories.registration(event)
    english_version(event, english_locale, title="Digital quality seminar", summary="A lecture in English.")

    body = english.get(event.url).content.decode()
    assert "Digital quality seminar" in body and "A lecture in English." in body
    assert f"/events/{event.pk}/register/" in body  # registrations go to the one event record
    listing = english.get("/events/").content.decode()
    assert listing.count("Digital quality seminar") == 1 and "数字化质量研讨" not in listing
    assert Client().get("/events/").content.decode().count("数字化质量研讨") == 1
    home = english.get("/").content.decode()
    assert "Digital quality seminar" in home


@pytest.mark.django_db
def test_search_in_english_shows_the_english_title_of_a_page_once(english, english_locale, province):
    page = factories.content_page(province("SH").section_page, "卓越绩效自评指南", intro="<p>卓越绩效自评</p>")
    english_version(page, english_locale, title="Performance excellence self-assessment guide")
    body = english.get("/search/", {"q": "卓越绩效"}).content.decode()
    assert body.count("Performance excellence self-assessment guide") == 1


@pytest.mark.django_db
def test_pages_without_an_english_version_keep_the_marker(english, province):
    page = factories.content_page(province("SH").section_page, "只有中文", intro="<p>仅中文</p>")
    body = english.get(page.url).content.decode()
    assert "data-language-fallback" in body and "仅中文" in body


@pytest.mark.django_db
def test_site_titles_in_english_are_english(english, province):
    import re

    for url in ("/events/", "/achievements/", "/standards/", "/experts/", "/accounts/login/"):
        title = re.search(r"<title>(.*?)</title>", english.get(url).content.decode(), re.S).group(1)
        assert not re.search(r"[\u4e00-\u9fff]", title), (url, title)


@pytest.mark.django_db
def test_standards_show_their_english_names_on_the_english_site(english):
    from tests.sharing.factories import make_standard

    standard = make_standard("SH", title_zh="现场管理星级评价规范", title_en="On-site management star rating")
    for url in ("/standards/", standard.get_absolute_url(), "/standards/matrix/"):
        body = english.get(url).content.decode()
        assert "On-site management star rating" in body, url
    detail = english.get(standard.get_absolute_url()).content.decode()
    h1 = detail.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "On-site management star rating" in h1 and "现场管理星级评价规范" not in h1
    assert "现场管理星级评价规范" in Client().get(standard.get_absolute_url()).content.decode().split("<h1", 1)[1]
