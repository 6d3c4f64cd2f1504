"""Races of evaluation programmes on PostgreSQL: a double submission, a double-clicked score sheet, two checkers,
two reviewers deciding recognition for one province, two organisers announcing or scheduling the consensus
session. Exactly one wins each time; the loser gets a clear Chinese error; nothing is written twice."""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from hub.meetings.models import Meeting
from sharing import evaluations as svc
from sharing.models.evaluations import Application, Programme, Result, ResultRecognition, Score, ScoreSheet
from tests.conftest import make_user
from tests.sharing.test_evaluations import (
    make_enterprise,
    make_programme,
    panel_in_review,
    score_all,
    submitted_application,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]



def race(*calls):
    """Run the calls at the same moment, each in its own thread (own connection); "won" or the error message."""
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL (marker: postgres)"
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            call()
            outcomes[i] = "won"
        except ValidationError as error:
            outcomes[i] = error.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_double_submission_issues_one_receipt():
    programme = make_programme()
    enterprise = make_enterprise("JS")
    application = svc.application_save(actor=enterprise.user, programme_id=programme.pk, title="成果", summary="简介")
    outcomes = race(*[lambda: svc.application_submit(actor=enterprise.user, application_id=application.pk)] * 2)
    assert sorted(outcomes) == ["won", "申报已提交。"]
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and application.receipt


def test_two_checkers_deciding_one_application_at_once_leave_one_decision():
    programme = make_programme()
    application = submitted_application(programme)
    checkers = [make_user(province_code="JS", role="editor") for _ in range(2)]
    outcomes = race(
        lambda: svc.application_check(actor=checkers[0], application_id=application.pk, decision="accept"),
        lambda: svc.application_check(actor=checkers[1], application_id=application.pk, decision="reject",
                                      reason="材料不全"))
    assert sorted(outcomes) == ["won", "只有已提交的申报可以审查。"]
    application.refresh_from_db()
    winner = checkers[0] if application.status == Application.Status.ACCEPTED else checkers[1]
    assert application.checked_by == winner


def test_a_double_clicked_score_sheet_is_stored_once():
    programme = make_programme()
    [application] = panel_in_review(programme)
    sheet = application.sheets.select_related("seat__expert__user").first()
    user = sheet.seat.expert.user
    svc.sheet_declare(actor=user, sheet_id=sheet.pk, conflict=False)
    scores = {c.pk: ("30", "好") for c in programme.criteria.all()}
    outcomes = race(*[lambda: svc.sheet_submit(actor=user, sheet_id=sheet.pk, scores=scores)] * 2)
    assert sorted(outcomes) == ["won", "该评分表已提交或已回避，不能再修改。"]
    assert Score.objects.filter(sheet=sheet).count() == programme.criteria.count()
    assert ScoreSheet.objects.get(pk=sheet.pk).status == ScoreSheet.Status.SUBMITTED


def test_two_reviewers_scoring_the_same_application_at_once_both_count():
    programme = make_programme()
    [application] = panel_in_review(programme)
    sheets = list(application.sheets.select_related("seat__expert__user")[:2])
    for sheet in sheets:
        svc.sheet_declare(actor=sheet.seat.expert.user, sheet_id=sheet.pk, conflict=False)
    scores = {c.pk: ("30", "") for c in programme.criteria.all()}
    outcomes = race(*[lambda s=s: svc.sheet_submit(actor=s.seat.expert.user, sheet_id=s.pk, scores=scores)
                      for s in sheets])
    assert outcomes == ["won", "won"]
    assert ScoreSheet.objects.filter(pk__in=[s.pk for s in sheets], status="submitted").count() == 2


def test_two_reviewers_of_one_province_deciding_recognition_at_once_leave_one_current_decision(province):
    programme = make_programme("JS", stage=Programme.Stage.PUBLISHED)
    reviewers = [make_user(province_code="SH", role="reviewer") for _ in range(2)]
    sh = province("SH")
    outcomes = race(
        lambda: svc.recognition_decide(actor=reviewers[0], programme_id=programme.pk, province=sh,
                                       outcome="conditional", conditions="需补充现场评价", rationale="审查会决议"),
        lambda: svc.recognition_decide(actor=reviewers[1], programme_id=programme.pk, province=sh,
                                       outcome="declined", rationale="标准不同"))
    assert outcomes.count("won") == 1
    assert any("已有现行决定" in o for o in outcomes if o != "won")
    assert ResultRecognition.objects.filter(programme=programme, province=sh).count() == 1


def _ready_to_announce():
    programme = make_programme()
    [application] = panel_in_review(programme)
    for sheet in application.sheets.select_related("seat__expert__user"):
        score_all(sheet, ("35", "50"))
    return programme


def test_two_organisers_announcing_at_once_announce_once():
    programme = _ready_to_announce()
    organisers = [make_user(province_code="SH", role="moderator") for _ in range(2)]
    outcomes = race(*[lambda o=o: svc.results_announce(actor=o, programme_id=programme.pk) for o in organisers])
    assert sorted(outcomes) == ["won", "项目不在评审阶段。"]
    assert Result.objects.filter(application__programme=programme).count() == 1


def test_two_organisers_scheduling_the_consensus_session_at_once_make_one_meeting():
    programme = make_programme(aggregation=Programme.Aggregation.CONSENSUS)
    panel_in_review(programme)
    organisers = [make_user(province_code="SH", role="moderator") for _ in range(2)]
    starts = timezone.now() + datetime.timedelta(days=2)
    before = Meeting.objects.count()
    outcomes = race(*[lambda o=o: svc.consensus_session_schedule(actor=o, programme_id=programme.pk,
                                                                  starts_at=starts) for o in organisers])
    assert sorted(outcomes) == ["won", "合议会议已经安排。"]
    assert Meeting.objects.count() == before + 1
