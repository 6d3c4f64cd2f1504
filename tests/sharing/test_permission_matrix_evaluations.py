"""Evaluation programmes in the shared write matrix: every state-changing evaluation URL, tried by every role of
the owning province, of another province, the secretariat, an outsider and an anonymous visitor. Refusals write
nothing. Applying and scoring belong to enterprises and reviewers, never to a province role (``action=None``)."""
import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from hub.models import Province
from sharing.models.evaluations import (
    Application,
    ApplicationAttachment,
    Criterion,
    Enterprise,
    Objection,
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
from tests.matrix import ACTORS, Case, case_id, check_case


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_n = itertools.count(1)
#: The lead of programmes another province only takes part in: neither the owning (SH) nor the other (ZJ) province.
THIRD = "JS"


def _programme(province, stage="open", **fields):
    now = timezone.now()
    dates = {"apply_opens": (now - datetime.timedelta(days=30)).date(), "apply_closes": now + datetime.timedelta(days=5),
             "check_closes": (now + datetime.timedelta(days=10)).date(),
             "review_closes": now + datetime.timedelta(days=20), "announce_closes": now + datetime.timedelta(days=30),
             "publish_on": (now + datetime.timedelta(days=31)).date()}
    programme = Programme.objects.create(province=province, title=f"矩阵项目{next(_n)}", kind="qc", stage=stage,
                                         panel_size=1, reserves=0, **(dates | fields))
    Criterion.objects.create(programme=programme, name="评价项", max_points=100)
    ResultLevel.objects.create(programme=programme, name="一等", min_total=80)
    return programme


def _enterprise(province, status="confirmed"):
    n = next(_n)
    return Enterprise.objects.create(province=province, user=make_user(), name=f"矩阵企业{n}",
                                     credit_code=f"913100{n:012d}", status=status)


def _application(programme, province=None, status="accepted"):
    enterprise = _enterprise(province or programme.province)
    return Application.objects.create(programme=programme, enterprise=enterprise, province=enterprise.province,
                                      title=f"成果{next(_n)}", summary="简介", status=status,
                                      receipt=f"SBM{next(_n):07d}" if status != "draft" else "")


def _sheet(programme, application, status="submitted", points=90):
    expert = make_expert("AH", user=make_user())
    seat = Seat.objects.create(programme=programme, expert=expert, role="principal", order=next(_n))
    sheet = ScoreSheet.objects.create(application=application, seat=seat, status=status,
                                      submitted_at=timezone.now() if status == "submitted" else None)
    if status == "submitted":
        Score.objects.create(sheet=sheet, criterion=programme.criteria.get(), points=points)
    return sheet


def in_review(province, **fields):
    programme = _programme(province, "review", **fields)
    _sheet(programme, _application(programme))
    return programme


def drawable(province):
    programme = _programme(province, "check")
    _application(programme)
    make_expert("AH", user=make_user(), employer=f"评审单位{next(_n)}")
    return programme


def submitted_sheet(province):
    programme = _programme(province, "review")
    return _sheet(programme, _application(programme))


def scored_application(province):
    programme = _programme(province, "review", aggregation="consensus")
    application = _application(programme)
    _sheet(programme, application)
    return application


def announced_result(province, **fields):
    programme = _programme(province, "announce", **fields)
    application = _application(programme)
    return Result.objects.create(application=application, total=90, level=programme.levels.get(),
                                 code=f"MATRIX{next(_n):06d}", announced_at=timezone.now())


def published_result(province):
    result = announced_result(province)
    Programme.objects.filter(pk=result.application.programme_id).update(stage="published")
    Result.objects.filter(pk=result.pk).update(status="published", published_at=timezone.now())
    return result


def joint_awaiting(province):
    """A joint programme led by a third province, awaiting ``province``'s sign-off."""
    programme = _programme(Province.objects.get(code=THIRD), "signoff")
    programme.co_organisers.add(province)
    return programme


def submitted_to_third(province):
    """An application of an enterprise of ``province`` to a third province's programme: ``province`` checks it."""
    return _application(_programme(Province.objects.get(code=THIRD)), province, status="submitted")


def third_provinces_programme(province):
    return _programme(Province.objects.get(code=THIRD), "published")


def draft_application(province):
    return _application(_programme(province), status="draft")


def pending_sheet(province):
    programme = _programme(province, "review")
    return _sheet(programme, _application(programme), status="pending")


def scoring_sheet(province):
    programme = _programme(province, "review")
    return _sheet(programme, _application(programme), status="scoring")


def draft_with_attachment(province):
    from hub.services.provisioning import province_collection
    from tests.canary import _document

    application = draft_application(province)
    document = _document(province_collection(application.province), "附件", f"matrixfile{next(_n)}")
    ApplicationAttachment.objects.create(application=application, document=document)
    return application


def new_programme_data(province):
    day = timezone.localdate()
    return {"lead": province.pk, "title": "矩阵新建项目", "kind": "qc", "aggregation": "mean",
            "disagreement_points": "15", "panel_size": "5", "reserves": "2", "cap_per_province": "2",
            "cap_per_employer": "1", "apply_opens": day.isoformat(),
            "apply_closes": f"{day + datetime.timedelta(days=10)}T17:00", "check_closes": str(day + datetime.timedelta(days=15)),
            "review_closes": f"{day + datetime.timedelta(days=30)}T17:00",
            "announce_closes": f"{day + datetime.timedelta(days=40)}T17:00",
            "publish_on": str(day + datetime.timedelta(days=41))}


def edit_programme_data(programme):
    """The edit form as the page fills it, with a new title; co-organisers unchanged (none)."""
    local = timezone.localtime
    return {"title": "矩阵改名项目", "kind": programme.kind, "aggregation": programme.aggregation,
            "disagreement_points": str(programme.disagreement_points), "panel_size": programme.panel_size,
            "reserves": programme.reserves, "cap_per_province": programme.cap_per_province,
            "cap_per_employer": programme.cap_per_employer, "apply_opens": str(programme.apply_opens),
            "apply_closes": local(programme.apply_closes).strftime("%Y-%m-%dT%H:%M"),
            "check_closes": str(programme.check_closes),
            "review_closes": local(programme.review_closes).strftime("%Y-%m-%dT%H:%M"),
            "announce_closes": local(programme.announce_closes).strftime("%Y-%m-%dT%H:%M"),
            "publish_on": str(programme.publish_on)}


def manage(obj):
    programme = obj if isinstance(obj, Programme) else obj.application.programme if hasattr(obj, "application") \
        else obj.programme
    return reverse("evaluations:manage_action", args=[programme.pk])


def _stage(programme):
    return Programme.objects.get(pk=programme.pk).stage


EVERYONE = tuple(label for label, _code, _role in ACTORS)

CASES = [
    # Creating a programme for the province, and setting its rubric (criteria and result levels).
    Case("evaluation new programme", lambda p: p, lambda p: reverse("evaluations:new"), action="change",
         method="post", data=lambda p: new_programme_data(p),
         written=lambda p: Programme.objects.filter(province=p, title="矩阵新建项目").count()),
    Case("evaluation add criterion", lambda p: _programme(p, "draft"), lambda p: reverse("evaluations:rubric",
                                                                                          args=[p.pk]),
         action="change", method="post",
         data=lambda p: {"criterion": "", "c-order": "2", "c-name": "新评价项", "c-max_points": "20", "c-weight": "1"},
         written=lambda p: p.criteria.count()),
    Case("evaluation add level", lambda p: _programme(p, "draft"), lambda p: reverse("evaluations:rubric", args=[p.pk]),
         action="change", method="post", data=lambda p: {"level": "1", "l-name": "二等", "l-min_total": "60",
                                                        "l-awarded": "on"},
         written=lambda p: p.levels.count()),
    # Editing the programme and its rubric (criteria and result levels changed or removed until scoring starts).
    Case("evaluation edit programme", lambda p: _programme(p, "draft"),
         lambda p: reverse("evaluations:edit", args=[p.pk]), action="change", method="post",
         data=lambda p: edit_programme_data(p), written=lambda p: Programme.objects.get(pk=p.pk).title),
    Case("evaluation edit criterion", lambda p: _programme(p, "draft"),
         lambda p: reverse("evaluations:rubric", args=[p.pk]), action="change", method="post",
         data=lambda p: {"criterion": p.criteria.get().pk, "c-order": "1", "c-name": "改名的评价项",
                         "c-max_points": "50", "c-weight": "1"},
         written=lambda p: list(p.criteria.values_list("name", "max_points"))),
    Case("evaluation delete criterion", lambda p: _programme(p, "draft"),
         lambda p: reverse("evaluations:rubric", args=[p.pk]), action="change", method="post",
         data=lambda p: {"delete_criterion": p.criteria.get().pk}, written=lambda p: p.criteria.count()),
    Case("evaluation edit level", lambda p: _programme(p, "draft"),
         lambda p: reverse("evaluations:rubric", args=[p.pk]), action="change", method="post",
         data=lambda p: {"level": "1", "level_id": p.levels.get().pk, "l-name": "优秀", "l-min_total": "85"},
         written=lambda p: list(p.levels.values_list("name", "min_total", "awarded"))),
    Case("evaluation delete level", lambda p: _programme(p, "draft"),
         lambda p: reverse("evaluations:rubric", args=[p.pk]), action="change", method="post",
         data=lambda p: {"delete_level": p.levels.get().pk}, written=lambda p: p.levels.count()),
    # The lead province's organiser actions: one service each, behind the gate (publish, or coordinate to draw).
    Case("evaluation submit draft", lambda p: _programme(p, "draft"), manage, action="publish", method="post",
         data=lambda p: {"do": "submit"}, written=_stage),
    Case("evaluation advance", _programme, manage, action="publish", method="post", data=lambda p: {"do": "advance"},
         written=_stage),
    Case("evaluation draw panel", drawable, manage, action="coordinate", method="post", data=lambda p: {"do": "draw"},
         written=lambda p: p.seats.count()),
    Case("evaluation reopen sheet", submitted_sheet, manage, action="publish", method="post",
         data=lambda s: {"do": "reopen", "sheet": s.pk, "reason": "评语与分数不符"},
         written=lambda s: ScoreSheet.objects.get(pk=s.pk).status),
    Case("evaluation consensus total", scored_application, manage, action="publish", method="post",
         data=lambda a: {"do": "consensus", "application": a.pk, "total": "88"},
         written=lambda a: Application.objects.get(pk=a.pk).consensus_total),
    Case("evaluation consensus session", lambda p: in_review(p, aggregation="consensus"), manage, action="publish",
         method="post", data=lambda p: {"do": "consensus_session", "starts_at": "2031-05-06T09:00"},
         written=lambda p: Programme.objects.get(pk=p.pk).consensus_meeting_id),
    Case("evaluation announce", in_review, manage, action="publish", method="post", data=lambda p: {"do": "announce"},
         written=_stage),
    Case("evaluation publish", lambda p: announced_result(
        p, announce_closes=timezone.now() - datetime.timedelta(hours=1)).application.programme, manage,
         action="publish", method="post", data=lambda p: {"do": "publish"}, written=_stage),
    Case("evaluation revoke", published_result, manage, action="publish", method="post",
         data=lambda r: {"do": "revoke", "result": r.pk, "reason": "材料造假"},
         written=lambda r: Result.objects.get(pk=r.pk).status),
    # A co-organiser signs off for itself (the lead is a third province).
    Case("evaluation co-organiser sign-off", joint_awaiting, manage, action="publish", method="post",
         data=lambda p: {"do": "signoff", "province": "SH"}, written=lambda p: p.signoffs.count()),
    # The applicant's home province checks the application and confirms enterprise accounts.
    Case("evaluation check application", submitted_to_third, lambda a: reverse("evaluations:check"),
         action="change", method="post", data=lambda a: {"application": a.pk, "decision": "accept"},
         written=lambda a: Application.objects.get(pk=a.pk).status),
    Case("evaluation confirm enterprise", lambda p: _enterprise(p, status="pending"),
         lambda e: reverse("evaluations:check"), action="change", method="post", data=lambda e: {"enterprise": e.pk},
         written=lambda e: Enterprise.objects.get(pk=e.pk).status),
    # A province decides recognition of another province's programme for itself.
    Case("evaluation recognition decision", third_provinces_programme,
         lambda p: reverse("evaluations:recognise", args=[p.pk, "SH"]), action="review", method="post",
         data=lambda p: {"outcome": "declined", "rationale": "评价准则不同"},
         written=lambda p: ResultRecognition.objects.filter(programme=p).count()),
    # Applying and scoring: enterprises and reviewers only, no province role.
    Case("evaluation apply", _programme, lambda p: reverse("evaluations:apply", args=[p.pk]), action=None,
         method="post", data=lambda p: {"title": "冒名申报", "summary": "x", "save": "1"},
         written=lambda p: p.applications.count()),
    Case("evaluation edit application", draft_application,
         lambda a: reverse("evaluations:apply_edit", args=[a.programme_id, a.pk]), action=None, method="post",
         data=lambda a: {"title": "改写的标题", "summary": "x", "save": "1"},
         written=lambda a: Application.objects.get(pk=a.pk).title),
    Case("evaluation remove attachment", draft_with_attachment,
         lambda a: reverse("evaluations:apply_edit", args=[a.programme_id, a.pk]), action=None, method="post",
         data=lambda a: {"remove": a.attachments.get().pk}, written=lambda a: a.attachments.count()),
    Case("evaluation declare conflict", pending_sheet, lambda s: reverse("evaluations:sheet", args=[s.pk]),
         action=None, method="post", data=lambda s: {"declare": "none"},
         written=lambda s: ScoreSheet.objects.get(pk=s.pk).status),
    Case("evaluation submit scores", scoring_sheet, lambda s: reverse("evaluations:sheet", args=[s.pk]),
         action=None, method="post",
         data=lambda s: {f"points-{s.application.programme.criteria.get().pk}": "50"},
         written=lambda s: ScoreSheet.objects.get(pk=s.pk).status),
    # Objections to an announced result are open to anyone, by design (公示).
    Case("evaluation objection", announced_result, lambda r: reverse("evaluations:objection", args=[r.pk]),
         action=None, method="post", also_allowed=EVERYONE,
         data=lambda r: {"name": "张三", "contact": "13800000000", "text": "成果数据有误"},
         written=lambda r: Objection.objects.filter(result=r).count()),
    # Reads that come with writes or personal data: the progress page and the audited export.
    Case("evaluation progress page", in_review, lambda p: reverse("evaluations:manage", args=[p.pk]), action="view"),
    Case("evaluation export", in_review, lambda p: reverse("evaluations:export", args=[p.pk]), action="view"),
    Case("evaluation recognition form", third_provinces_programme,
         lambda p: reverse("evaluations:recognise", args=[p.pk, "SH"]), action="review"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_evaluations_hold_the_province_boundary(case, province):
    check_case(case, province)


#: Every evaluation URL that accepts a POST, and the organiser actions of ``manage_action``, with their cases.
WRITES = {
    "evaluations:new": ["evaluation new programme"],
    "evaluations:rubric": ["evaluation add criterion", "evaluation add level", "evaluation edit criterion",
                           "evaluation delete criterion", "evaluation edit level", "evaluation delete level"],
    "evaluations:edit": ["evaluation edit programme"],
    "evaluations:apply": ["evaluation apply"],
    "evaluations:apply_edit": ["evaluation edit application", "evaluation remove attachment"],
    "evaluations:sheet": ["evaluation declare conflict", "evaluation submit scores"],
    "evaluations:check": ["evaluation check application", "evaluation confirm enterprise"],
    "evaluations:objection": ["evaluation objection"],
    "evaluations:recognise": ["evaluation recognition decision"],
    "do=submit": ["evaluation submit draft"], "do=advance": ["evaluation advance"], "do=draw": ["evaluation draw panel"],
    "do=announce": ["evaluation announce"], "do=publish": ["evaluation publish"],
    "do=signoff": ["evaluation co-organiser sign-off"], "do=reopen": ["evaluation reopen sheet"],
    "do=consensus": ["evaluation consensus total"], "do=consensus_session": ["evaluation consensus session"],
    "do=revoke": ["evaluation revoke"],
}
#: Writes that are not province data: a visitor creating a new enterprise account (tested in the view tests).
NOT_PROVINCE_DATA = {"evaluations:sign_up"}


def test_every_state_changing_evaluation_url_is_in_the_matrix():
    import inspect

    from sharing import evaluation_urls, evaluation_views

    covered = {case.id for case in CASES}
    assert all(set(ids) <= covered for ids in WRITES.values())
    def writes(view) -> bool:
        source = inspect.getsource(inspect.unwrap(view))
        return 'request.method == "POST"' in source or "require_POST" in source

    posting = {f"evaluations:{p.name}" for p in evaluation_urls.urlpatterns if writes(p.callback)}
    assert "evaluations:objection" in posting and "evaluations:apply" in posting  # the detection works
    assert posting - {"evaluations:manage_action"} <= set(WRITES) | NOT_PROVINCE_DATA, posting
    source = inspect.getsource(evaluation_views.manage_action)
    actions = set(evaluation_views.ORGANISER_ACTIONS) | {a for a in ("signoff", "reopen", "consensus",
                                                                    "consensus_session", "revoke")
                                                         if f'action == "{a}"' in source}
    assert {f"do={a}" for a in actions} == {k for k in WRITES if k.startswith("do=")}
