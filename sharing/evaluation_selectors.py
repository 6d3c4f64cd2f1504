"""Reads of evaluation programmes: the organiser's progress (totals, disagreement), a reviewer's own sheets (blind
to the others), the public results register, certificate verification and the recognition matrix."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q

from hub import permissions
from sharing.models.evaluations import (
    Application,
    ApplicationAttachment,
    Programme,
    Result,
    ResultRecognition,
    ScoreSheet,
)


@dataclass
class ApplicationProgress:
    application: Application
    totals: list[Decimal] = field(default_factory=list)
    pending: int = 0
    recused: int = 0
    total: Decimal | None = None

    @property
    def spread(self) -> Decimal | None:
        return (max(self.totals) - min(self.totals)) if len(self.totals) >= 2 else None

    def disagrees(self, threshold: Decimal) -> bool:
        return self.spread is not None and self.spread > threshold


def progress(programme: Programme) -> list[ApplicationProgress]:
    """Per accepted application: submitted totals, sheets still open, recusals and the aggregated total — the same
    figure every time from the stored scores. Two queries whatever the number of applications: each sheet's weighted
    total (Σ points × weight) is summed by the database, exactly (numeric), and rounded as ``sheet_total`` rounds."""
    from django.db.models import DecimalField, F, Sum

    from sharing.evaluations import TWO, aggregate

    applications = (programme.applications.filter(status=Application.Status.ACCEPTED)
                    .select_related("enterprise", "province").order_by("pk"))
    rows = {application.pk: ApplicationProgress(application=application) for application in applications}
    sheets = (ScoreSheet.objects.filter(application__programme=programme,
                                        application__status=Application.Status.ACCEPTED).order_by()
              .annotate(weighted=Sum(F("scores__points") * F("scores__criterion__weight"),
                                     output_field=DecimalField(max_digits=12, decimal_places=4)))
              .values_list("application_id", "status", "weighted"))
    for application_id, status, weighted in sheets:
        row = rows[application_id]
        if status == ScoreSheet.Status.SUBMITTED:
            row.totals.append((weighted or Decimal(0)).quantize(TWO))
        elif status == ScoreSheet.Status.RECUSED:
            row.recused += 1
        else:
            row.pending += 1
    for row in rows.values():
        row.total = aggregate(programme.aggregation, row.totals, row.application.consensus_total)
    return list(rows.values())


def reviewer_progress(programme: Programme) -> list[dict]:
    """Per reviewer: sheets submitted and still open (for the organiser)."""
    counts: dict[int, dict] = {}
    for sheet in ScoreSheet.objects.filter(application__programme=programme).select_related("seat__expert"):
        entry = counts.setdefault(sheet.seat_id, {"expert": sheet.seat.expert, "role": sheet.seat.get_role_display(),
                                                  "submitted": 0, "open": 0, "recused": 0})
        key = {"submitted": "submitted", "recused": "recused"}.get(sheet.status, "open")
        entry[key] += 1
    return list(counts.values())


def sheets_for_reviewer(user):
    """A reviewer's own sheets; nothing of anybody else's."""
    if user is None or not user.is_authenticated:
        return ScoreSheet.objects.none()
    return (ScoreSheet.objects.filter(seat__expert__user=user, seat__expert__user__is_active=True)
            .select_related("application__programme", "application__enterprise", "seat")
            .order_by("application__programme", "application__pk"))


def organised_programmes(user):
    return Programme.objects.organised_by(user, "view").prefetch_related("co_organisers").select_related("province")


def public_programmes():
    return Programme.objects.public().select_related("province").prefetch_related("co_organisers")


def visible_programme(user, pk: int) -> Programme | None:
    """A public programme for anyone; a draft only for its organisers."""
    programme = Programme.objects.filter(pk=pk).select_related("province").first()
    if programme is None:
        return None
    if programme.stage in (Programme.Stage.DRAFT, Programme.Stage.SIGNOFF):
        if not Programme.objects.organised_by(user, "view").filter(pk=pk).exists():
            return None
    return programme


def public_results(programme: Programme):
    """The results register of a programme: announced, published and revoked results (revoked ones say so)."""
    return (Result.objects.public().filter(application__programme=programme)
            .select_related("application__enterprise", "application__province", "level").order_by("-total", "pk"))


def verify(code: str) -> Result | None:
    """The result behind a certificate code, whatever its state, or None."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code:
        return None
    return (Result.objects.public().filter(code=code)
            .select_related("application__programme__province", "application__enterprise", "level").first())


def recognitions_of(programme: Programme):
    """Current decisions of other provinces on this programme's results."""
    return (ResultRecognition.objects.filter(programme=programme, is_current=True)
            .select_related("province", "equivalent_to").order_by("province__order"))


def recognition_matrix():
    """Public programmes × provinces with each current decision (one query for the decisions)."""
    from hub.models import Province

    provinces = list(Province.objects.order_by("order"))
    programmes = list(public_programmes().order_by("province__order", "title"))
    decisions = {(d.programme_id, d.province_id): d for d in ResultRecognition.objects.filter(
        is_current=True, programme__in=programmes).select_related("equivalent_to")}
    rows = [{"programme": p, "cells": [None if p.province_id == pr.pk else decisions.get((p.pk, pr.pk))
                                       for pr in provinces]} for p in programmes]
    return provinces, rows


def applications_to_check(user):
    """Submitted applications from the user's provinces, for 形式审查."""
    return (Application.objects.filter(province__in=permissions.province_ids_for(user, "change"))
            .filter(~Q(status=Application.Status.DRAFT)).select_related("programme", "enterprise")
            .prefetch_related(Prefetch("attachments", queryset=ApplicationAttachment.objects.select_related("document")))
            .order_by("status", "submitted_at"))


#: Sheets whose reviewer has declared no conflict: they see the application and its attachments.
SEEING = (ScoreSheet.Status.SCORING, ScoreSheet.Status.SUBMITTED)


def readable_attachments(user):
    """Attachments the user may download: their own enterprise's, those of applications they may read as organiser
    or home province (``Application.restrict``), and those of applications assigned to them as a reviewer who
    declared no conflict. The read rule behind ``hub_file_uses``: document serving and search ask it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ApplicationAttachment.objects.none()
    if permissions.is_unrestricted(user):
        return ApplicationAttachment.objects.all()
    reviewing = ScoreSheet.objects.filter(application=OuterRef("application"), seat__expert__user=user,
                                          status__in=SEEING)
    return ApplicationAttachment.objects.filter(
        Q(application__enterprise__user=user)
        | Q(application__in=Application.objects.restrict(user, "view").values("pk"))
        | Q(Exists(reviewing)))


def attachments_of(application):
    return application.attachments.select_related("document").order_by("pk")


def panel_users(programme: Programme):
    """Accounts of the reviewers who hold a sheet they did not recuse from: the panel of a consensus session."""
    from django.contrib.auth import get_user_model

    sheets = ScoreSheet.objects.filter(application__programme=programme).exclude(status=ScoreSheet.Status.RECUSED)
    return get_user_model().objects.filter(is_active=True, expert__evaluation_seats__sheets__in=sheets).distinct() \
        .order_by("pk")


# --- search -----------------------------------------------------------------------------------------------------
def search_programmes(query: str, limit: int = 20) -> list[Programme]:
    """Public programmes matching a Chinese query: the search backend (jieba-segmented index), then titles."""
    base = public_programmes()
    ids = [p.pk for p in Programme.objects.public().search(query)[:200]]
    ids += list(Programme.objects.public().filter(title__icontains=query.strip()).values_list("pk", flat=True)[:200])
    ids = list(dict.fromkeys(ids))[:limit]
    found = {p.pk: p for p in base.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def search_results(query: str, limit: int = 20) -> list[Result]:
    """Public results (announced, published; revoked ones say so) whose programme, achievement, enterprise or level
    holds every word of the query, the query cut into words by jieba as the site search does."""
    from hub.search import query_terms

    terms = query_terms(query)
    if not terms:
        return []
    results = Result.objects.public()
    for term in terms:
        results = results.filter(Q(application__title__icontains=term) | Q(application__enterprise__name__icontains=term)
                                 | Q(application__programme__title__icontains=term) | Q(level__name__icontains=term))
    return list(results.select_related("application__programme", "application__enterprise", "application__province",
                                       "level").order_by("-announced_at", "-total", "pk")[:limit])


# --- export -------------------------------------------------------------------------------------------------------
def export_sheets(programme: Programme) -> list:
    """The organiser's workbook: applications (with contact people: personal data, audited by the view's service)
    and every submitted score, criterion by criterion, with the totals ``progress`` computes."""
    from django.db.models import Count
    from django.utils.translation import gettext as _

    from hub.spreadsheets import Sheet

    applications = (programme.applications.select_related("enterprise", "province")
                    .annotate(n_attachments=Count("attachments")).order_by("province__order", "pk"))
    rows = {row.application.pk: row for row in progress(programme)}
    app_rows = []
    for a in applications:
        row = rows.get(a.pk)
        app_rows.append([a.receipt, a.province.name_zh, a.enterprise.name, a.enterprise.credit_code,
                         a.enterprise.contact, a.title, a.get_status_display(),
                         a.submitted_at.strftime("%Y-%m-%d %H:%M") if a.submitted_at else "", a.check_reason,
                         a.n_attachments,
                         row.total if row else None, row.spread if row else None])
    criteria = list(programme.criteria.all())
    sheets = (ScoreSheet.objects.filter(application__programme=programme, status=ScoreSheet.Status.SUBMITTED)
              .select_related("application", "seat__expert").prefetch_related("scores").order_by("application", "seat"))
    score_rows = []
    for sheet in sheets:
        by_criterion = {s.criterion_id: s for s in sheet.scores.all()}
        score_rows.append([sheet.application.receipt, sheet.application.title, sheet.seat.expert.name,
                           sheet.submitted_at.strftime("%Y-%m-%d %H:%M") if sheet.submitted_at else ""]
                          + [by_criterion[c.pk].points if c.pk in by_criterion else None for c in criteria]
                          + ["；".join(f"{c.name}：{by_criterion[c.pk].comment}" for c in criteria
                                      if c.pk in by_criterion and by_criterion[c.pk].comment)])
    return [
        Sheet(_("申报"), [_("回执编号"), _("省市"), _("申报企业"), _("统一社会信用代码"), _("联系人"), _("申报成果名称"),
                          _("状态"), _("提交时间"), _("形式审查意见"), _("附件数"), _("总分"), _("极差")], app_rows),
        Sheet(_("评分"), [_("回执编号"), _("申报成果名称"), _("评审专家"), _("提交时间")]
              + [f"{c.name}（{format(c.max_points.normalize(), 'f')}）" for c in criteria] + [_("评语")], score_rows),
    ]


def recognition_history(programme: Programme, province):
    """Every decision of ``province`` on ``programme``, newest first (superseded ones included)."""
    return (ResultRecognition.objects.filter(programme=programme, province=province)
            .select_related("equivalent_to", "decided_by").order_by("-decided_at", "-pk"))


def enterprise_results(enterprise_id: int) -> list[Result]:
    """An enterprise's public results, newest first, with the current recognitions of each programme (prefetched:
    a constant number of queries)."""
    recognitions = Prefetch("application__programme__recognitions",
                            queryset=ResultRecognition.objects.filter(is_current=True)
                            .select_related("province", "equivalent_to").order_by("province__order"),
                            to_attr="current_recognitions")
    return list(Result.objects.public().filter(application__enterprise_id=enterprise_id)
                .select_related("application__programme__province", "application__enterprise", "level")
                .prefetch_related(recognitions).order_by("-announced_at", "pk"))
