"""The public site in a real browser: zero axe-core violations on the main pages, tables that work at 360 px,
search words marked in the results. axe-core comes from node_modules (package.json pins it), never a CDN."""
import json
from pathlib import Path

import pytest

from tests.browser import log_in

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_360 = {"width": 360, "height": 740}


@pytest.fixture
def demo_site(live_server, demo_db):
    return live_server.url


def main_pages():
    from cms.achievements import AchievementPage
    from cms.events import EventPage
    from sharing.models import GroupStandard

    event = EventPage.objects.live().public().filter(registration_open=True).first()
    achievement = AchievementPage.objects.live().public().filter(visibility="public").first()
    standard = GroupStandard.objects.public().first()
    return ["/", "/sh/", "/events/", event.url, "/achievements/", achievement.url, "/standards/",
            "/standards/matrix/", standard.get_absolute_url(), "/experts/", "/search/?q=质量"]


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       first: v.nodes[0] && v.nodes[0].target.join(" "),
                                       summary: v.nodes[0] && v.nodes[0].failureSummary}));
    }""")
    return result


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_main_public_pages_have_no_axe_violations(chromium, demo_site, screenshot):
    report = {}
    for viewport, label in (({"width": 1366, "height": 900}, "desktop"), (PHONE_360, "phone")):
        context = chromium.new_context(bypass_csp=True, viewport=viewport, locale="zh-CN")
        page = context.new_page()
        for url in main_pages():
            page.goto(demo_site + url)
            violations = axe_violations(page)
            if violations:
                report[f"{label} {url}"] = violations
        context.close()
    print("AXE", json.dumps(report, ensure_ascii=False))
    assert not report, json.dumps(report, ensure_ascii=False, indent=1)[:6000]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_tables_work_on_a_360px_phone(chromium, demo_site, screenshot):
    from hub.demo import DEMO_PASSWORD

    context = chromium.new_context(bypass_csp=True, viewport=PHONE_360, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()

    # The matrix: the standard column stays in view while the provinces scroll sideways.
    page.goto(demo_site + "/standards/matrix/")
    wrap = page.locator(".std-matrix-wrap")
    first = page.locator(".std-matrix tbody th").first
    before = first.bounding_box()
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    page.wait_for_function("document.querySelector('.std-matrix-wrap').scrollLeft > 0")
    after = first.bounding_box()
    assert abs(after["x"] - before["x"]) < 1 and after["x"] >= 0
    assert no_sideways_scroll(page)

    # 各省统计 and the registry: cards, labels beside values, nothing one character wide, no sideways scrolling.
    for url, table in (("/standards/matrix/", ".std-summary"), ("/standards/", ".std-table")):
        page.goto(demo_site + url)
        cell = page.locator(f"{table} tbody td").first
        assert cell.evaluate("el => getComputedStyle(el).display") == "flex"
        assert cell.bounding_box()["width"] > 250
        assert page.locator(f"{table} thead").bounding_box()["height"] <= 1
        assert no_sideways_scroll(page), url
        screenshot(page, url.strip("/").replace("/", "-"))

    # The organiser's 报名名单: approve buttons on screen, and approving says so.
    from cms.events import EventPage, Registration

    event = EventPage.objects.get(pk=Registration.objects.filter(status="pending").values("event")[:1])
    log_in(page, demo_site, f"{event.province.code.lower()}-moderator", DEMO_PASSWORD,
           next_url=f"/events/{event.pk}/registrations/")
    approve = page.get_by_role("button", name="通过").first
    box = approve.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE_360["width"]
    assert no_sideways_scroll(page)
    screenshot(page, "registrations")
    approve.click()
    page.wait_for_selector(".message.success")
    assert "已批准" in page.locator(".message.success").inner_text()
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_marks_the_query_in_titles_and_snippets(chromium, live_server, province):
    from tests.cms.factories import content_page

    content_page(province("SH").section_page, "QC小组活动成果发布会", intro="<p>本次发布会展示十二个QC小组成果。</p>")
    context = chromium.new_context(bypass_csp=True, viewport=PHONE_360, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/search/?q=QC小组")
    page.wait_for_selector(".result-title mark")
    assert page.locator(".result-title mark").first.inner_text() == "QC小组"
    assert page.locator(".result-snippet mark").first.inner_text() == "QC小组"
    context.close()
