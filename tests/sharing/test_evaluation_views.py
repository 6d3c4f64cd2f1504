"""Evaluation pages: verification, the applicant's and the reviewer's boundaries, and constant query counts."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sharing import evaluations as svc
from sharing.models.evaluations import Application, Enterprise, Programme, Result, ScoreSheet, Seat
from tests.conftest import make_user
from tests.sharing.test_evaluations import (
    NOW,
    accepted_application,
    announced,
    make_programme,
    panel_in_review,
    submitted_application,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]



def test_a_visitor_verifies_a_certificate_and_an_unknown_code_says_so(client):
    programme = make_programme()
    result = announced(programme)
    svc.results_publish(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk,
                        now=programme.announce_closes)
    page = client.get(reverse("evaluations:verify"), {"code": result.code.lower()})
    body = page.content.decode()
    assert page.status_code == 200 and "证书有效" in body and result.application.enterprise.name in body
    missing = client.get(reverse("evaluations:verify"), {"code": "ZZZZ2222ZZZZ"})
    assert missing.status_code == 404 and "没有找到验证码为 ZZZZ2222ZZZZ 的证书" in missing.content.decode()


def test_a_revoked_certificate_says_it_was_revoked(client):
    programme = make_programme()
    result = announced(programme)
    svc.result_revoke(actor=make_user(province_code="SH", role="moderator"), result_id=result.pk, reason="数据造假")
    body = client.get(reverse("evaluations:verify"), {"code": result.code}).content.decode()
    assert "该结果已撤销" in body and "数据造假" in body and "证书有效" not in body


def test_a_reviewer_cannot_open_another_reviewers_sheet_or_see_the_application_before_declaring(client):
    programme = make_programme()
    (application,) = panel_in_review(programme)
    mine, theirs = ScoreSheet.objects.filter(application=application)[:2]
    client.force_login(mine.seat.expert.user)
    assert client.get(reverse("evaluations:sheet", args=[theirs.pk])).status_code == 404
    before = client.get(reverse("evaluations:sheet", args=[mine.pk])).content.decode()
    assert application.summary not in before and "利益冲突" in before
    client.post(reverse("evaluations:sheet", args=[mine.pk]), {"declare": "none"})
    after = client.get(reverse("evaluations:sheet", args=[mine.pk])).content.decode()
    assert application.summary in after


def test_scores_posted_out_of_range_show_the_error_and_write_nothing(client):
    programme = make_programme()
    (application,) = panel_in_review(programme)
    sheet = ScoreSheet.objects.filter(application=application).first()
    client.force_login(sheet.seat.expert.user)
    client.post(reverse("evaluations:sheet", args=[sheet.pk]), {"declare": "none"})
    c1, c2 = programme.criteria.all()
    response = client.post(reverse("evaluations:sheet", args=[sheet.pk]),
                           {f"points-{c1.pk}": "45", f"points-{c2.pk}": "50"})
    assert "得分应在 0 到 40 分之间" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.status == ScoreSheet.Status.SCORING and not sheet.scores.exists()


def test_an_applicant_lists_only_its_own_applications(client):
    programme = make_programme()
    mine = submitted_application(programme, title="我方成果")
    submitted_application(programme, title="他方成果")
    client.force_login(mine.enterprise.user)
    body = client.get(reverse("evaluations:mine")).content.decode()
    assert "我方成果" in body and "他方成果" not in body and mine.receipt in body


def test_an_enterprise_applies_online_and_gets_a_receipt(client):
    programme = make_programme()
    application = accepted_application(programme)  # makes a confirmed enterprise of JS
    enterprise = application.enterprise
    client.force_login(enterprise.user)
    response = client.post(reverse("evaluations:apply", args=[programme.pk]),
                           {"title": "第二项成果", "summary": "简介", "submit": "1"}, follow=True)
    created = Application.objects.get(title="第二项成果")
    assert created.status == Application.Status.SUBMITTED
    assert f"回执编号 {created.receipt}" in response.content.decode()


def test_a_draft_programme_is_hidden_from_other_provinces(client):
    programme = make_programme(stage=Programme.Stage.DRAFT)
    client.force_login(make_user(province_code="ZJ", role="moderator"))
    assert client.get(reverse("evaluations:programme", args=[programme.pk])).status_code == 404
    client.force_login(make_user(province_code="SH", role="editor"))
    assert client.get(reverse("evaluations:programme", args=[programme.pk])).status_code == 200


def test_the_manage_page_is_for_organisers_only(client):
    programme = make_programme()
    client.force_login(make_user(province_code="ZJ", role="moderator"))
    assert client.get(reverse("evaluations:manage", args=[programme.pk])).status_code == 404


def _bulk_results(programme, n):
    """n enterprises, accepted applications and published results, in a handful of bulk inserts."""
    from hub.models import Province

    js = Province.objects.get(code="JS")
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bulk-{programme.pk}-{i}") for i in range(n))
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(province=js, user=u, name=f"批量企业{i}", credit_code=f"9132{programme.pk:04d}{i:010d}",
                   status="confirmed") for i, u in enumerate(users))
    applications = Application.objects.bulk_create(
        Application(programme=programme, enterprise=e, province=js, title=f"成果{i}", summary="x",
                    status="accepted") for i, e in enumerate(enterprises))
    level = programme.levels.first()
    Result.objects.bulk_create(
        Result(application=a, total=90, level=level, code=f"C{programme.pk:03d}{i:08d}", status="published",
               announced_at=NOW, published_at=NOW) for i, a in enumerate(applications))


@pytest.mark.parametrize("url_name", ["evaluations:programme", "evaluations:manage", "evaluations:export",
                                      "evaluations:ical"])
def test_programme_pages_run_a_constant_number_of_queries(client, url_name):
    small, large = make_programme(title="小项目", stage="published"), make_programme(title="大项目", stage="published")
    _bulk_results(small, 10)
    _bulk_results(large, 1000)
    client.force_login(make_user(province_code="SH", role="moderator"))
    client.get(reverse(url_name, args=[small.pk]))  # per-process caches (site root paths) fill on the first request
    counts = []
    for programme in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name, args=[programme.pk])).status_code == 200
        counts.append(len(queries))
    print(f"{url_name}: {counts[0]} queries at 10 applications, {counts[1]} at 1,000")  # for the closing note
    assert counts[0] == counts[1], counts


def test_the_panel_page_shows_reviewer_progress(client):
    programme = make_programme()
    panel_in_review(programme, applications=2)
    client.force_login(make_user(province_code="SH", role="moderator"))
    body = client.get(reverse("evaluations:manage", args=[programme.pk])).content.decode()
    for seat in Seat.objects.filter(programme=programme, role="principal"):
        assert seat.expert.name in body


def test_a_published_award_has_a_pdf_certificate_with_its_code_and_a_revoked_one_has_none(client):
    programme = make_programme()
    result = announced(programme)
    assert client.get(reverse("evaluations:certificate", args=[result.code])).status_code == 404  # only announced
    svc.results_publish(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk,
                        now=programme.announce_closes)
    response = client.get(reverse("evaluations:certificate", args=[result.code]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and b"/FontFile2" in response.content  # the Chinese TrueType font
    svc.result_revoke(actor=make_user(province_code="SH", role="moderator"), result_id=result.pk, reason="撤销")
    assert client.get(reverse("evaluations:certificate", args=[result.code])).status_code == 404


def test_a_revocation_shows_at_once_on_the_cached_verification_page(page_cache, django_capture_on_commit_callbacks):
    from django.test import Client

    programme = make_programme()
    result = announced(programme)
    moderator = make_user(province_code="SH", role="moderator")
    with django_capture_on_commit_callbacks(execute=True):
        svc.results_publish(actor=moderator, programme_id=programme.pk, now=programme.announce_closes)
    url = reverse("evaluations:verify") + f"?code={result.code}"
    assert "证书有效" in Client().get(url).content.decode()
    assert "证书有效" in Client().get(url).content.decode()  # now from the page cache
    with django_capture_on_commit_callbacks(execute=True):
        svc.result_revoke(actor=moderator, result_id=result.pk, reason="数据造假")
    assert "该结果已撤销" in Client().get(url).content.decode()


def test_the_home_province_checks_an_application_on_its_page_and_another_province_cannot(client):
    programme = make_programme()
    application = submitted_application(programme)  # a Jiangsu enterprise
    client.force_login(make_user(province_code="ZJ", role="moderator"))
    assert application.title not in client.get(reverse("evaluations:check")).content.decode()
    client.post(reverse("evaluations:check"), {"application": application.pk, "decision": "accept"})
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    client.force_login(make_user(province_code="JS", role="editor"))
    response = client.post(reverse("evaluations:check"), {"application": application.pk, "decision": "reject"},
                           follow=True)
    assert "须写明理由" in response.content.decode()
    client.post(reverse("evaluations:check"), {"application": application.pk, "decision": "return",
                                               "reason": "请补充证明材料"})
    application.refresh_from_db()
    assert application.status == Application.Status.RETURNED and application.check_reason == "请补充证明材料"


def test_the_organiser_runs_the_programme_from_its_page(client):
    programme = make_programme()
    accepted_application(programme)
    from tests.sharing.test_evaluations import pool

    pool(8)
    client.force_login(make_user(province_code="SH", role="moderator"))
    url = reverse("evaluations:manage_action", args=[programme.pk])
    client.post(url, {"do": "advance"})
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.CHECK
    response = client.post(url, {"do": "draw"}, follow=True)  # a moderator does not coordinate experts
    assert "没有执行此操作的权限" in response.content.decode()
    assert not Seat.objects.filter(programme=programme).exists()
    client.force_login(make_user(province_code="ZJ", role="moderator"))
    assert client.post(url, {"do": "advance"}).status_code == 404
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.CHECK


def test_an_enterprise_signs_up_with_an_assigned_username_and_waits_for_its_province(client):
    from hub.models import Province

    taken = make_user(username="taken-name")
    data = {"name": "苏州新测试科技有限公司", "credit_code": "91320500MA1XY2W3A4",
            "province": Province.objects.get(code="JS").pk, "contact": "王工", "email": "qa@example.test",
            "password": "a-long-pass-2026"}
    response = client.post(reverse("evaluations:sign_up"), data)
    enterprise = Enterprise.objects.get(credit_code="91320500MA1XY2W3A4")
    assert enterprise.status == Enterprise.Status.PENDING and enterprise.user.username.startswith("ent-js-")
    assert enterprise.user.username in response.content.decode() and taken.username not in response.content.decode()
    again = client.post(reverse("evaluations:sign_up"), data)
    assert "该统一社会信用代码已登记" in again.content.decode()
    assert Enterprise.objects.filter(credit_code="91320500MA1XY2W3A4").count() == 1
    assert get_user_model().objects.filter(username__startswith="ent-js-").count() == 1


# --- export, calendar, search, recognition page, consensus session -------------------------------------------------
def test_the_organiser_exports_applications_and_scores_guarded_and_audited(client):
    import io

    from openpyxl import load_workbook
    from wagtail.models import ModelLogEntry

    from tests.sharing.test_evaluations import score_all

    programme = make_programme()
    [application] = panel_in_review(programme)
    Application.objects.filter(pk=application.pk).update(title="=HYPERLINK(\"http://evil.test\")")
    for sheet in application.sheets.select_related("seat__expert__user"):
        score_all(sheet, ("35", "50"))
    organiser = make_user(province_code="SH", role="editor")
    client.force_login(organiser)
    response = client.get(reverse("evaluations:export", args=[programme.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    applications, scores = book.worksheets
    assert applications["F2"].value == "'=HYPERLINK(\"http://evil.test\")" and applications["F2"].data_type == "s"
    assert applications["K2"].value == 85  # the aggregated total
    assert scores.max_row == 1 + 3 and [c.value for c in scores[2]][4:6] == [35, 50]
    entry = ModelLogEntry.objects.get(action="sharing.evaluation.export")
    assert entry.user_id == organiser.pk and entry.data["count"] == 1
    for outsider in (make_user(province_code="ZJ", role="moderator"), application.enterprise.user,
                     application.sheets.first().seat.expert.user):
        client.force_login(outsider)
        assert client.get(reverse("evaluations:export", args=[programme.pk])).status_code == 404
    assert ModelLogEntry.objects.filter(action="sharing.evaluation.export").count() == 1


def test_the_timeline_is_an_ical_calendar_and_drafts_have_none(client):
    from icalendar import Calendar

    programme = make_programme()
    response = client.get(reverse("evaluations:ical", args=[programme.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    assert [str(e["summary"]).split(" · ")[1] for e in events] == ["申报开始", "申报截止", "形式审查截止", "评审截止",
                                                                    "公示截止", "发布"]
    closes = next(e for e in events if "申报截止" in str(e["summary"]))
    from django.utils import timezone

    assert closes.decoded("dtstart") == timezone.localtime(programme.apply_closes).date()
    assert timezone.localtime(programme.apply_closes).strftime("%Y-%m-%d %H:%M") in str(closes["description"])
    everything = Calendar.from_ical(client.get(reverse("evaluations:ical_all")).content)
    assert len(list(everything.walk("VEVENT"))) == 6
    draft = make_programme(stage=Programme.Stage.DRAFT, title="未公开的草稿项目")
    assert client.get(reverse("evaluations:ical", args=[draft.pk])).status_code == 404
    assert "未公开的草稿项目" not in client.get(reverse("evaluations:ical_all")).content.decode()


def test_chinese_search_finds_public_programmes_and_results_but_no_draft(client):
    make_programme(title="长三角卓越绩效自评价联合评审", summary="围绕七大类目开展现场评价")
    make_programme(stage=Programme.Stage.DRAFT, title="卓越绩效草稿项目")
    body = client.get("/search/", {"q": "卓越绩效"}).content.decode()
    assert "长三角卓越绩效自评价联合评审" in body and "卓越绩效草稿项目" not in body
    assert "长三角卓越绩效自评价联合评审" in client.get("/search/", {"q": "现场评价"}).content.decode()


def test_chinese_search_finds_an_announced_result_by_enterprise_and_achievement(client):
    result = announced(make_programme(title="上海品牌认证"))
    Enterprise.objects.filter(pk=result.application.enterprise_id).update(name="上海申联精密机械有限公司")
    Application.objects.filter(pk=result.application_id).update(title="精密轴承质量提升")
    Application.objects.create(programme=result.application.programme, enterprise=result.application.enterprise,
                               province=result.application.province, title="精密轴承未公开的草稿", summary="x")
    body = client.get("/search/", {"q": "申联精密"}).content.decode()
    assert "精密轴承质量提升" in body and result.code in body
    assert "精密轴承质量提升" in client.get("/search/", {"q": "轴承 质量提升"}).content.decode()
    assert "未公开的草稿" not in body


def test_a_province_records_its_recognition_decision_on_the_page(client):
    from sharing.models.evaluations import ResultRecognition

    theirs = make_programme("JS", stage=Programme.Stage.PUBLISHED, title="江苏精品")
    ours = make_programme("SH", stage=Programme.Stage.PUBLISHED, title="上海品牌")
    url = reverse("evaluations:recognise", args=[theirs.pk, "SH"])
    client.force_login(make_user(province_code="SH", role="editor"))
    assert client.get(url).status_code == 403
    reviewer = make_user(province_code="SH", role="reviewer")
    client.force_login(reviewer)
    assert "代表上海作出互认决定" in client.get(reverse("evaluations:programme", args=[theirs.pk])).content.decode() \
        or client.get(url).status_code == 200
    response = client.post(url, {"outcome": "equivalent", "rationale": "评价准则一致", "equivalent_to": ours.pk})
    assert response.status_code == 302
    decision = ResultRecognition.objects.get(programme=theirs, province__code="SH")
    assert decision.equivalent_to == ours and decision.decided_by == reviewer
    response = client.post(url, {"outcome": "equivalent", "rationale": "缺少视同项目"})
    assert "等同认可须指明" in response.content.decode()
    assert ResultRecognition.objects.filter(programme=theirs).count() == 1
    assert client.get(reverse("evaluations:recognise", args=[ours.pk, "SH"])).status_code == 404


def test_the_organiser_schedules_the_consensus_session_from_the_progress_page(client):
    from tests.sharing.test_evaluations import score_all

    programme = make_programme(disagreement_points=5)
    [application] = panel_in_review(programme)
    sheets = list(application.sheets.select_related("seat__expert__user"))
    score_all(sheets[0], ("10", "20"))
    score_all(sheets[1], ("40", "60"))
    client.force_login(make_user(province_code="SH", role="moderator"))
    manage = reverse("evaluations:manage", args=[programme.pk])
    assert "安排合议会议" in client.get(manage).content.decode()
    client.post(reverse("evaluations:manage_action", args=[programme.pk]),
                {"do": "consensus_session", "starts_at": "2031-03-02T09:30", "place": "线上"})
    programme.refresh_from_db()
    meeting = programme.consensus_meeting
    assert meeting is not None and meeting.starts_at.year == 2031
    page = client.get(manage).content.decode()
    assert reverse("meeting_detail", args=[meeting.pk]) in page and "安排合议会议" not in page


def test_evaluation_pages_speak_english_in_their_own_words(client):
    """The site's own words on the evaluation pages (labels, headings, buttons) are English in English; only names
    and content stay Chinese."""
    from tests.hub.test_i18n import CJK, chrome_text
    from tests.sharing.test_evaluations import score_all

    programme = make_programme(title="QC")
    [application] = panel_in_review(programme)
    sheet = application.sheets.select_related("seat__expert__user").first()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    names = [programme.province.name_zh, application.enterprise.name, application.title,
             *(c.name for c in programme.criteria.all()), *(lv.name for lv in programme.levels.all()),
             *(seat.expert.name for seat in programme.seats.select_related("expert")), "中文",
             "通知"]  # the site header's notifications link (hub's, untranslated there), not an evaluation page's

    def chinese_chrome(url, user=None):
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        texts = chrome_text(response.content.decode())
        for name in sorted(names, key=len, reverse=True):
            texts = [t.replace(name, "") for t in texts]
        return [t for t in texts if CJK.search(t)]

    for url in (reverse("evaluations:list"), reverse("evaluations:programme", args=[programme.pk]),
                reverse("evaluations:verify"), reverse("evaluations:matrix"), reverse("evaluations:sign_up")):
        assert not chinese_chrome(url), url
    assert not chinese_chrome(reverse("evaluations:sheet", args=[sheet.pk]), sheet.seat.expert.user)
    score_all(sheet, ("30", "50"))
    assert not chinese_chrome(reverse("evaluations:sheet", args=[sheet.pk]))
    assert not chinese_chrome(reverse("evaluations:manage", args=[programme.pk]),
                              make_user(province_code="SH", role="moderator"))
    assert not chinese_chrome(reverse("evaluations:check"), make_user(province_code="JS", role="editor"))
    assert not chinese_chrome(reverse("evaluations:apply", args=[programme.pk]), application.enterprise.user)


def test_a_province_creates_a_programme_and_sets_its_rubric_until_scoring_starts(client):
    from tests.sharing.test_permission_matrix_evaluations import new_programme_data

    sh = Programme._meta.get_field("province").related_model.objects.get(code="SH")
    editor = make_user(province_code="SH", role="editor")
    client.force_login(editor)
    data = new_programme_data(sh) | {"title": "2027年上海市质量改进项目评价", "partners": []}
    response = client.post(reverse("evaluations:new"), data)
    programme = Programme.objects.get(title="2027年上海市质量改进项目评价")
    assert response["Location"] == reverse("evaluations:rubric", args=[programme.pk])
    assert programme.stage == Programme.Stage.DRAFT and programme.province == sh
    rubric = reverse("evaluations:rubric", args=[programme.pk])
    client.post(rubric, {"criterion": "", "c-order": "1", "c-name": "选题", "c-max_points": "30", "c-weight": "1"})
    client.post(rubric, {"level": "1", "l-name": "优秀", "l-min_total": "25", "l-awarded": "on"})
    programme.refresh_from_db()
    assert [c.name for c in programme.criteria.all()] == ["选题"] and programme.rubric_version == 2
    assert [lv.name for lv in programme.levels.all()] == ["优秀"]
    # A bad timeline is refused with the reason, nothing written.
    bad = data | {"title": "顺序错误的项目", "check_closes": data["apply_opens"]}
    bad["apply_closes"] = f"{data['publish_on']}T17:00"
    assert "时间安排须依次为" in client.post(reverse("evaluations:new"), bad).content.decode()
    assert not Programme.objects.filter(title="顺序错误的项目").exists()
    # Another province's lead is refused.
    assert client.post(reverse("evaluations:new"), data | {"lead": sh.pk + 1000}).status_code == 403
    # Once scoring has started, the rubric is frozen.
    Programme.objects.filter(pk=programme.pk).update(rubric_frozen_at=NOW)
    response = client.post(rubric, {"criterion": "", "c-order": "2", "c-name": "效果", "c-max_points": "30",
                                     "c-weight": "1"}, follow=True)
    assert "评价准则已冻结" in response.content.decode() and programme.criteria.count() == 1


def test_an_enterprises_results_register_shows_its_public_results_and_their_recognition(client):
    from sharing.models.evaluations import ResultRecognition
    from tests.sharing.test_evaluations import make_enterprise

    result = announced(make_programme(title="江苏精品认证"))
    programme = result.application.programme
    ResultRecognition.objects.create(programme=programme, province=Programme._meta.get_field(
        "province").related_model.objects.get(code="ZJ"), outcome="conditional", conditions="有效期内",
        rationale="r")
    url = reverse("evaluations:enterprise", args=[result.application.enterprise_id])
    body = client.get(url).content.decode()
    assert result.application.title in body and "江苏精品认证" in body and "有条件认可" in body
    assert client.get(reverse("evaluations:verify"), {"code": result.code}).content.decode().count(url) == 1
    waiting = make_enterprise("JS", name="尚无结果的企业")
    assert client.get(reverse("evaluations:enterprise", args=[waiting.pk])).status_code == 404
