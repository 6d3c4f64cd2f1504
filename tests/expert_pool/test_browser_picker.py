"""In Chromium at 360 px: the expert picker of a request, the expert's calendar and the coordinator's pool view."""
import re

import pytest

from expert_pool.models import Assignment
from tests.browser import log_in, outside_requests
from tests.conftest import make_user
from tests.expert_pool.factories import days, make_expert, specialism

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NARROW = {"width": 360, "height": 740}
PASSWORD = "pw-for-tests-only"


def narrow_page(chromium):
    context = chromium.new_context(bypass_csp=True, viewport=NARROW, locale="zh-CN", is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_a_requester_picks_an_expert_by_pinyin_at_phone_width(live_server, chromium, network_log):
    wang = make_expert("ZJ", name="王建国", employer="浙江方圆检测集团")
    make_expert("ZJ", name="李四", employer="杭州某厂")
    award = specialism()
    editor = make_user(province_code="SH", role="editor")
    context, page = narrow_page(chromium)
    context.on("request", lambda req: network_log.append(req.url))
    try:
        log_in(page, live_server.url, editor.username, PASSWORD, next_url="/experts/requests/new/")
        page.fill("input[name=title]", "上海市质量金奖现场评审")
        page.select_option("select[name=purpose]", "award")
        page.fill("input[name=start]", days(20).isoformat())
        page.fill("input[name=end]", days(21).isoformat())
        page.fill("input[name=place]", "上海国际会议中心")
        page.check(f"input[name=specialisms][value='{award.pk}']")
        page.fill("[data-picker-query]", "wjg")
        suggestion = page.locator(f"[data-picker-results] button[data-expert-id='{wang.pk}']")
        suggestion.wait_for()
        box = suggestion.bounding_box()
        suggestion.click()
        page.locator(f"[data-picked] input[value='{wang.pk}']").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        with page.expect_navigation():
            page.click("main form.ep-form button[type=submit]")
        url = page.url
    finally:
        context.close()
    assert re.search(r"/experts/requests/\d+/$", url), url
    assert Assignment.objects.get(expert=wang).request.title == "上海市质量金奖现场评审"
    assert box["x"] + box["width"] <= 360 and width <= 360
    assert not outside_requests(network_log, live_server.url)


def test_calendars_fit_a_phone(live_server, chromium):
    expert_user = make_user()
    make_expert("ZJ", user=expert_user, name="日程专家", available=(days(1), days(9)))
    for n in range(3):
        make_expert("ZJ", name=f"池中专家{n}", available=(days(3), days(20)))
    coordinator = make_user(province_code="ZJ", role="coordinator")
    context, page = narrow_page(chromium)
    try:
        log_in(page, live_server.url, expert_user.username, PASSWORD, next_url="/experts/me/availability/")
        free_day = page.locator(f"td[data-date='{days(2).isoformat()}']").first.get_attribute("data-state")
        own_width = page.evaluate("document.documentElement.scrollWidth")
        context.clear_cookies()
        log_in(page, live_server.url, coordinator.username, PASSWORD, next_url="/experts/calendar/")
        rows = page.locator("table.ep-pool tbody tr").count()
        pool_width = page.evaluate("document.documentElement.scrollWidth")
        wrap = page.evaluate("(() => { const w = document.querySelector('.ep-pool-wrap');"
                             " return [w.scrollWidth, w.clientWidth]; })()")
    finally:
        context.close()
    assert free_day == "onsite" and own_width <= 360
    assert rows == 4 and pool_width <= 360
    assert wrap[0] > wrap[1]  # 28 days scroll sideways inside their own box, not the page
