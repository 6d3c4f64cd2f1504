"""Reads of evaluation programmes: the organiser's progress (totals, disagreement), a reviewer's own sheets (blind
to the others), the public results register, certificate verification and the recognition matrix."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q

from hub import permissions
from sharing.models.evaluations import (
    Application,
    Programme,
    Result,
    ResultRecognition,
    Score,
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
    figure every time from the stored scores. A constant number of queries whatever the number of applications."""
    from sharing.evaluations import aggregate, sheet_total

    sheets = ScoreSheet.objects.select_related("seat__expert").prefetch_related(
        Prefetch("scores", queryset=Score.objects.select_related("criterion")))
    applications = (programme.applications.filter(status=Application.Status.ACCEPTED)
                    .select_related("enterprise", "province").prefetch_related(Prefetch("sheets", queryset=sheets))
                    .order_by("pk"))
    rows = []
    for application in applications:
        row = ApplicationProgress(application=application)
        for sheet in application.sheets.all():
            if sheet.status == ScoreSheet.Status.SUBMITTED:
                row.totals.append(sheet_total(sheet.scores.all()))
            elif sheet.status == ScoreSheet.Status.RECUSED:
                row.recused += 1
            else:
                row.pending += 1
        row.total = aggregate(programme.aggregation, row.totals, application.consensus_total)
        rows.append(row)
    return rows


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
            .order_by("status", "submitted_at"))
