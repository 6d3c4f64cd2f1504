"""The language switch in the header: Chinese by default, English on request."""
import pytest
from django.test import Client


@pytest.mark.django_db
def test_the_home_page_is_chinese_by_default(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="zh-hans">' in body
    assert "四项合作机制" in body and "上海市质量协会" in body


@pytest.mark.django_db
def test_the_language_switch_turns_the_home_page_into_english(client):
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert 'href="/i18n/en/?next=/"' in home.content.decode()  # a link: no CSRF form on anonymous pages
    response = client.get("/i18n/en/", {"next": "/"}, HTTP_ACCEPT_LANGUAGE="zh-CN", follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Four cooperation mechanisms" in body and "Member associations" in body
    assert "Shanghai Association for Quality" in body  # names from the data follow the language too
    assert "四项合作机制" not in body
    assert 'href="/i18n/zh-hans/?next=/"' in body
    back = client.get("/i18n/zh-hans/", {"next": "/"}, follow=True).content.decode()
    assert "四项合作机制" in back


@pytest.mark.django_db
def test_the_search_page_speaks_english_too(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get("/search/", {"q": "六西格玛"}).content.decode()
    assert "Site search" in body and "Nothing found." in body


# --- real English pages: the site's own words, names from the data, dates -------------------------------------

import re  # noqa: E402
from datetime import date  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: Elements that hold the site's own words (labels, headings, navigation), not editors' content.
CHROME = re.compile(r"<(nav|label|dt|th|button|option|legend|h2|footer)\b[^>]*>(.*?)</\1>", re.S)


def chrome_text(html: str) -> list[str]:
    texts = []
    for _tag, inner in CHROME.findall(html):
        text = " ".join(re.sub(r"<[^>]+>", " ", inner).split())
        if text:
            texts.append(text)
    return texts


@pytest.fixture
def english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


@pytest.mark.django_db
def test_public_pages_speak_english_in_their_own_words(english, province):
    from tests.cms import factories

    sh = province("SH")
    event = factories.event(sh, title="质量大讲堂", registration_open=True)
    achievement = factories.achievement(sh)
    urls = ["/", "/events/", event.url, "/achievements/", achievement.url, "/standards/", "/standards/matrix/",
            sh.section_page.url, "/search/?q=质量"]
    for url in urls:
        response = english.get(url)
        assert response.status_code == 200, url
        texts = [t.replace("中文", "").replace(event.title, "").replace(achievement.title, "")
                 for t in chrome_text(response.content.decode())]
        chinese = [t for t in texts if CJK.search(t)]
        assert not chinese, (url, chinese[:8])


@pytest.mark.django_db
def test_names_and_dates_follow_the_language(english, province):
    from tests.cms import factories

    sh = province("SH")
    event = factories.event(sh, title="质量月启动", category=factories.category("quality-month"))
    type(event).objects.filter(pk=event.pk).update(start_date=date(2027, 9, 1), end_date=date(2027, 9, 1))
    event.refresh_from_db()
    body = english.get(event.url).content.decode()
    assert "1 Sep 2027" in body and "9月1日" not in body
    assert "Quality Month" in body and "Subscribe to the Shanghai events calendar" in body
    section = english.get(sh.section_page.url).content.decode()
    assert "Events of Shanghai" in section and "Shanghai的" not in section
    campaign = factories.campaign(sh, start_date=date(2027, 9, 1), end_date=date(2027, 9, 30))
    factories.event(sh, title="质量月分会场", campaign=campaign)
    body = english.get(campaign.url).content.decode()
    assert not re.search(r"\d+月\d+日", body) and "星期" not in body


@pytest.mark.django_db
def test_content_pages_in_english_fall_back_to_chinese_with_a_marker(english, province):
    from tests.cms.factories import content_page

    page = content_page(province("SH").section_page, "只有中文的通知", intro="<p>中文正文</p>")
    body = english.get(page.url).content.decode()
    assert "data-language-fallback" in body and "no English version" in body and "中文正文" in body
    chinese = Client().get(page.url).content.decode()
    assert "data-language-fallback" not in chinese
