"""In a real browser: a member registers at phone width; a co-organising moderator approves and the event goes live."""
import os

import pytest
from django.core import mail

from tests.cms import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_ready():
    """After an earlier transactional test's flush, the default site must point at the home page again."""
    from cms.provisioning import ensure_home_page
    from hub.services.provisioning import Report

    ensure_home_page(Report())


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def browser(site_ready):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_load_state()


def test_member_registers_for_an_event_at_phone_width(browser, live_server, province, staff_of, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from cms.events import EventQuestion, Registration

    event = factories.event(province("JS"), title="江苏质量大讲堂：卓越绩效", registration_open=True, capacity=30)
    EventQuestion.objects.create(page=event, label="所在部门", kind="text", required=True)
    member = staff_of("SH", "member")
    member.first_name, member.email = "沈委员", "member@example.test"
    member.save()

    context = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, member)
    page.goto(live_server.url + event.url)
    form = page.locator("form.registration-form")
    form.scroll_into_view_if_needed()
    assert page.input_value("#id_email") == "member@example.test"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling on a phone"
    page.fill("#id_phone", "13800000000")
    question = event.questions.get()
    page.fill(f"#id_q_{question.pk}", "质量管理部")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success")
    assert "报名成功" in page.inner_text(".messages")
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path="test-artifacts/event-registration-375.png", full_page=True)
    registration = Registration.objects.get(event=event)
    assert registration.user == member and registration.status == "confirmed"
    assert registration.answers == {"所在部门": "质量管理部"}
    assert mail.outbox and mail.outbox[-1].attachments[0][0] == "event.ics"
    context.close()


def test_co_organising_moderator_approves_in_the_admin_and_the_event_goes_live(
        browser, live_server, province, staff_of):
    from cms.events import EventPage

    editor, lead = staff_of("SH", "editor"), staff_of("SH", "moderator")
    event = factories.event(province("SH"), publish=False, co_organisers=[province("ZJ")],
                            title="长三角质量月联合启动仪式", owner=editor)
    event.save_revision(user=editor)
    event.get_workflow().start(event, editor)
    event.current_workflow_task_state.approve(user=lead)
    zj = staff_of("ZJ", "moderator")

    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", zj.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "长三角质量月联合启动仪式" in page.content(), "the dashboard lists it under 'awaiting your review'"
    row = page.locator("tr", has_text="长三角质量月联合启动仪式").first
    row.get_by_role("button", name="动作").click()
    row.get_by_role("button", name="会签同意", exact=True).click()
    page.wait_for_load_state("networkidle")
    event.refresh_from_db()
    assert EventPage.objects.get(pk=event.pk).live
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path="test-artifacts/signoff-approved.png")
    response = page.goto(live_server.url + EventPage.objects.get(pk=event.pk).url)
    assert response.status == 200 and "长三角质量月联合启动仪式" in page.content()
    context.close()
