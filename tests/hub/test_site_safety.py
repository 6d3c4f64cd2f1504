"""Safe redirects, the Content-Security-Policy, the site's own login and error pages, and a 503 while the
database cannot be reached."""
import re
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from wagtail.models import PageViewRestriction

from hub.models import Province
from tests.cms.factories import content_page, restrict
from tests.hub.meetings.factories import ActionItemFactory

OUTSIDE = "https://elsewhere.example/"


# --------------------------------------------------------------------------------------------- redirects

@pytest.mark.django_db
@pytest.mark.parametrize("target", [OUTSIDE, "//elsewhere.example/", "https:///elsewhere.example"])
def test_action_item_done_never_follows_an_outside_next(target, staff_of, client_for):
    item = ActionItemFactory(owner_province=Province.objects.get(code="ZJ"))
    refused = client_for(staff_of("SH", "editor")).post(f"/actions/{item.pk}/done/",
                                                         {"evidence": "已完成", "next": target})
    assert refused.status_code in (302, 404) and "elsewhere" not in refused.get("Location", "")
    done = client_for(staff_of("ZJ", "editor")).post(f"/actions/{item.pk}/done/",
                                                      {"evidence": "见附件", "next": target})
    assert done.status_code == 302 and done["Location"] == "/actions/"


@pytest.mark.django_db
def test_action_item_done_follows_a_next_on_this_site(staff_of, client_for):
    item = ActionItemFactory(owner_province=Province.objects.get(code="ZJ"))
    done = client_for(staff_of("ZJ", "editor")).post(f"/actions/{item.pk}/done/",
                                                      {"evidence": "见附件", "next": "/actions/province/ZJ/"})
    assert done["Location"] == "/actions/province/ZJ/"


@pytest.mark.django_db
def test_login_never_follows_an_outside_next(user_factory):
    user = user_factory()
    response = Client().post("/accounts/login/", {"username": user.username, "password": "pw-for-tests-only",
                                                  "next": OUTSIDE})
    assert response.status_code == 302 and response["Location"] == settings.LOGIN_REDIRECT_URL


# ----------------------------------------------------------------------------------- Content-Security-Policy

def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/events/", "/experts/", "/standards/", "/search/?q=质量", "/accounts/login/",
                                 "/no-such-page/"])
def test_site_pages_carry_the_strict_policy(url):
    policy = directives(Client().get(url))
    assert policy["script-src"] == ["'self'"] and policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'self'"]
    for sources in policy.values():
        assert not [s for s in sources if "://" in s or s in ("*", "http:", "https:")]  # no outside host


@pytest.mark.django_db
def test_admin_pages_allow_only_their_own_inline_scripts(staff_of, client_for):
    policy = directives(client_for(staff_of("SH", "editor")).get("/admin/"))
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"] and "'unsafe-eval'" not in policy["script-src"]
    assert not [s for sources in policy.values() for s in sources if "://" in s]


def test_site_templates_contain_no_inline_script():
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path}: {tag}")
        if re.search(r"\son[a-z]+=\"", path.read_text()) or "javascript:" in path.read_text():
            offenders.append(f"{path}: inline event handler")
    assert offenders == []


# ---------------------------------------------------------------------------- login and error pages

@pytest.mark.django_db
def test_members_only_page_sends_visitors_to_the_site_login_with_a_reason(province):
    page = content_page(province("SH").section_page, "会员内参")
    restrict(page, PageViewRestriction.LOGIN)
    response = Client().get(page.url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?reason=members&next=")
    login = Client().get(response["Location"]).content.decode()
    assert "仅对圆桌会议成员" in login and 'class="site-header"' in login and 'name="viewport"' in login


@pytest.mark.django_db
def test_forbidden_is_a_chinese_page_in_the_site_layout(user_factory, client_for):
    response = client_for(user_factory()).get("/experts/export.xlsx")
    body = response.content.decode()
    assert response.status_code == 403 and "无权访问" in body and 'class="site-header"' in body


@pytest.mark.django_db
def test_not_found_is_a_chinese_page_in_the_site_layout():
    response = Client().get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404 and "页面不存在" in body and 'class="site-header"' in body


def test_server_error_is_a_chinese_page():
    from django.test import RequestFactory

    from hub.views import server_error

    try:
        raise ValueError("boom")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500 and "服务器出错" in body and 'class="site-header"' in body


# ------------------------------------------------------------------------------------ database down: 503

def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def database_unreachable():
    """Points the default connection at a closed port for real (no mock), and back afterwards."""
    original = dict(connection.settings_dict)

    def drop():
        connection.close()
        if getattr(connection, "pool", None) is not None:
            connection.close_pool()  # the psycopg pool keeps live connections; the next one is built from settings

    def cut():
        drop()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))

    def restore():
        drop()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)

    yield cut, restore
    restore()


#: Bound on a 503 while the database is down: hub.db waits half a second for a pooled connection, then one refused
#: attempt decides (far below the pool's 10 s timeout, which every request waited out before).
DOWN_ANSWER_SECONDS = 3.0


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def answered_within(client, url, status, seconds):
    """Polls ``url`` until it answers ``status``; fails with the last answer once ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(url)
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, (url, response.status_code)
            return response


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_promptly_while_the_database_is_down_and_recover(database_unreachable, caplog,
                                                                           monkeypatch):
    from hub.db.health import database_health

    monkeypatch.setattr(database_health, "down", False)
    cut, restore = database_unreachable
    client = Client(raise_request_exception=False)
    assert client.get("/events/").status_code == 200
    assert client.get("/healthz").json()["status"] == "ok"
    cut()
    for url in ("/", "/events/", "/standards/", "/events/"):
        page, took = timed_get(client, url)
        body = page.content.decode()
        assert page.status_code == 503, url
        assert took < DOWN_ANSWER_SECONDS, (url, took)
        assert "服务暂时不可用" in body and 'class="site-header"' in body and 'name="viewport"' in body
    health, took = timed_get(client, "/healthz")
    assert health.status_code == 503 and health.json()["down"] == ["database"] and took < DOWN_ANSWER_SECONDS
    assert health.json()["database"] == "down"
    restore()  # the server is back: the hub finds it by itself within its retry interval
    answered_within(client, "/events/", 200, 10)
    assert client.get("/healthz").status_code == 200
    # One line when the database went and one when it came back, not a line and a traceback per page answered.
    messages = [r.getMessage() for r in caplog.records]
    assert sum("database unreachable" in m for m in messages) == 1, messages
    assert sum("database reachable again" in m for m in messages) == 1, messages
    assert not [r for r in caplog.records if r.name.startswith("django")], messages


@pytest.mark.django_db
def test_healthz_names_redis_when_it_is_down(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    health = Client().get("/healthz")
    assert health.status_code == 503 and health.json()["down"] == ["redis"] and health.json()["database"] == "ok"


@pytest.mark.redis
@pytest.mark.django_db
def test_healthz_is_ok_with_database_and_redis(settings):
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    health = Client().get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok", "down": [], "database": "ok",
                                                           "redis": "ok"}
