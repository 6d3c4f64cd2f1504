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
from tests.hub.meetings.factories import MeetingFactory

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
                            log_level="warning", ws="websockets-sansio", lifespan="off")
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
    from hub.meetings.selectors import person_colour

    person_rgb = "rgb({}, {}, {})".format(*(int(person_colour(zj.pk)[i:i + 2], 16) for i in (1, 3, 5)))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        pages = []
        for cookie in cookies:
            context = browser.new_context(bypass_csp=True, accept_downloads=True)
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
        marker = guest.eval_on_selector(".collaboration-cursor__label:has-text('钟主持') .province-marker",
                                        "el => getComputedStyle(el).backgroundColor")
        assert marker == f"rgb({r}, {g}, {b})"  # the host province's colour, set by the server, as a marker
        assert label_colour == person_rgb  # and the person's own colour on the label
        until_stored(meeting.pk, "浙江：成果库进展顺利", "上海：同意")  # stored before the host closes the meeting

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


def stored_text(meeting_id: int) -> str:
    """The notes as stored, read on a thread of its own: Playwright's event loop runs on this one, and Django
    refuses the ORM inside an event loop."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from hub.meetings import notes

    def read():
        try:
            doc, _ = notes.build_doc(meeting_id)
            return "\n".join(notes.blocks_lines(notes.doc_blocks(doc)))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(read).result()


def until_stored(meeting_id: int, *texts: str, timeout: float = 15.0) -> None:
    """Wait until the log holds every one of ``texts`` (a condition with a deadline, never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        text = stored_text(meeting_id)
        if all(t in text for t in texts):
            return
        assert time.monotonic() < deadline, f"not stored within {timeout:g} s: {texts}; stored: {text!r}"
        time.sleep(0.1)


def open_notes(browser, cookie, url):
    context = browser.new_context(bypass_csp=True, locale="zh-CN")
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[data-status][data-state=connected]", timeout=15000)
    return page


def test_closing_the_meeting_turns_open_editors_read_only_and_reports_refused_edits(asgi_server):
    from playwright.sync_api import sync_playwright

    from tests.browser import ARTIFACTS

    meeting = MeetingFactory(host=Province.objects.get(code="ZJ"), title="第八次圆桌会议")
    host = make_user(province_code="ZJ", role="editor", first_name="钟主持")
    sh = make_user(province_code="SH", role="member", first_name="沈代表")
    ah = make_user(province_code="AH", role="member", first_name="安代表")
    js = make_user(province_code="JS", role="member", first_name="江列席")
    for user, role in ((sh, "editor"), (ah, "editor"), (js, "observer")):
        Participant.objects.create(meeting=meeting, user=user, role=role)
    url = f"{asgi_server}/meetings/{meeting.pk}/"
    cookies = [login_cookie(user, asgi_server) for user in (host, sh, ah, js)]
    closed_text = "会议已结束，记录已冻结为纪要，不能再编辑。"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        host_page, editor, offline, observer = (open_notes(browser, cookie, url) for cookie in cookies)
        sockets = []
        editor.on("websocket", lambda ws: sockets.append(ws.url))

        # An observer is read-only from the start, and told so.
        assert observer.get_attribute(".ProseMirror", "contenteditable") == "false"
        assert "只能查看会议记录" in observer.inner_text("[data-notice=observer]")

        editor.click(".ProseMirror")
        editor.keyboard.type("上海：会中意见")
        host_page.wait_for_function("document.querySelector('.ProseMirror').innerText.includes('上海：会中意见')",
                                    timeout=15000)
        # Another editor loses the connection and keeps typing; the host closes the meeting meanwhile.
        offline.evaluate("window.hubNotes.provider.disconnect()")
        offline.click(".ProseMirror")
        offline.keyboard.press("Control+End")
        offline.keyboard.type("安徽：断线时补充")
        until_stored(meeting.pk, "上海：会中意见")  # the connected editor's text is stored before the close

        host_page.on("dialog", lambda dialog: dialog.accept())
        host_page.click("[data-close-meeting]")
        host_page.wait_for_selector("[data-export=docx]", timeout=15000)

        # The open editor turns read-only within seconds, says why, links to the minutes, and lost nothing.
        editor.wait_for_selector("[data-notice=closed]:visible", timeout=5000)
        assert closed_text in editor.inner_text("[data-notice=closed]")
        assert editor.get_attribute("[data-minutes-link]", "href") == f"/meetings/{meeting.pk}/#minutes"
        assert editor.get_attribute(".ProseMirror", "contenteditable") == "false"
        assert editor.is_disabled("[data-cmd=bold]")
        assert editor.inner_text("[data-meeting-status]") == "已结束（待签署）"  # the header no longer says 进行中
        editor.wait_for_selector("[data-notes][data-unsaved=false]", timeout=5000)
        assert not editor.is_visible("[data-notice=unsaved]")
        observer.wait_for_selector("[data-notice=closed]:visible", timeout=5000)
        assert observer.get_attribute(".ProseMirror", "contenteditable") == "false"

        # The editor that typed offline reconnects: the server refuses its edit and the page says so plainly.
        offline.evaluate("window.hubNotes.provider.connect()")
        offline.wait_for_selector("[data-notice=unsaved]:visible", timeout=5000)
        assert offline.is_visible("[data-notice=closed]")
        assert "安徽：断线时补充" in offline.inner_text(".ProseMirror")  # the local copy stays, to be copied
        assert offline.get_attribute(".ProseMirror", "contenteditable") == "false"
        ARTIFACTS.mkdir(exist_ok=True)
        offline.screenshot(path=str(ARTIFACTS / "notes-closed-with-refused-edits.png"), full_page=True)

        # No reconnect loop: the closed editor opens no further websocket. y-websocket opens one only from
        # setupWS, which does nothing unless shouldConnect is set; once the socket is gone with shouldConnect
        # cleared, no timer already scheduled can open another (the state is the proof, not a wait).
        editor.wait_for_function("!window.hubNotes.provider.shouldConnect && window.hubNotes.provider.ws === null",
                                 timeout=5000)
        assert sockets == []  # none opened since the page first connected
        browser.close()

    from hub.meetings import notes

    stored, _ = notes.build_doc(meeting.pk)
    text = "\n".join(notes.blocks_lines(notes.doc_blocks(stored)))
    assert "上海：会中意见" in text and "安徽：断线时补充" not in text


FORMATTED = ("<h2>议题</h2><p>普通<strong>粗体</strong><em>斜体</em><s>删除</s><code>代码</code></p>"
             "<ol start=\"3\"><li><p>第一</p><ul><li><p><em>嵌套</em></p></li></ul></li></ol>"
             "<ul data-type=\"taskList\"><li data-type=\"taskItem\" data-checked=\"true\"><p>已办</p></li>"
             "<li data-type=\"taskItem\" data-checked=\"false\"><p>待办</p></li></ul>"
             "<table><tr><th colspan=\"2\"><p>表头</p></th></tr><tr><td><p>甲</p></td><td><p>乙</p></td></tr></table>")


def test_restoring_a_version_brings_back_what_the_editor_showed(asgi_server):
    from playwright.sync_api import sync_playwright

    meeting = MeetingFactory(host=Province.objects.get(code="SH"))
    editor_user = make_user(province_code="SH", role="editor", first_name="沈编辑")
    cookie = login_cookie(editor_user, asgi_server)
    same = "(want) => JSON.stringify(window.hubNotes.editor.getJSON()) === want"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        editor = open_notes(browser, cookie, f"{asgi_server}/meetings/{meeting.pk}/")
        editor.evaluate("(html) => window.hubNotes.editor.commands.setContent(html)", FORMATTED)
        original = editor.evaluate("JSON.stringify(window.hubNotes.editor.getJSON())")
        assert '"bold"' in original and '"colspan":2' in original and '"checked":true' in original
        until_stored(meeting.pk, "表头", "已办")  # stored before the checkpoint is taken

        history = editor.context.new_page()
        history.goto(f"{asgi_server}/meetings/{meeting.pk}/history/")
        history.fill("input[name=label]", "格式版")
        history.click("form.search-form button[type=submit]")
        history.wait_for_selector("td:has-text('格式版')")

        editor.evaluate("window.hubNotes.editor.commands.setContent('<p>全部改掉</p>')")
        until_stored(meeting.pk, "全部改掉")
        history.reload()
        history.click("tr:has(td:has-text('格式版')) [data-restore]")
        history.click("[data-confirm-restore]")  # restore asks for confirmation, showing the diff first
        history.wait_for_load_state()

        editor.wait_for_function(same, arg=original, timeout=10000)  # the open editor receives the restore
        editor.reload()
        editor.wait_for_selector("[data-status][data-state=connected]", timeout=15000)
        editor.wait_for_function(same, arg=original, timeout=10000)  # and so does a fresh load
        browser.close()
