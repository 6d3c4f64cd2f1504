"""A visitor searches the site for a Chinese word from the header, in a real browser, and finds a demo page."""

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test itself touches the database only before it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo_site(live_server, demo_db):
    return live_server.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_finds_the_quality_month_plan_from_the_header(browser, demo_site):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page.goto(demo_site + "/")
    page.get_by_role("searchbox", name="搜索").first.fill("质量月")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    result = page.locator(".result-list a", has_text="2026 年长三角质量月联合活动方案")
    result.click()
    assert page.locator("h1").inner_text() == "2026 年长三角质量月联合活动方案"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_at_phone_width_the_search_sits_behind_the_menu_button(browser, demo_site):
    page = browser.new_page(locale="zh-CN", viewport={"width": 375, "height": 800})
    page.goto(demo_site + "/about/")
    header_search = page.locator("#site-search")
    assert not header_search.is_visible()
    page.get_by_role("button", name="菜单").click()
    header_search.fill("互认")
    header_search.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator(".result-list a", has_text="合作机制").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
