"""The site in a real browser: the home page at phone and desktop width, and a province editor in the Wagtail admin."""
import pytest

from tests.browser import log_in, outside_requests

ASSOCIATIONS = ["上海市质量协会", "江苏省质量协会", "浙江省质量协会", "安徽省质量协会", "江西省质量协会"]
SECTIONS = {"SH": "上海", "JS": "江苏", "ZJ": "浙江", "AH": "安徽", "JX": "江西"}
TEST_PASSWORD = "pw-for-tests-only"  # tests.conftest.make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_at_phone_width_shows_the_associations_and_a_working_menu(live_server, phone_page, network_log,
                                                                          screenshot):
    page = phone_page
    page.goto(live_server.url + "/")
    cards = page.locator("section.associations")
    for name in ASSOCIATIONS:
        assert cards.get_by_text(name, exact=True).is_visible(), name
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    toggle = page.locator("[data-nav-toggle]")
    nav = page.locator("#site-nav")
    assert toggle.is_visible()
    assert not nav.is_visible()
    screenshot(page, "menu-closed")
    toggle.click()
    assert nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.get_by_role("link", name="首页").is_visible()
    screenshot(page, "menu-open")
    toggle.click()
    assert not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways at phone width ({width}px)"
    assert outside_requests(network_log, live_server.url) == []


def test_home_page_at_desktop_width_shows_the_associations_and_the_open_menu(live_server, desktop_page,
                                                                           network_log, screenshot):
    page = desktop_page
    page.goto(live_server.url + "/")
    for name in ASSOCIATIONS:
        assert page.locator("section.associations").get_by_text(name, exact=True).is_visible(), name
    assert not page.locator("[data-nav-toggle]").is_visible()
    assert page.locator("#site-nav").get_by_role("link", name="首页").is_visible()
    screenshot(page, "home")
    assert network_log, "the network log recorded nothing"
    assert outside_requests(network_log, live_server.url) == []


def test_province_editor_sees_only_their_own_section_in_the_wagtail_explorer(live_server, desktop_page, network_log,
                                                                           staff_of, province, screenshot):
    editor = staff_of("JS", "editor")
    page = desktop_page
    log_in(page, live_server.url, editor.username, TEST_PASSWORD, next_url="/admin/")
    assert page.url.startswith(live_server.url + "/admin/")

    page.goto(f"{live_server.url}/admin/pages/")
    listing = page.locator("main")
    own = province("JS").section_page
    if not listing.get_by_role("link", name=SECTIONS["JS"], exact=True).count():
        # The editor's pages are its Chinese section and its English one (hub/translations.py): the explorer opens at
        # the two home pages above them; neither level may offer another province's section.
        for code, title in SECTIONS.items():
            assert listing.get_by_role("link", name=title, exact=True).count() == 0, f"{code} section offered"
        page.goto(f"{live_server.url}/admin/pages/{own.get_parent().pk}/")
    assert listing.get_by_role("link", name=SECTIONS["JS"], exact=True).first.is_visible()
    for code, title in SECTIONS.items():
        if code != "JS":
            assert listing.get_by_role("link", name=title, exact=True).count() == 0, f"{code} section offered"
    screenshot(page, "explorer")

    # The sidebar's page explorer offers the same single section.
    page.locator(".sidebar-page-explorer-item").get_by_role("button", name="页面").click()
    explorer = page.locator(".c-page-explorer")
    home_title = own.get_parent().title
    explorer.get_by_text(home_title, exact=True).or_(explorer.get_by_text(SECTIONS["JS"], exact=True)).first.wait_for()
    for code, title in SECTIONS.items():
        if code != "JS":
            assert explorer.get_by_text(title, exact=True).count() == 0, f"{code} section in the sidebar explorer"
    screenshot(page, "sidebar-explorer")

    page.goto(f"{live_server.url}/admin/pages/{own.pk}/")
    assert page.locator("main").get_by_text(SECTIONS["JS"]).first.is_visible()
    other = province("SH").section_page
    response = page.goto(f"{live_server.url}/admin/pages/{other.pk}/edit/")
    # Refused: 404 from the admin's page scope (hub/admin_scope.py), or Wagtail's own 403 / redirect home.
    assert response.status in (403, 404) or response.url == f"{live_server.url}/admin/", (response.status,
                                                                                           response.url)
    assert page.get_by_label("标题").count() == 0, "another province's page opened for editing"
    assert outside_requests(network_log, live_server.url) == []
