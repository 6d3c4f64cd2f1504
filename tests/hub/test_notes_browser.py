"""Two Chromium contexts co-edit a live meeting, see each other's text and cursor; closing yields minutes and a DOCX."""
import io
import socket
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from hub.models import Meeting, Participant, Province
from tests.conftest import make_user
from tests.hub.meeting_factories import MeetingFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BUNDLE = Path(settings.BASE_DIR) / "static" / "build" / "notes.js"


@pytest.fixture
def asgi_server():
    """The full ASGI application (HTTP, static files, websockets) served from a thread of this process, so it
    shares the test database whatever its engine."""
    import uvicorn
    from channels.routing import get_default_application
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    assert BUNDLE.exists(), "build the editor first: npm ci && npm run build"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(ASGIStaticFilesHandler(get_default_application()), host="127.0.0.1", port=port,
                            log_level="warning", ws="websockets", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def login_cookie(user, base_url):
    client = Client()
    client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": base_url}


def test_two_browsers_co_edit_then_close_into_minutes_and_docx(asgi_server, tmp_path):
    from playwright.sync_api import sync_playwright

    host_province = Province.objects.get(code="ZJ")
    meeting = MeetingFactory(host=host_province, title="第七次圆桌会议")
    zj = make_user(province_code="ZJ", role="editor", first_name="钟主持")
    sh = make_user(province_code="SH", role="member", first_name="沈代表")
    Participant.objects.create(meeting=meeting, user=sh, role="editor")
    url = f"{asgi_server}/meetings/{meeting.pk}/"
    cookies = [login_cookie(user, asgi_server) for user in (zj, sh)]  # the ORM is off limits inside Playwright's loop
    colour = host_province.colour.lower()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pages = []
        for cookie in cookies:
            context = browser.new_context(accept_downloads=True)
            context.add_cookies([cookie])
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("[data-status][data-state=connected]", timeout=15000)
            pages.append(page)
        host, guest = pages
        host.click(".ProseMirror")
        host.keyboard.type("浙江：成果库进展顺利")
        guest.wait_for_function("document.querySelector('.ProseMirror').innerText.includes('浙江：成果库进展顺利')",
                                timeout=15000)
        guest.click(".ProseMirror")
        guest.keyboard.press("Control+End")
        guest.keyboard.press("Enter")
        guest.keyboard.type("上海：同意")
        host.wait_for_function("document.querySelector('.ProseMirror').innerText.includes('上海：同意')",
                               timeout=15000)
        # Each sees the other's cursor, labelled with the name the server holds for that account.
        guest.wait_for_selector(".collaboration-cursor__label:has-text('钟主持')", timeout=15000)
        host.wait_for_selector(".collaboration-cursor__label:has-text('沈代表')", timeout=15000)
        label_colour = guest.eval_on_selector(".collaboration-cursor__label:has-text('钟主持')",
                                              "el => getComputedStyle(el).backgroundColor")
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert label_colour == f"rgb({r}, {g}, {b})"  # the host province's colour, set by the server
        time.sleep(1.5)  # let the last keystrokes reach the log before the host closes the meeting

        host.on("dialog", lambda dialog: dialog.accept())
        host.click("[data-close-meeting]")
        host.wait_for_selector("[data-export=docx]", timeout=15000)
        assert "浙江：成果库进展顺利" in host.inner_text("article.minutes")
        assert "上海：同意" in host.inner_text("article.minutes")
        with host.expect_download() as download_info:
            host.click("[data-export=docx]")
        path = tmp_path / "minutes.docx"
        download_info.value.save_as(path)
        browser.close()

    from docx import Document

    text = "\n".join(par.text for par in Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert "浙江：成果库进展顺利" in text and "上海：同意" in text
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CLOSED
