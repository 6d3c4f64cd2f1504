"""Reads of the expert pool: the directory, draw eligibility, task lists."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from expert_pool import visibility
from expert_pool.duplicates import employer_key
from expert_pool.models import (
    BOOKED_STATUSES,
    RELEASED_STATUSES,
    Assignment,
    Availability,
    Conflict,
    Expert,
    ExpertRequest,
    Qualification,
    Specialism,
)
from expert_pool.search import terms
from hub.permissions import is_unrestricted, province_ids_for

REQUESTER_ACTIONS = ("add", "coordinate")


def rotation_cap() -> int:
    return int(getattr(settings, "EXPERT_POOL_ROTATION_CAP", 4))


def rating_window_days() -> int:
    return int(getattr(settings, "EXPERT_POOL_RATING_WINDOW_DAYS", 30))


def can_request_for(user, province_id: int) -> bool:
    """Requesting staff: editors and moderators (``add``) or coordinators (``coordinate``) of the province."""
    return any(province_id in province_ids_for(user, action) for action in REQUESTER_ACTIONS)


def requester_province_ids(user) -> frozenset[int]:
    return frozenset().union(*(province_ids_for(user, action) for action in REQUESTER_ACTIONS))


# ---------------------------------------------------------------- directory

def directory_queryset(user):
    """Experts the user may find: active ones, plus every status of the provinces they staff."""
    q = Q(status=Expert.Status.ACTIVE)
    if user is not None and user.is_authenticated:
        if is_unrestricted(user):
            return Expert.objects.all()
        view_ids = province_ids_for(user, "view")
        if view_ids:
            q |= Q(province__in=view_ids)
    return Expert.objects.filter(q)


def available_between(start: datetime.date, end: datetime.date, *, remote: bool = True):
    """Experts with one availability range covering [start, end] (on-site ranges also serve remote work)."""
    ranges = Availability.objects.filter(expert=OuterRef("pk"), start__lte=start, end__gte=end)
    if not remote:
        ranges = ranges.filter(mode=Availability.Mode.ONSITE)
    return Exists(ranges)


@dataclass
class DirectoryFilters:
    q: str = ""
    specialism: int | None = None
    qualification: int | None = None
    province: int | None = None
    language: str = ""
    available_from: datetime.date | None = None
    available_to: datetime.date | None = None
    status: str = ""


def _filtered(user, filters: DirectoryFilters, skip: str = ""):
    """The directory under every filter except ``skip`` (a facet counts what choosing it would give)."""
    qs = directory_queryset(user)
    for term in terms(filters.q):
        qs = qs.filter(visibility.search_field_q(user, "contains", term))
    if filters.specialism and skip != "specialism":
        qs = qs.filter(specialisms=filters.specialism)
    if filters.qualification and skip != "qualification":
        qs = qs.filter(qualifications=filters.qualification)
    if filters.province and skip != "province":
        qs = qs.filter(province=filters.province)
    if filters.language and skip != "language":
        qs = qs.filter(languages__contains=f",{filters.language},")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.available_from and filters.available_to:
        # Availability is not public: only experts whose availability the user may read can match a date filter,
        # or the filter would reveal what the profile hides (the gate's read rule).
        from expert_pool import read_rules as read

        qs = qs.filter(available_between(filters.available_from, filters.available_to)).filter(
            read.availability_readable_q(user))
    return qs


def _relevance(qs, query: str):
    """Score each match: the name (or its exact form) counts most, then title, specialisms and qualifications;
    every term already matched somewhere the viewer may read."""
    from django.db.models import Case, IntegerField, Value, When

    words = terms(query)
    if not words:
        return None
    score = Value(0, output_field=IntegerField())
    whole = query.strip()
    if whole:
        score = score + Case(When(name=whole, then=Value(20)), default=Value(0), output_field=IntegerField())
    for word in words:
        for lookup, weight in (("name__icontains", 8), ("search_public__contains", 0), ("title__icontains", 3)):
            if weight:
                score = score + Case(When(**{lookup: word}, then=Value(weight)), default=Value(0),
                                     output_field=IntegerField())
        score = score + Case(When(Exists(Expert.specialisms.through.objects.filter(
            expert_id=OuterRef("pk"), specialism__name__icontains=word)), then=Value(4)),
            default=Value(0), output_field=IntegerField())
        score = score + Case(When(Exists(Expert.qualifications.through.objects.filter(
            expert_id=OuterRef("pk"), qualification__name__icontains=word)), then=Value(4)),
            default=Value(0), output_field=IntegerField())
    return score


def directory_search(user, filters: DirectoryFilters):
    """The filtered directory, most relevant first when there is a query, with relations prefetched: a constant
    number of queries per page."""
    qs = with_profile_relations(_filtered(user, filters))
    score = _relevance(qs, filters.q)
    if score is not None:
        qs = qs.annotate(relevance=score).order_by("-relevance", "province__order", "name", "pk")
    return qs


def directory_facets(user, filters: DirectoryFilters) -> dict[str, list[dict]]:
    """Counts per facet value under the other filters: what each choice would give. Four queries."""
    from hub.models import Province

    def counts(skip, field):
        rows = (_filtered(user, filters, skip).order_by().values(field).annotate(n=Count("pk", distinct=True)))
        return {row[field]: row["n"] for row in rows if row[field] is not None}

    facets = {}
    by_specialism = counts("specialism", "specialisms")
    facets["specialism"] = [{"value": s.pk, "label": s.label, "n": by_specialism.get(s.pk, 0),
                             "selected": s.pk == filters.specialism}
                            for s in Specialism.objects.order_by("order", "name") if by_specialism.get(s.pk)]
    by_qualification = counts("qualification", "qualifications")
    facets["qualification"] = [{"value": q.pk, "label": q.label, "n": by_qualification.get(q.pk, 0),
                                "selected": q.pk == filters.qualification}
                               for q in Qualification.objects.order_by("order", "name") if by_qualification.get(q.pk)]
    by_province = counts("province", "province")
    facets["province"] = [{"value": p.pk, "label": p.name, "n": by_province.get(p.pk, 0),
                           "selected": p.pk == filters.province}
                          for p in Province.objects.ordered() if by_province.get(p.pk)]
    from expert_pool.models import LANGUAGES

    by_language = _filtered(user, filters, "language").aggregate(**{
        code: Count("pk", filter=Q(languages__contains=f",{code},"), distinct=True) for code, _label in LANGUAGES})
    facets["language"] = [{"value": code, "label": str(label), "n": by_language[code],
                           "selected": code == filters.language} for code, label in LANGUAGES if by_language[code]]
    return facets


def with_profile_relations(qs):
    return qs.select_related("province").prefetch_related(
        Prefetch("specialisms", queryset=Specialism.objects.order_by("order", "name")),
        Prefetch("qualifications", queryset=Qualification.objects.order_by("order", "name")),
    ).order_by("province__order", "name", "pk")


def expert_for_viewer(user, pk: int) -> Expert:
    """One profile as the directory shows it (404 outside the directory for this user)."""
    from django.shortcuts import get_object_or_404

    qs = directory_queryset(user)
    if user is not None and user.is_authenticated:
        qs = Expert.objects.filter(Q(pk__in=qs.values("pk")) | Q(user=user))
    return get_object_or_404(with_profile_relations(qs), pk=pk)


# ---------------------------------------------------------------- draws

REASONS = {
    "conflict": _("与被评价单位有关联（同单位或声明的利益冲突）"),
    "home": _("申请方本省专家（要求异地）"),
    "rotation": _("近 12 个月任务数已达轮换上限"),
    "booked": _("该时段已有确认任务"),
    "named": _("已在本申请中"),
    "province": _("与被评价单位同一省市（要求回避）"),
}


@dataclass
class DrawPool:
    candidate_ids: list[int]
    exclusions: list[dict] = field(default_factory=list)
    considered: int = 0
    #: {id: [province id, employer key]} of every candidate, for the caps.
    attrs: dict = field(default_factory=dict)

    def excluded_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.exclusions:
            for code in item["reasons"]:
                counts[code] = counts.get(code, 0) + 1
        return counts


def draw_pool(request: ExpertRequest, *, today: datetime.date | None = None, cap: int | None = None) -> DrawPool:
    """Who may be drawn for ``request``: active experts with one of its specialisms and availability over its
    dates, minus avoidance (回避). A fixed number of queries, whatever the size of the pool."""
    today = today or datetime.date.today()
    cap = rotation_cap() if cap is None else cap
    base = Expert.objects.active().filter(
        available_between(request.start, request.end, remote=request.remote),
        Exists(Expert.specialisms.through.objects.filter(
            expert_id=OuterRef("pk"), specialism_id__in=request.specialisms.values("pk"))),
    )
    if not request.remote:
        travel = Availability.objects.filter(expert=OuterRef("pk"), start__lte=request.start, end__gte=request.end,
                                             mode=Availability.Mode.ONSITE)
        base = base.filter(Q(province=request.requesting_province_id)
                           | Exists(travel.filter(regions=request.requesting_province_id))
                           | Exists(travel.filter(regions__isnull=True)))
    rows = list(base.values_list("pk", "name", "province_id", "employer").order_by("pk"))
    ids = [row[0] for row in rows]
    reasons: dict[int, list[str]] = {}

    def flag(expert_id, code):
        reasons.setdefault(expert_id, []).append(code)

    org = request.organisation_under_review.strip().lower()
    if org:
        conflicted = set(Conflict.objects.current(today).filter(
            expert__in=base, organisation__iexact=request.organisation_under_review.strip(),
        ).values_list("expert_id", flat=True))
        for pk, _name, _prov, employer in rows:
            if pk in conflicted or employer.strip().lower() == org:
                flag(pk, "conflict")
    if request.elsewhere_only:
        for pk, _name, province_id, _emp in rows:
            if province_id == request.requesting_province_id:
                flag(pk, "home")
    if request.avoid_organisation_province and request.organisation_province_id:
        for pk, _name, province_id, _emp in rows:
            if province_id == request.organisation_province_id:
                flag(pk, "province")
    year_ago = today - datetime.timedelta(days=365)
    busy = dict(Assignment.objects.filter(expert__in=base, status__in=BOOKED_STATUSES, start__gte=year_ago)
                .values("expert_id").annotate(n=Count("pk")).values_list("expert_id", "n"))
    for pk in ids:
        if busy.get(pk, 0) >= cap:
            flag(pk, "rotation")
    for pk in Assignment.objects.filter(expert__in=base, status__in=BOOKED_STATUSES, start__lte=request.end,
                                        end__gte=request.start).values_list("expert_id", flat=True):
        flag(pk, "booked")
    if request.pk:
        for pk in request.assignments.filter(expert__in=base).values_list("expert_id", flat=True):
            flag(pk, "named")
    names = {row[0]: row[1] for row in rows}
    exclusions = [{"expert_id": pk, "name": names[pk], "reasons": sorted(set(codes)),
                   "reason": "；".join(str(REASONS[c]) for c in sorted(set(codes)))}
                  for pk, codes in sorted(reasons.items())]
    candidates = [pk for pk in ids if pk not in reasons]
    attrs = {str(pk): [province_id, employer_key(employer)] for pk, _n, province_id, employer in rows
             if pk not in reasons}
    return DrawPool(candidate_ids=candidates, exclusions=exclusions, considered=len(ids), attrs=attrs)


def panel_preset(request: ExpertRequest) -> dict:
    """Provinces and employers already holding a place on the request (named experts, earlier draws)."""
    provinces: dict[str, int] = {}
    employers = []
    for province_id, employer in (request.assignments.exclude(status__in=RELEASED_STATUSES)
                                  .values_list("expert__province_id", "expert__employer")):
        provinces[str(province_id)] = provinces.get(str(province_id), 0) + 1
        employers.append(employer_key(employer))
    return {"provinces": provinces, "employers": employers}


def province_cap_for(request: ExpertRequest) -> int | None:
    """At most this many principals per province: the request's own figure, else a panel of two or more is never
    all from one province."""
    if request.max_per_province:
        return request.max_per_province
    return request.number_needed - 1 if request.number_needed >= 2 else None


def request_offers(request: ExpertRequest, assignments, today: datetime.date | None = None) -> dict[str, bool]:
    """Which request-level actions make sense now, mirroring what the services would accept: a draw while places
    are open and the start lies ahead; withdrawal while open and nobody has completed."""
    today = today or datetime.date.today()
    is_open = request.status == ExpertRequest.Status.OPEN
    held = sum(1 for a in assignments if a.status not in RELEASED_STATUSES)
    completed = any(a.status == Assignment.Status.COMPLETED for a in assignments)
    return {"draw": is_open and request.start > today and held < request.number_needed,
            "withdraw": is_open and not completed}


# ---------------------------------------------------------------- task lists

def tasks_for(user) -> dict[str, list]:
    """我的待办: what this user must act on now, as expert, coordinator or requesting staff."""
    if user is None or not user.is_authenticated:
        return {}
    today = datetime.date.today()
    base = Assignment.objects.select_related("request", "expert", "expert__province", "request__requesting_province")
    tasks: dict[str, list] = {}
    expert = Expert.objects.filter(user=user).first()
    if expert is not None:
        tasks["answer"] = list(base.filter(expert=expert, status=Assignment.Status.APPROVED,
                                           request__status=ExpertRequest.Status.OPEN,
                                           request__respond_by__gte=today))
        tasks["upcoming"] = list(base.filter(expert=expert, status=Assignment.Status.CONFIRMED))
    coordinate_ids = province_ids_for(user, "coordinate") if not is_unrestricted(user) else frozenset()
    if coordinate_ids:
        tasks["approve"] = list(base.filter(expert__province__in=coordinate_ids, status=Assignment.Status.REQUESTED,
                                            request__status=ExpertRequest.Status.OPEN,
                                            request__respond_by__gte=today))
        scoped = Expert.objects.filter(province__in=coordinate_ids).select_related("province", "possible_duplicate_of")
        tasks["registrations"] = list(scoped.filter(status=Expert.Status.PENDING))
        tasks["changes"] = list(scoped.exclude(pending_changes={}).exclude(status=Expert.Status.PENDING))
        # imported or reinstated records that look like another one: pending ones are listed with registrations
        tasks["duplicates"] = list(scoped.filter(possible_duplicate_of__isnull=False)
                                   .exclude(status__in=[Expert.Status.PENDING, Expert.Status.RETIRED]))
    requester_ids = requester_province_ids(user) if not is_unrestricted(user) else frozenset()
    if requester_ids:
        mine = base.filter(request__requesting_province__in=requester_ids)
        tasks["confirm"] = list(mine.filter(status=Assignment.Status.ACCEPTED,
                                            request__status=ExpertRequest.Status.OPEN))
        tasks["complete"] = list(mine.filter(status=Assignment.Status.CONFIRMED, start__lte=today))
        window = today - datetime.timedelta(days=rating_window_days())
        tasks["rate"] = list(mine.filter(status=Assignment.Status.COMPLETED, rating__isnull=True,
                                         completed_at__date__gte=window))
        tasks["replace"] = list(mine.filter(status__in=[Assignment.Status.DECLINED, Assignment.Status.REFUSED,
                                                       Assignment.Status.UNAVAILABLE],
                                            request__status=ExpertRequest.Status.OPEN, request__start__gt=today))
    return {key: items for key, items in tasks.items() if items}


# ---------------------------------------------------------------- calendars

FREE_ONSITE, FREE_REMOTE, BOOKED, ASKED, UNKNOWN = "onsite", "remote", "booked", "asked", ""
#: Assignments that hold the expert's dates without being confirmed yet.
ASKED_STATUSES = ("requested", "approved", "accepted")


def day_states(expert_ids, start: datetime.date, end: datetime.date) -> dict[int, dict[datetime.date, str]]:
    """Per expert and day in [start, end]: booked, asked (a request in progress), free on site or remotely, or
    unknown. Two queries, whatever the number of experts."""
    states: dict[int, dict[datetime.date, str]] = {pk: {} for pk in expert_ids}
    day = datetime.timedelta(days=1)
    for a in Availability.objects.filter(expert__in=expert_ids, start__lte=end, end__gte=start):
        d = max(a.start, start)
        while d <= min(a.end, end):
            states[a.expert_id][d] = FREE_ONSITE if a.mode == Availability.Mode.ONSITE else FREE_REMOTE
            d += day
    held = Assignment.objects.filter(expert__in=expert_ids, start__lte=end, end__gte=start,
                                     status__in=BOOKED_STATUSES + ASKED_STATUSES,
                                     request__status=ExpertRequest.Status.OPEN)
    for a in held.order_by("status"):
        d = max(a.start, start)
        while d <= min(a.end, end):
            if states[a.expert_id].get(d) != BOOKED:
                states[a.expert_id][d] = BOOKED if a.status in BOOKED_STATUSES else ASKED
            d += day
    return states


STATE_LABELS = {FREE_ONSITE: _("可到现场"), FREE_REMOTE: _("仅远程"), BOOKED: _("已有任务"), ASKED: _("借用洽谈中"),
                UNKNOWN: _("未登记")}


def expert_calendar(expert: Expert, first_month: datetime.date, months: int = 3) -> list[dict]:
    """Month grids (Monday first) of the expert's own days, for the page where they edit their availability."""
    import calendar

    first = first_month.replace(day=1)
    last_month = first
    for _i in range(months - 1):
        last_month = (last_month + datetime.timedelta(days=32)).replace(day=1)
    last = last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])
    states = day_states([expert.pk], first, last)[expert.pk]
    grids, month = [], first
    cal = calendar.Calendar(firstweekday=0)
    for _i in range(months):
        weeks = [[{"date": d, "in_month": d.month == month.month, "state": states.get(d, UNKNOWN),
                   "label": STATE_LABELS[states.get(d, UNKNOWN)]} for d in week]
                 for week in cal.monthdatescalendar(month.year, month.month)]
        grids.append({"month": month, "weeks": weeks})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return grids


def pool_calendar(user, start: datetime.date, days: int = 28, province: int | None = None):
    """Who of the coordinator's pool is free when: active experts of the provinces they coordinate, one row each,
    one cell per day from ``start``."""
    experts = Expert.objects.restrict(user, "coordinate").active().select_related("province").order_by(
        "province__order", "name", "pk")
    if province:
        experts = experts.filter(province=province)
    return experts, [start + datetime.timedelta(days=i) for i in range(days)]


def pool_rows(experts, dates) -> list[dict]:
    experts = list(experts)
    states = day_states([e.pk for e in experts], dates[0], dates[-1])
    return [{"expert": e, "cells": [{"date": d, "state": states[e.pk].get(d, UNKNOWN),
                                     "label": STATE_LABELS[states[e.pk].get(d, UNKNOWN)]} for d in dates],
             "free_days": sum(1 for d in dates if states[e.pk].get(d) in (FREE_ONSITE, FREE_REMOTE))}
            for e in experts]
