import pytest
from django.test import override_settings

from hub.links import absolute_url


@override_settings(HUB_BASE_URL="https://hub.example.org/")
def test_absolute_url_joins_the_base_and_a_path_once():
    assert absolute_url("/experts/requests/15/") == "https://hub.example.org/experts/requests/15/"
    assert absolute_url("events/") == "https://hub.example.org/events/"
    assert absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"


# --- the Site record and every outgoing link follow HUB_BASE_URL ------------------------------------------------

BASE = "https://hub.example.org"


@pytest.mark.django_db
def test_setup_roundtable_keeps_the_wagtail_site_at_hub_base_url(settings):
    from wagtail.models import Site

    from hub.services.provisioning import setup_roundtable

    settings.HUB_BASE_URL = BASE
    setup_roundtable()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.root_url) == ("hub.example.org", 443, BASE)
    settings.HUB_BASE_URL = "http://127.0.0.1:8000"
    setup_roundtable()
    site.refresh_from_db()
    assert site.root_url == "http://127.0.0.1:8000"


@pytest.mark.django_db
def test_ical_and_registration_mail_link_to_hub_base_url(settings, client, province,
                                                         django_capture_on_commit_callbacks):
    from django.core import mail
    from icalendar import Calendar

    from cms import services
    from tests.cms import factories

    settings.HUB_BASE_URL = BASE
    event = factories.event(province("SH"), title="链接测试活动", registration_open=True,
                            co_organisers=[province("ZJ")])
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.registration_create(event_id=event.pk, name="张三", email="z@example.test")
    assert registration.status == "confirmed"
    message = mail.outbox[-1]
    assert f"{BASE}{event.url}" in message.body and "localhost" not in message.body

    calendars = [client.get(url).content for url in ("/events/calendar.ics", "/events/province/sh.ics",
                                                     "/events/province/zj.ics", f"/events/{event.pk}.ics")]
    calendars.append(message.attachments[0][1])
    for content in calendars:
        content = content if isinstance(content, bytes) else content.encode()
        assert b"localhost" not in content
        urls = [str(vevent["URL"]) for vevent in Calendar.from_ical(content).walk("VEVENT")]
        assert urls and all(url.startswith(BASE + "/") for url in urls), urls

    rss = client.get("/events/feed/rss/").content.decode()
    assert f"<link>{BASE}{event.url}</link>" in rss
