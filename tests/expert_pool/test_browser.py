"""In Chromium: Zhejiang's coordinator approves a request from Shanghai, then the Zhejiang expert accepts it on a
phone-sized screen."""
from contextlib import contextmanager

import pytest

from expert_pool.models import Assignment
from tests.conftest import make_user
from tests.expert_pool.factories import make_expert, make_request

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@contextmanager
def chromium():
    """Chromium through Playwright. Its sync API runs an event loop in this thread, and the ORM would open a
    connection that belongs to that loop's context (and outlive the test); so no ORM call happens inside."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/?next=/experts/tasks/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-only")
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.wait_for_url("**/experts/tasks/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_coordinator_approves_and_expert_accepts(live_server):
    expert_user = make_user(username="zj-expert-browser")
    expert = make_expert("ZJ", user=expert_user, name="钟明远")
    coordinator = make_user(province_code="ZJ", role="coordinator", username="zj-coord-browser")
    request = make_request("SH", expert_ids=[expert.pk], title="上海市质量金奖现场评审")
    assignment = request.assignments.get()
    seen = {}

    with chromium() as browser:
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        log_in(desk, live_server.url, coordinator.username)
        approvals = desk.locator("[data-tasks=approve]")
        seen["approvals"] = approvals.inner_text()
        approvals.locator("button[data-step=approve]").click()
        desk.wait_for_load_state()
        seen["after approval"] = desk.locator("main").inner_text()

        phone = browser.new_context(bypass_csp=True, viewport={"width": 375, "height": 740}).new_page()
        log_in(phone, live_server.url, expert_user.username)
        invitation = phone.locator("[data-tasks=answer]")
        seen["invitation"] = invitation.inner_text()
        accept = invitation.locator("button[data-step=accept]")
        seen["button"] = accept.bounding_box()
        accept.click()
        phone.wait_for_load_state()
        phone.goto(f"{live_server.url}/experts/requests/{request.pk}/")
        seen["status"] = phone.locator(f"[data-assignment='{assignment.pk}'] .ep-astatus").get_attribute("data-status")
        seen["page width"] = phone.evaluate("document.documentElement.scrollWidth")

    assert "上海市质量金奖现场评审" in seen["approvals"]
    assert "同意借用" not in seen["after approval"]
    assert "上海市质量金奖现场评审" in seen["invitation"]
    box = seen["button"]
    assert box and box["x"] + box["width"] <= 375
    assert seen["status"] == "accepted" and seen["page width"] <= 375
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.ACCEPTED and assignment.decided_by == coordinator
