"""In a real browser at phone width (360 px): an enterprise applies with an attachment, a reviewer declares no
conflict and scores, and a visitor verifies the certificate that results."""
import datetime

import pytest

from sharing import evaluations as svc
from sharing.models.evaluations import Application, Result, ScoreSheet
from tests.browser import _open_page, log_in
from tests.conftest import make_user
from tests.sharing.test_evaluations import make_enterprise, make_programme, pool, score_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

NARROW = {"width": 360, "height": 740}
PASSWORD = "pw-for-browser-tests-only"


@pytest.fixture
def narrow_page(chromium, request, network_log):
    """A 360 px wide zh-CN phone (the narrowest common Android width)."""
    yield from _open_page(chromium, request, network_log, viewport=NARROW, locale="zh-CN", label="narrow",
                          is_mobile=True, has_touch=True)


def _fits(page) -> bool:
    """Nothing wider than the screen: the page does not scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def second_page(chromium, request, network_log):
    yield from _open_page(chromium, request, network_log, viewport=NARROW, locale="zh-CN", label="reviewer",
                          is_mobile=True, has_touch=True)


@pytest.fixture
def third_page(chromium, request, network_log):
    yield from _open_page(chromium, request, network_log, viewport=NARROW, locale="zh-CN", label="visitor",
                          is_mobile=True, has_touch=True)


def test_apply_score_and_verify_at_phone_width(narrow_page, second_page, third_page, live_server):
    base = live_server.url
    programme = make_programme("SH", title="长三角QC小组成果联合评价", criteria=((40, 1), (60, 1)))
    enterprise = make_enterprise("JS", name="苏州精工电子有限公司")
    applicant = _with_password(enterprise.user)

    # The enterprise applies on its phone: a draft with an attachment, then the submission and its receipt.
    page = narrow_page
    log_in(page, base, applicant.username, PASSWORD, next_url=f"/evaluations/{programme.pk}/")
    page.get_by_role("link", name="在线申报").click()
    page.get_by_label("申报成果名称").fill("降低回流焊虚焊率")
    page.get_by_label("成果简介").fill("通过对策实施，虚焊率由 1.2% 降至 0.3%。")
    page.get_by_label("上传附件").set_input_files(
        files=[{"name": "成果报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% report\n%%EOF\n"}])
    assert _fits(page)
    page.get_by_role("button", name="保存草稿").click()
    page.get_by_text("草稿已保存。").wait_for()
    assert page.get_by_role("link", name="成果报告.pdf").is_visible()
    page.get_by_role("button", name="提交申报").click()
    page.get_by_text("申报已提交，回执编号").wait_for()
    application = Application.objects.get(enterprise=enterprise)
    assert application.status == Application.Status.SUBMITTED
    assert page.locator(f'[data-application="{application.pk}"]').get_by_text(application.receipt).is_visible()
    assert _fits(page)

    # The home province accepts it; the panel is drawn from the pool.
    svc.application_check(actor=make_user(province_code="JS", role="editor"), application_id=application.pk,
                          decision="accept")
    pool(8)
    svc.programme_advance(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk)
    svc.panel_draw(actor=make_user(province_code="SH", role="coordinator"), programme_id=programme.pk, seed=3)
    svc.programme_advance(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk)
    sheets = list(ScoreSheet.objects.filter(application=application).select_related("seat__expert__user"))
    mine, others = sheets[0], sheets[1:]
    reviewer = _with_password(mine.seat.expert.user)

    # A reviewer on another phone: the application is hidden until the declaration, then scored criterion by
    # criterion.
    page = second_page
    log_in(page, base, reviewer.username, PASSWORD, next_url="/evaluations/review/")
    page.locator(f'[data-sheet="{mine.pk}"] a').click()
    assert page.get_by_text("降低回流焊虚焊率").count() == 0
    page.get_by_role("button", name="无利益冲突，开始评分").click()
    page.get_by_text("已记录您的利益冲突声明。").wait_for()
    assert page.get_by_role("link", name="成果报告.pdf").is_visible()
    inputs = page.locator("form.eval-sheet input[type=number]")
    assert inputs.count() == 2
    inputs.nth(0).fill("38")
    inputs.nth(1).fill("55")
    page.locator("form.eval-sheet textarea").first.fill("现状调查数据充分")
    assert _fits(page)
    page.get_by_role("button", name="提交评分").click()
    page.get_by_text("评分已提交。").wait_for()
    mine.refresh_from_db()
    assert mine.status == ScoreSheet.Status.SUBMITTED
    assert sorted(s.points for s in mine.scores.all()) == [38, 55]

    # The rest of the panel scores, the results are announced and, after the objection period, published.
    for sheet in others:
        score_all(sheet, ("36", "54"))
    organiser = make_user(province_code="SH", role="moderator")
    svc.results_announce(actor=organiser, programme_id=programme.pk)
    svc.results_publish(actor=organiser, programme_id=programme.pk,
                        now=programme.announce_closes + datetime.timedelta(minutes=1))
    result = Result.objects.get(application=application)
    assert result.status == Result.Status.PUBLISHED and result.is_awarded

    # A visitor checks the certificate code on a phone.
    page = third_page
    page.goto(f"{base}/evaluations/verify/")
    page.get_by_label("证书验证码").fill(result.code.lower())
    page.get_by_role("button", name="查验").click()
    page.get_by_text("证书有效。").wait_for()
    certificate = page.locator(".eval-certificate")
    assert "苏州精工电子有限公司" in certificate.inner_text()
    assert result.level.name in certificate.inner_text()
    assert _fits(page)
    page.get_by_label("证书验证码").fill("NOSUCHCODE22")
    page.get_by_role("button", name="查验").click()
    page.get_by_text("没有找到验证码为 NOSUCHCODE22 的证书").wait_for()
