"""Reads of the expert pool: the directory, draw eligibility, task lists."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _

from expert_pool import visibility
from expert_pool.models import (
    BOOKED_STATUSES,
    Assignment,
    Availability,
    Conflict,
    Expert,
    ExpertRequest,
    Qualification,
    Specialism,
)
from expert_pool.search import terms
from hub.permissions import province_ids_for

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
        if user.is_superuser:
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


def directory_search(user, filters: DirectoryFilters):
    """The filtered directory, with relations prefetched: a constant number of queries per page."""
    qs = directory_queryset(user)
    for term in terms(filters.q):
        qs = qs.filter(visibility.search_field_q(user, "contains", term))
    if filters.specialism:
        qs = qs.filter(specialisms=filters.specialism)
    if filters.qualification:
        qs = qs.filter(qualifications=filters.qualification)
    if filters.province:
        qs = qs.filter(province=filters.province)
    if filters.language:
        qs = qs.filter(languages__contains=f",{filters.language},")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.available_from and filters.available_to:
        # Availability is not public: only experts whose availability the user may read can match a date filter,
        # or the filter would reveal what the profile hides (the gate's read rule).
        from hub.permissions import read

        qs = qs.filter(available_between(filters.available_from, filters.available_to)).filter(
            read.availability_readable_q(user))
    return with_profile_relations(qs)


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
}


@dataclass
class DrawPool:
    candidate_ids: list[int]
    exclusions: list[dict] = field(default_factory=list)
    considered: int = 0

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
    return DrawPool(candidate_ids=[pk for pk in ids if pk not in reasons], exclusions=exclusions, considered=len(ids))


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
    coordinate_ids = province_ids_for(user, "coordinate") if not user.is_superuser else frozenset()
    if coordinate_ids:
        tasks["approve"] = list(base.filter(expert__province__in=coordinate_ids, status=Assignment.Status.REQUESTED,
                                            request__status=ExpertRequest.Status.OPEN,
                                            request__respond_by__gte=today))
        scoped = Expert.objects.filter(province__in=coordinate_ids).select_related("province", "possible_duplicate_of")
        tasks["registrations"] = list(scoped.filter(status=Expert.Status.PENDING))
        tasks["changes"] = list(scoped.exclude(pending_changes={}).exclude(status=Expert.Status.PENDING))
    requester_ids = requester_province_ids(user) if not user.is_superuser else frozenset()
    if requester_ids:
        mine = base.filter(request__requesting_province__in=requester_ids)
        tasks["confirm"] = list(mine.filter(status=Assignment.Status.ACCEPTED,
                                            request__status=ExpertRequest.Status.OPEN))
        tasks["complete"] = list(mine.filter(status=Assignment.Status.CONFIRMED, start__lte=today))
        window = today - datetime.timedelta(days=rating_window_days())
        tasks["rate"] = list(mine.filter(status=Assignment.Status.COMPLETED, rating__isnull=True,
                                         completed_at__date__gte=window))
        tasks["replace"] = list(mine.filter(status__in=[Assignment.Status.DECLINED, Assignment.Status.REFUSED],
                                            request__status=ExpertRequest.Status.OPEN, request__start__gt=today))
    return {key: items for key, items in tasks.items() if items}
