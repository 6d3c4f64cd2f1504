"""The UI speaks Chinese first: English only through the language switch, never from the browser's settings."""
import pytest


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese(client):
    response = client.get("/search/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans"' in response.content.decode()


@pytest.mark.django_db
def test_the_language_switch_turns_the_site_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/search/"})
    response = client.get("/search/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies["django_language"] = "fr"
    assert client.get("/search/").headers["Content-Language"] == "zh-hans"
