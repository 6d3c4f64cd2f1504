"""A reviewer of Zhejiang decides on a Shanghai standard in a real browser; the public matrix changes."""
import pytest
from django.contrib.auth.models import Group

from hub.roles import ROLES_BY_SLUG, group_name
from tests.sharing.factories import make_standard, propose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls are still
    # synchronous and sequential, which is what Django's guard is about.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_reviewer_decides_and_the_public_matrix_changes(browser, live_server, django_user_model):
    standard = make_standard("SH", title_zh="质量管理小组活动成果评价准则")
    propose(standard)
    reviewer = django_user_model.objects.create_user("zj-reviewer-browser", password="pw-for-tests-only")
    reviewer.groups.add(Group.objects.get(name=group_name("ZJ", ROLES_BY_SLUG["reviewer"])))

    public = browser.new_page(locale="zh-CN")
    public.goto(f"{live_server.url}/standards/matrix/")
    cell = public.locator(f'tr[data-standard="{standard.pk}"] td[data-province="ZJ"]')
    assert cell.get_attribute("data-state") == "pending"
    assert cell.inner_text() == "待决定"

    page = browser.new_page(locale="zh-CN", viewport={"width": 375, "height": 800})
    page.goto(f"{live_server.url}/accounts/login/?next=/standards/{standard.pk}/")
    page.fill("input[name=username]", "zj-reviewer-browser")
    page.fill("input[name=password]", "pw-for-tests-only")
    page.click("main form button[type=submit]")
    page.get_by_role("link", name="代表浙江作出决定").click()
    page.get_by_label("有条件认可").check()
    page.fill("textarea[name=conditions]", "仅适用于制造业企业")
    page.fill("textarea[name=rationale]", "经浙江省质量协会标准化委员会审议通过")
    page.fill("input[name=evidence_url]", "https://roundtable.example/minutes/2026-2")
    page.get_by_role("button", name="正式作出决定").click()
    page.wait_for_url(f"**/standards/{standard.pk}/")
    assert "决定已正式作出" in page.content()
    assert page.locator('.std-cells [data-province="ZJ"]').get_attribute("data-state") == "conditional"

    public.reload()
    cell = public.locator(f'tr[data-standard="{standard.pk}"] td[data-province="ZJ"]')
    assert cell.get_attribute("data-state") == "conditional"
    assert cell.get_attribute("title") == "仅适用于制造业企业"
    assert public.locator(f'tr[data-standard="{standard.pk}"] td[data-province="JS"]').get_attribute(
        "data-state") == "pending"
