"""The language switch in the header: Chinese by default, English on request."""
import pytest


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
