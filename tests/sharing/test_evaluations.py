"""Joint evaluation programmes: applications, the panel, blind scoring, aggregation, results, certificates and
recognition of results."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hub.models import Province
from sharing import evaluation_selectors as sel
from sharing import evaluations as svc
from sharing.models.evaluations import (
    Application,
    Criterion,
    PanelDraw,
    Programme,
    Result,
    ResultLevel,
    ResultRecognition,
    Score,
    ScoreSheet,
    Seat,
)
from tests.conftest import make_user
from tests.expert_pool.factories import make_expert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


NOW = timezone.now()


def province(code):
    return Province.objects.get(code=code)


def make_programme(code="SH", *, stage=Programme.Stage.OPEN, co=(), criteria=((40, 1), (60, 1)), **fields):
    actor = make_user(province_code=code, role="moderator")
    fields.setdefault("title", f"{code} 质量创新成果评价")
    fields.setdefault("kind", Programme.Kind.QC)
    fields.setdefault("apply_opens", (NOW - datetime.timedelta(days=10)).date())
    fields.setdefault("apply_closes", NOW + datetime.timedelta(days=5))
    fields.setdefault("check_closes", (NOW + datetime.timedelta(days=10)).date())
    fields.setdefault("review_closes", NOW + datetime.timedelta(days=20))
    fields.setdefault("announce_closes", NOW + datetime.timedelta(days=30))
    fields.setdefault("publish_on", (NOW + datetime.timedelta(days=31)).date())
    fields.setdefault("panel_size", 3)
    fields.setdefault("reserves", 1)
    programme = svc.programme_create(actor=actor, province=province(code), co_organisers=[province(c) for c in co],
                                     **fields)
    for order, (max_points, weight) in enumerate(criteria):
        Criterion.objects.create(programme=programme, order=order, name=f"评价项{order + 1}", max_points=max_points,
                                 weight=weight)
    ResultLevel.objects.create(programme=programme, name="一等", min_total=85)
    ResultLevel.objects.create(programme=programme, name="二等", min_total=70)
    ResultLevel.objects.create(programme=programme, name="三等", min_total=0, awarded=True)
    Programme.objects.filter(pk=programme.pk).update(stage=stage)
    programme.refresh_from_db()
    return programme


def make_enterprise(code="JS", name=None, confirmed=True):
    user = make_user()
    n = user.pk
    enterprise = svc.enterprise_register(user=user, province=province(code), name=name or f"测试企业{n}",
                                         credit_code=f"91320000{n:010d}"[:18])
    if confirmed:
        svc.enterprise_confirm(actor=make_user(province_code=code, role="editor"), enterprise_id=enterprise.pk)
        enterprise.refresh_from_db()
    return enterprise


def submitted_application(programme, enterprise=None, title="减少焊接缺陷的QC成果"):
    enterprise = enterprise or make_enterprise()
    application = svc.application_save(actor=enterprise.user, programme_id=programme.pk, title=title,
                                       summary="成果简介")
    return svc.application_submit(actor=enterprise.user, application_id=application.pk)


def accepted_application(programme, enterprise=None, title="减少焊接缺陷的QC成果"):
    application = submitted_application(programme, enterprise, title)
    checker = make_user(province_code=application.province.code, role="editor")
    return svc.application_check(actor=checker, application_id=application.pk, decision="accept")


def pool(n, provinces=("SH", "JS", "ZJ", "AH", "JX")):
    experts = []
    for i in range(n):
        code = provinces[i % len(provinces)]
        experts.append(make_expert(code, user=make_user(), employer=f"评审单位{i}"))
    return experts


def panel_in_review(programme, applications=1, experts=8):
    apps = [accepted_application(programme, title=f"成果{i}") for i in range(applications)]
    pool(experts)
    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.CHECK)
    svc.panel_draw(actor=make_user(province_code=programme.province.code, role="coordinator"),
                   programme_id=programme.pk, seed=7)
    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.REVIEW)
    programme.refresh_from_db()
    return apps


def score_all(sheet, points):
    user = sheet.seat.expert.user
    svc.sheet_declare(actor=user, sheet_id=sheet.pk, conflict=False)
    criteria = list(sheet.application.programme.criteria.all())
    return svc.sheet_submit(actor=user, sheet_id=sheet.pk,
                            scores={c.pk: (p, "") for c, p in zip(criteria, points, strict=True)})


# --- applications -------------------------------------------------------------------------------------------------
def test_submission_locks_the_application_and_gives_a_receipt():
    programme = make_programme()
    application = submitted_application(programme)
    assert application.status == Application.Status.SUBMITTED and application.receipt.startswith("SB")
    with pytest.raises(ValidationError, match="已提交"):
        svc.application_save(actor=application.enterprise.user, programme_id=programme.pk,
                             application_id=application.pk, title="改过的名称", summary="x")
    application.refresh_from_db()
    assert application.title == "减少焊接缺陷的QC成果"


def test_a_late_submission_is_refused_with_the_deadline_shown():
    programme = make_programme(apply_closes=NOW - datetime.timedelta(hours=1),
                               apply_opens=(NOW - datetime.timedelta(days=9)).date())
    enterprise = make_enterprise()
    draft = svc.application_save(actor=enterprise.user, programme_id=programme.pk, title="迟到的申报", summary="x")
    deadline = timezone.localtime(programme.apply_closes).strftime("%Y-%m-%d %H:%M")
    with pytest.raises(ValidationError, match=deadline):
        svc.application_submit(actor=enterprise.user, application_id=draft.pk)
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT and draft.receipt == ""


def test_an_unconfirmed_enterprise_cannot_apply():
    programme = make_programme()
    enterprise = make_enterprise(confirmed=False)
    with pytest.raises(PermissionDenied):
        svc.application_save(actor=enterprise.user, programme_id=programme.pk, title="x", summary="y")
    assert not Application.objects.exists()


def test_the_home_province_returns_once_with_a_reason_the_applicant_sees():
    programme = make_programme()
    application = submitted_application(programme)
    checker = make_user(province_code="JS", role="editor")
    with pytest.raises(ValidationError, match="理由"):
        svc.application_check(actor=checker, application_id=application.pk, decision="return")
    svc.application_check(actor=checker, application_id=application.pk, decision="return", reason="缺少附件")
    returned = svc.application_save(actor=application.enterprise.user, programme_id=programme.pk,
                                    application_id=application.pk, title=application.title, summary="补充后的简介")
    assert returned.check_reason == "缺少附件"
    svc.application_submit(actor=application.enterprise.user, application_id=application.pk)
    with pytest.raises(ValidationError, match="一次"):
        svc.application_check(actor=checker, application_id=application.pk, decision="return", reason="还缺")


def test_another_province_cannot_check_an_application():
    programme = make_programme()
    application = submitted_application(programme)
    from django.http import Http404

    with pytest.raises(Http404):
        svc.application_check(actor=make_user(province_code="ZJ", role="moderator"), application_id=application.pk,
                              decision="accept")
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED


def test_applicants_see_only_their_own_applications():
    programme = make_programme()
    mine = submitted_application(programme)
    theirs = submitted_application(programme)
    assert list(Application.objects.of_applicant(mine.enterprise.user)) == [mine]
    assert theirs not in Application.objects.of_applicant(mine.enterprise.user)


# --- panel ----------------------------------------------------------------------------------------------------------
def test_the_draw_respects_caps_avoids_the_applicant_and_replays():
    programme = make_programme(panel_size=4, reserves=2, cap_per_province=1, cap_per_employer=1)
    enterprise = make_enterprise(name="江苏某某电子有限公司")
    accepted_application(programme, enterprise)
    conflicted = make_expert("ZJ", user=make_user(), employer="江苏某某电子有限公司")
    experts = pool(12)
    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.CHECK)
    draw = svc.panel_draw(actor=make_user(province_code="SH", role="coordinator"), programme_id=programme.pk)
    seats = list(Seat.objects.filter(programme=programme).select_related("expert"))
    chosen = [s.expert for s in seats]
    assert conflicted not in chosen and draw.excluded[str(conflicted.pk)] == "employer"
    provinces = [e.province_id for e in chosen]
    assert len(provinces) == len(set(provinces)), "at most one expert per province (cap 1), reserves included"
    assert len({e.employer for e in chosen}) == len(chosen)
    principals = [s.expert_id for s in seats if s.role == Seat.Role.PRINCIPAL]
    reserves = [s.expert_id for s in seats if s.role == Seat.Role.RESERVE]
    assert svc.panel_replay(draw) == (sorted(principals, key=principals.index), reserves)
    assert len(experts) == 12


def test_the_draw_can_avoid_the_applicants_province():
    programme = make_programme(avoid_applicant_province=True, panel_size=3, reserves=0, cap_per_province=3)
    accepted_application(programme, make_enterprise("JS"))
    pool(10)
    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.CHECK)
    svc.panel_draw(actor=make_user(province_code="SH", role="coordinator"), programme_id=programme.pk)
    assert not Seat.objects.filter(programme=programme, expert__province__code="JS").exists()


def test_a_draw_that_cannot_fill_the_panel_writes_nothing():
    programme = make_programme(panel_size=6, cap_per_province=1)
    accepted_application(programme)
    pool(10)
    Programme.objects.filter(pk=programme.pk).update(stage=Programme.Stage.CHECK)
    with pytest.raises(ValidationError, match="不足"):
        svc.panel_draw(actor=make_user(province_code="SH", role="coordinator"), programme_id=programme.pk)
    assert not PanelDraw.objects.exists() and not Seat.objects.exists() and not ScoreSheet.objects.exists()


def test_a_declared_conflict_recuses_and_calls_the_next_reserve():
    programme = make_programme()
    (application,) = panel_in_review(programme)
    sheet = ScoreSheet.objects.filter(application=application).first()
    reserve = Seat.objects.get(programme=programme, role=Seat.Role.RESERVE)
    svc.sheet_declare(actor=sheet.seat.expert.user, sheet_id=sheet.pk, conflict=True, note="曾为该企业提供咨询")
    sheet.refresh_from_db()
    assert sheet.status == ScoreSheet.Status.RECUSED
    assert ScoreSheet.objects.filter(application=application, seat=reserve, status="pending").exists()


# --- scoring ------------------------------------------------------------------------------------------------------
def test_scoring_needs_a_declaration_and_stays_in_range():
    programme = make_programme()
    (application,) = panel_in_review(programme)
    sheet = ScoreSheet.objects.filter(application=application).first()
    user = sheet.seat.expert.user
    c1, c2 = programme.criteria.all()
    with pytest.raises(ValidationError, match="利益冲突"):
        svc.sheet_submit(actor=user, sheet_id=sheet.pk, scores={c1.pk: (30, ""), c2.pk: (50, "")})
    svc.sheet_declare(actor=user, sheet_id=sheet.pk, conflict=False)
    with pytest.raises(ValidationError, match="0 到 40"):
        svc.sheet_submit(actor=user, sheet_id=sheet.pk, scores={c1.pk: (41, ""), c2.pk: (50, "")})
    with pytest.raises(ValidationError, match="不是数字"):
        svc.sheet_submit(actor=user, sheet_id=sheet.pk, scores={c1.pk: ("abc", ""), c2.pk: (50, "")})
    assert not Score.objects.exists()


def test_a_submitted_sheet_is_immutable_until_the_organiser_reopens_it_with_a_reason():
    programme = make_programme()
    (application,) = panel_in_review(programme)
    sheet = ScoreSheet.objects.filter(application=application).first()
    score_all(sheet, (30, 50))
    c1, c2 = programme.criteria.all()
    with pytest.raises(ValidationError, match="已提交"):
        svc.sheet_submit(actor=sheet.seat.expert.user, sheet_id=sheet.pk, scores={c1.pk: (40, ""), c2.pk: (60, "")})
    organiser = make_user(province_code="SH", role="moderator")
    with pytest.raises(ValidationError, match="理由"):
        svc.sheet_reopen(actor=organiser, sheet_id=sheet.pk, reason=" ")
    with pytest.raises(PermissionDenied):
        svc.sheet_reopen(actor=make_user(province_code="ZJ", role="moderator"), sheet_id=sheet.pk, reason="x")
    svc.sheet_reopen(actor=organiser, sheet_id=sheet.pk, reason="第二项计分有误")
    svc.sheet_submit(actor=sheet.seat.expert.user, sheet_id=sheet.pk, scores={c1.pk: (40, ""), c2.pk: (60, "")})
    from wagtail.models import ModelLogEntry

    assert ModelLogEntry.objects.filter(action="sharing.evaluation.reopen").count() == 1


def test_scoring_after_the_deadline_is_refused():
    programme = make_programme()
    (application,) = panel_in_review(programme)
    sheet = ScoreSheet.objects.filter(application=application).first()
    svc.sheet_declare(actor=sheet.seat.expert.user, sheet_id=sheet.pk, conflict=False)
    c1, c2 = programme.criteria.all()
    with pytest.raises(ValidationError, match="截止"):
        svc.sheet_submit(actor=sheet.seat.expert.user, sheet_id=sheet.pk, scores={c1.pk: (1, ""), c2.pk: (1, "")},
                         now=programme.review_closes + datetime.timedelta(minutes=1))


def test_the_rubric_freezes_once_scoring_starts():
    programme = make_programme()
    (application,) = panel_in_review(programme)
    organiser = make_user(province_code="SH", role="moderator")
    svc.criterion_save(actor=organiser, programme_id=programme.pk, name="新增评价项", max_points=10)
    sheet = ScoreSheet.objects.filter(application=application).first()
    svc.sheet_declare(actor=sheet.seat.expert.user, sheet_id=sheet.pk, conflict=False)
    with pytest.raises(ValidationError, match="冻结"):
        svc.criterion_save(actor=organiser, programme_id=programme.pk, name="再加一项", max_points=10)
    assert not Criterion.objects.filter(name="再加一项").exists()


def test_reviewers_see_only_their_own_sheets():
    programme = make_programme()
    panel_in_review(programme, applications=2)
    seat = Seat.objects.filter(programme=programme, role=Seat.Role.PRINCIPAL).first()
    mine = sel.sheets_for_reviewer(seat.expert.user)
    assert {s.seat_id for s in mine} == {seat.pk} and mine.count() == 2


# --- aggregation --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "totals", "expected"), [
    ("mean", ["80", "90", "70"], "80.00"),
    ("trimmed", ["80", "90", "70"], "80.00"),  # fewer than five reviewers: plain mean
    ("trimmed", ["60", "80", "82", "84", "99"], "82.00"),
    ("mean", [], None),
])
def test_aggregation_is_declared_per_programme(method, totals, expected):
    result = svc.aggregate(method, [Decimal(t) for t in totals])
    assert (str(result) if result is not None else None) == expected


def test_consensus_uses_the_recorded_consensus_total():
    assert svc.aggregate("consensus", [Decimal(80)], Decimal("77.5")) == Decimal("77.5")


def test_progress_flags_wide_disagreement_and_is_reproducible():
    programme = make_programme(disagreement_points=15)
    (application,) = panel_in_review(programme)
    sheets = list(ScoreSheet.objects.filter(application=application))
    for sheet, points in zip(sheets, [(38, 57), (20, 30), (35, 55)], strict=True):
        score_all(sheet, points)
    first = sel.progress(programme)[0]
    assert first.totals and first.disagrees(programme.disagreement_points)
    assert sel.progress(programme)[0].total == first.total == Decimal("78.33")


# --- results, certificates, recognition ------------------------------------------------------------------------------
def announced(programme):
    (application,) = panel_in_review(programme)
    for sheet in ScoreSheet.objects.filter(application=application):
        score_all(sheet, (36, 54))
    svc.results_announce(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk)
    return Result.objects.get(application=application)


def test_announcement_gives_levels_and_codes_then_publication_after_the_objection_period():
    programme = make_programme()
    result = announced(programme)
    assert result.total == Decimal("90.00") and result.level.name == "一等" and len(result.code) == 12
    svc.objection_file(result_id=result.pk, name="张三", contact="13800000000", text="成果数据存疑")
    organiser = make_user(province_code="SH", role="moderator")
    with pytest.raises(ValidationError, match="公示期"):
        svc.results_publish(actor=organiser, programme_id=programme.pk)
    svc.results_publish(actor=organiser, programme_id=programme.pk,
                        now=programme.announce_closes + datetime.timedelta(minutes=1))
    result.refresh_from_db()
    assert result.status == Result.Status.PUBLISHED
    with pytest.raises(ValidationError, match="公示期已结束"):
        svc.objection_file(result_id=result.pk, name="李四", contact="x", text="y")


def test_announcement_is_refused_while_sheets_are_open():
    programme = make_programme()
    panel_in_review(programme)
    with pytest.raises(ValidationError, match="未提交"):
        svc.results_announce(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk)
    assert not Result.objects.exists()


def test_verification_finds_the_result_and_says_when_it_was_revoked():
    programme = make_programme()
    result = announced(programme)
    assert sel.verify(result.code.lower()) == result
    assert sel.verify("NOSUCHCODE22") is None
    svc.result_revoke(actor=make_user(province_code="SH", role="moderator"), result_id=result.pk, reason="弄虚作假")
    revoked = sel.verify(result.code)
    assert revoked.status == Result.Status.REVOKED and revoked.revoke_reason == "弄虚作假"


def test_recognition_decisions_supersede_and_are_never_edited():
    theirs = make_programme("JS", stage=Programme.Stage.PUBLISHED, kind=Programme.Kind.BRAND, title="江苏精品认证")
    ours = make_programme("SH", stage=Programme.Stage.PUBLISHED, kind=Programme.Kind.BRAND, title="上海品牌认证")
    reviewer = make_user(province_code="SH", role="reviewer")
    first = svc.recognition_decide(actor=reviewer, programme_id=theirs.pk, province=province("SH"),
                                   outcome="conditional", conditions="须在有效期内", rationale="评价准则基本一致")
    second = svc.recognition_decide(actor=reviewer, programme_id=theirs.pk, province=province("SH"),
                                    outcome="equivalent", equivalent_to_id=ours.pk, rationale="经圆桌会议确认")
    first.refresh_from_db()
    assert not first.is_current and first.outcome == "conditional" and second.supersedes == first
    assert list(sel.recognitions_of(theirs)) == [second]


def test_a_province_decides_only_for_itself_and_not_on_its_own_programme():
    theirs = make_programme("JS", stage=Programme.Stage.PUBLISHED)
    with pytest.raises(PermissionDenied):
        svc.recognition_decide(actor=make_user(province_code="ZJ", role="reviewer"), programme_id=theirs.pk,
                               province=province("SH"), outcome="declined", rationale="x")
    with pytest.raises(ValidationError, match="本省自己"):
        svc.recognition_decide(actor=make_user(province_code="JS", role="reviewer"), programme_id=theirs.pk,
                               province=province("JS"), outcome="declined", rationale="x")
    with pytest.raises(ValidationError, match="视同"):
        svc.recognition_decide(actor=make_user(province_code="SH", role="reviewer"), programme_id=theirs.pk,
                               province=province("SH"), outcome="equivalent", rationale="x")
    assert not ResultRecognition.objects.exists()


def test_a_joint_programme_opens_only_when_every_co_organiser_signed_off():
    programme = make_programme("SH", stage=Programme.Stage.DRAFT, co=("JS", "ZJ"))
    svc.programme_submit(actor=make_user(province_code="SH", role="moderator"), programme_id=programme.pk)
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.SIGNOFF
    svc.programme_signoff(actor=make_user(province_code="JS", role="moderator"), programme_id=programme.pk,
                          province=province("JS"))
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.SIGNOFF
    with pytest.raises(PermissionDenied):
        svc.programme_signoff(actor=make_user(province_code="JS", role="moderator"), programme_id=programme.pk,
                              province=province("ZJ"))
    svc.programme_signoff(actor=make_user(province_code="ZJ", role="moderator"), programme_id=programme.pk,
                          province=province("ZJ"))
    programme.refresh_from_db()
    assert programme.stage == Programme.Stage.OPEN


# --- the consensus session as a roundtable meeting ---------------------------------------------------------------
def _disagreeing_programme():
    programme = make_programme(disagreement_points=10)
    [application] = panel_in_review(programme)
    sheets = list(application.sheets.select_related("seat__expert__user"))
    score_all(sheets[0], ("10", "20"))
    score_all(sheets[1], ("40", "60"))
    svc.sheet_declare(actor=sheets[2].seat.expert.user, sheet_id=sheets[2].pk, conflict=True, note="曾为其顾问")
    return programme, application, sheets


def test_the_consensus_session_is_a_roundtable_meeting_of_the_panel():
    from hub.meetings import selectors as meeting_selectors
    from hub.meetings.models import Meeting
    from tests.hub.meetings.factories import ActionItemFactory

    programme, application, sheets = _disagreeing_programme()
    ActionItemFactory()  # an open roundtable action item: not the consensus session's business
    organiser = make_user(province_code="SH", role="moderator")
    starts = NOW + datetime.timedelta(days=3)
    meeting = svc.consensus_session_schedule(actor=organiser, programme_id=programme.pk, starts_at=starts,
                                             place="上海市质量协会会议室")
    programme.refresh_from_db()
    assert programme.consensus_meeting == meeting and meeting.host == programme.province
    assert meeting.status == Meeting.Status.SCHEDULED and meeting.starts_at == starts
    agenda = [item.title for item in meeting.agenda_items.all()]
    assert len(agenda) == 1 and application.title in agenda[0]  # the flagged application, no carried-over items
    reserve_user = ScoreSheet.objects.filter(application=application, seat__role=Seat.Role.RESERVE) \
        .get().seat.expert.user
    panel = {s.seat.expert.user for s in sheets[:2]} | {reserve_user}
    assert {p.user for p in meeting.participants.all()} == panel  # the recused reviewer is not on it
    for user in panel:
        assert meeting_selectors.notes_role(user=user, meeting_id=meeting.pk) == "editor"
    assert meeting_selectors.notes_role(user=sheets[2].seat.expert.user, meeting_id=meeting.pk) is None


def test_the_consensus_session_is_refused_without_disagreement_or_to_another_province():
    from hub.meetings.models import Meeting

    programme = make_programme()
    [application] = panel_in_review(programme)
    for sheet in application.sheets.select_related("seat__expert__user"):
        score_all(sheet, ("30", "50"))
    before = Meeting.objects.count()
    with pytest.raises(ValidationError, match="无需合议"):
        svc.consensus_session_schedule(actor=make_user(province_code="SH", role="moderator"),
                                       programme_id=programme.pk, starts_at=NOW)
    from django.http import Http404

    programme2, _application, _sheets = _disagreeing_programme()
    for actor in (make_user(province_code="ZJ", role="moderator"), make_user(province_code="SH", role="editor")):
        with pytest.raises(Http404):
            svc.consensus_session_schedule(actor=actor, programme_id=programme2.pk, starts_at=NOW)
    assert Meeting.objects.count() == before
    programme2.refresh_from_db()
    assert programme2.consensus_meeting is None
