"""The Content-Security-Policy in a real browser: site pages and Wagtail's editor run without a single violation."""
import pytest

from tests.browser import log_in, outside_requests

TEST_PASSWORD = "pw-for-tests-only"  # tests.conftest.make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def violations(page) -> list[str]:
    found = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    return found


@pytest.mark.enforce_csp
def test_site_pages_and_the_admin_editor_run_under_the_policy(live_server, desktop_page, network_log, staff_of,
                                                              province):
    page = desktop_page
    seen = violations(page)
    for path in ("/", "/experts/", "/standards/", "/accounts/login/", "/accounts/password/reset/"):
        response = page.goto(live_server.url + path)
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    page.click("[data-nav-toggle]")  # the menu toggle is our own static script: it must still work
    assert page.locator("#site-nav.open").count() == 1
    editor = staff_of("SH", "editor")
    editor.is_staff = True
    editor.save()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, live_server.url, editor.username, TEST_PASSWORD, next_url="/accounts/two-factor/")
    assert page.locator("[data-qr] svg").count() == 1
    page.goto(f"{live_server.url}/admin/pages/{province('SH').section_page.pk}/edit/")
    page.wait_for_selector("form#page-edit-form")
    assert seen == []
    assert outside_requests(network_log, live_server.url) == []
