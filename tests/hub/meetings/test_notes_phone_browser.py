"""The notes page as people meet it: at phone width (360 px) the editor comes first and the participants are
collapsed; the connection indicator tells the truth offline and while reconnecting; people get their own colours
with their province as a marker."""
import time

import pytest

from hub.meetings import notes
from hub.meetings import selectors as sel
from hub.models import Participant, Province
from tests.browser import ARTIFACTS
from tests.conftest import make_user
from tests.hub.meetings.factories import MeetingFactory
from tests.hub.meetings.test_notes_browser import asgi_server, login_cookie  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PHONE_360 = {"width": 360, "height": 740}


def open_page(chromium, user, url, **options):
    context = chromium.new_context(bypass_csp=True, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    context.add_cookies([login_cookie(user, url.split("/meetings/")[0])])
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[data-status][data-state=connected]")
    return page


def stored_text(meeting):
    doc, _ = notes.build_doc(meeting.pk)
    return "\n".join(notes.blocks_lines(notes.doc_blocks(doc)))


def until(condition, timeout=15.0, message=""):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message or "condition not met in time"
        time.sleep(0.1)


def test_phone_width_puts_the_editor_first_and_collapses_27_participants(chromium, asgi_server):  # noqa: F811
    meeting = MeetingFactory(host=Province.objects.get(code="ZJ"), title="手机上的圆桌会议")
    editor = make_user(province_code="ZJ", role="editor", first_name="钟编辑")
    for i in range(27):
        Participant.objects.create(meeting=meeting, role="observer", user=make_user(
            province_code="SH", role="member", first_name=f"参会人{i:02d}"))
    page = open_page(chromium, editor, f"{asgi_server}/meetings/{meeting.pk}/", viewport=PHONE_360,
                     is_mobile=True, has_touch=True)
    top = page.eval_on_selector(".ProseMirror", "el => el.getBoundingClientRect().top + window.scrollY")
    assert top < 700, f"the editor starts {top:.0f} px down"
    assert page.eval_on_selector("[data-participants]", "el => el.open") is False
    assert not page.is_visible("text=参会人05")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    page.click("[data-participants] summary")
    assert page.is_visible("text=参会人05")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notes-phone-360.png"), full_page=False)
    page.context.close()


def test_indicator_says_offline_and_unsynced_then_syncs_when_back(chromium, asgi_server):  # noqa: F811
    meeting = MeetingFactory(host=Province.objects.get(code="SH"))
    editor = make_user(province_code="SH", role="editor", first_name="沈编辑")
    page = open_page(chromium, editor, f"{asgi_server}/meetings/{meeting.pk}/", viewport=PHONE_360)
    page.click(".ProseMirror")
    page.keyboard.type("在线时写的")
    until(lambda: "在线时写的" in stored_text(meeting))

    page.context.set_offline(True)
    page.wait_for_selector("[data-status][data-state=offline]")
    page.click(".ProseMirror")
    page.keyboard.press("Control+End")
    page.keyboard.type("，离线时写的")
    page.wait_for_selector("[data-status][data-unsynced=true]")
    status = page.inner_text("[data-status]")
    assert "离线" in status and "尚未同步" in status and "已连接" not in status
    assert "离线时写的" not in stored_text(meeting)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notes-offline-indicator.png"))

    page.context.set_offline(False)
    page.wait_for_selector("[data-status][data-state=connected][data-unsynced=false]")
    assert "已连接" in page.inner_text("[data-status]")
    until(lambda: "离线时写的" in stored_text(meeting), message="the offline edit never reached the server")
    page.context.close()


def test_indicator_shows_reconnecting_when_the_socket_drops(chromium, asgi_server):  # noqa: F811
    meeting = MeetingFactory(host=Province.objects.get(code="SH"))
    editor = make_user(province_code="SH", role="editor")
    page = open_page(chromium, editor, f"{asgi_server}/meetings/{meeting.pk}/")
    page.evaluate("""() => {
        window.__states = []
        const el = document.querySelector('[data-status]')
        new MutationObserver(() => window.__states.push(el.dataset.state)).observe(el, {attributes: true})
        window.hubNotes.provider.ws.close()
    }""")
    page.wait_for_function("window.__states.includes('reconnecting') && window.__states.at(-1) === 'connected'")
    page.context.close()


def test_two_people_of_one_province_get_their_own_colours_and_a_province_marker(chromium, asgi_server):  # noqa: F811
    province = Province.objects.get(code="SH")
    meeting = MeetingFactory(host=province)
    first = make_user(province_code="SH", role="editor", first_name="甲")
    second = make_user(province_code="SH", role="editor", first_name="乙")
    while sel.person_colour(second.pk) == sel.person_colour(first.pk):
        second = make_user(province_code="SH", role="editor", first_name="乙")
    url = f"{asgi_server}/meetings/{meeting.pk}/"
    a, b = open_page(chromium, first, url), open_page(chromium, second, url)
    for page, text in ((a, "甲写的"), (b, "乙写的")):
        page.click(".ProseMirror")
        page.keyboard.type(text)
    a.wait_for_selector(".collaboration-cursor__label:has-text('乙')")
    b.wait_for_selector(".collaboration-cursor__label:has-text('甲')")

    def rgb(hex_colour):
        return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))

    label_b = a.eval_on_selector(".collaboration-cursor__label:has-text('乙')", "el => getComputedStyle(el).backgroundColor")
    label_a = b.eval_on_selector(".collaboration-cursor__label:has-text('甲')", "el => getComputedStyle(el).backgroundColor")
    assert label_a == rgb(sel.person_colour(first.pk)) and label_b == rgb(sel.person_colour(second.pk))
    assert label_a != label_b
    marker = a.eval_on_selector(".collaboration-cursor__label:has-text('乙') .province-marker",
                                "el => getComputedStyle(el).backgroundColor")
    assert marker == rgb(province.colour.lower())
    assert "上海" in a.inner_text(".collaboration-cursor__label:has-text('乙')")
    people = a.inner_text("[data-people]")
    assert "乙" in people and "上海" in people
    a.context.close()
    b.context.close()
