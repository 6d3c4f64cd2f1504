"""Reads of the standards registry: the filtered list, the recognition matrix, a standard's decision history.

Recognition state is computed, never stored: a standard is recognised region-wide when every other member province
holds a current positive decision and the standard is still valid, so it stays right when a province joins or the
standard is withdrawn. Every read here runs a fixed number of queries whatever the number of standards.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hub.models import Province
from hub.permissions import province_ids_for
from sharing.models import GroupStandard, RecognitionDecision, RecognitionProposal
from sharing.models.standards import ENDED, POSITIVE, RECOGNISABLE, Outcome, Status
from sharing.read_rules import is_roundtable_staff  # noqa: F401 - the read rule, used by the views through here


@dataclass(frozen=True)
class CellState:
    key: str
    label: str


CELL_STATES = {
    "issuer": CellState("issuer", _("发布方")),
    "recognised": CellState("recognised", _("认可")),
    "conditional": CellState("conditional", _("有条件认可")),
    "declined": CellState("declined", _("不予认可")),
    "pending": CellState("pending", _("待决定")),
    "lapsed": CellState("lapsed", _("已失效")),
    "none": CellState("none", _("未提请")),
}
#: The legend under the matrix, in reading order.
LEGEND = [CELL_STATES[k] for k in ("recognised", "conditional", "declined", "pending", "lapsed", "none", "issuer")]

RECOGNITION_FILTERS = {
    "region": _("全区域互认"),
    "partial": _("部分省市认可"),
    "pending": _("待决定"),
    "unproposed": _("未提请互认"),
}


def member_provinces():
    return Province.objects.filter(is_member=True).select_related("association").ordered()


def with_recognition(queryset, *, member_count: int):
    """Annotate recognised_count, pending_count, proposed_count and region_wide (one SQL statement)."""
    current_positive = (
        RecognitionDecision.objects.filter(standard=OuterRef("pk"), is_current=True, outcome__in=POSITIVE,
                                           province__is_member=True)
        .exclude(province=OuterRef("province"))
        .order_by().values("standard").annotate(n=Count("pk")).values("n")
    )
    proposed = (RecognitionProposal.objects.filter(standard=OuterRef("pk")).order_by()
                .values("standard").annotate(n=Count("pk")).values("n"))
    undecided = (RecognitionProposal.objects.filter(standard=OuterRef("pk"))
                 .exclude(Exists(RecognitionDecision.objects.filter(
                     standard=OuterRef("standard"), province=OuterRef("province"), is_current=True)))
                 .order_by().values("standard").annotate(n=Count("pk")).values("n"))
    needed = Value(member_count) - Case(When(province__is_member=True, then=Value(1)), default=Value(0))
    return queryset.annotate(
        recognised_count=Coalesce(Subquery(current_positive, output_field=IntegerField()), 0),
        proposed_count=Coalesce(Subquery(proposed, output_field=IntegerField()), 0),
        pending_count=Coalesce(Subquery(undecided, output_field=IntegerField()), 0),
        recognition_needed=ExpressionWrapper(needed, output_field=IntegerField()),
    ).annotate(
        region_wide=ExpressionWrapper(
            Q(recognised_count__gte=F("recognition_needed")) & Q(recognition_needed__gt=0)
            & Q(status__in=RECOGNISABLE) & Q(replaced_by__isnull=True),
            output_field=BooleanField(),
        )
    )


def filter_standards(queryset, params: dict):
    """Apply the registry's filters (province code, status, ICS prefix, recognition state, year, search)."""
    if params.get("province"):
        queryset = queryset.filter(province__code=params["province"])
    if params.get("status") in Status.values:
        queryset = queryset.filter(status=params["status"])
    if params.get("ics"):
        prefix = params["ics"].strip()
        queryset = queryset.filter(Q(ics_codes__startswith=prefix) | Q(ics_codes__contains=", " + prefix))
    if str(params.get("year") or "").isdigit():
        queryset = queryset.filter(year=int(params["year"]))
    state = params.get("recognition")
    if state == "region":
        queryset = queryset.filter(region_wide=True)
    elif state == "partial":
        queryset = queryset.filter(recognised_count__gt=0, region_wide=False)
    elif state == "pending":
        queryset = queryset.filter(pending_count__gt=0)
    elif state == "unproposed":
        queryset = queryset.filter(proposed_count=0)
    query = (params.get("q") or "").strip()
    if query:
        ids = search_ids(query)
        queryset = queryset.filter(pk__in=ids)
    return queryset


def search_ids(query: str, limit: int | None = None) -> list[int]:
    """Primary keys of public standards matching a (Chinese) query, through the site's search backend; a standard
    number typed with a hyphen finds its record too. With ``limit``, the first ``limit`` of them: the site search's
    group shows a page of results and no longer loads 500 standards to keep 21 (150 ms of an anonymous search at ten
    times the demo data)."""
    from sharing.models.standards import normalise_number

    base = GroupStandard.objects.public()
    ids = list(base.filter(number=normalise_number(query)).values_list("pk", flat=True))
    each = limit or 500
    ids += [s.pk for s in base.search(query)[:each]]
    ids += list(base.filter(Q(title_zh__icontains=query) | Q(number__icontains=query))
                .values_list("pk", flat=True)[:each])
    return list(dict.fromkeys(ids))[:limit]


def registry(params: dict):
    """The public registry's rows, filtered, with recognition counts; a queryset to paginate."""
    members = Province.objects.filter(is_member=True).count()
    queryset = with_recognition(GroupStandard.objects.public().select_related("province__association"),
                                member_count=members)
    return filter_standards(queryset, params)


def region_wide_count() -> int:
    members = Province.objects.filter(is_member=True).count()
    return with_recognition(GroupStandard.objects.public(), member_count=members).filter(region_wide=True).count()


def cell_state(standard, province_id: int, *, proposed: bool, decision, states=None) -> CellState:
    states = states or CELL_STATES
    if standard.province_id == province_id:
        return states["issuer"]
    if decision is not None:
        if decision.outcome in POSITIVE and (standard.status in ENDED or standard.replaced_by_id):
            return states["lapsed"]
        return states[decision.outcome]
    if proposed:
        return states["lapsed"] if standard.status in ENDED else states["pending"]
    return states["none"]


@dataclass
class Cell:
    province: Province
    state: CellState
    decision: RecognitionDecision | None


@dataclass
class MatrixRow:
    standard: GroupStandard
    cells: list[Cell]
    url: str = ""


#: Rows per matrix page: one screen in the meeting room, and the same work per request at any registry size.
MATRIX_PAGE_SIZE = 30


@dataclass(frozen=True)
class _Counted:
    """The fields of a standard that its cells' states depend on (the counts cover every standard, not one page)."""

    pk: int
    province_id: int
    status: str
    replaced_by_id: int | None
    region_wide: bool


def matrix(params: dict, *, page=None, per_page: int = MATRIX_PAGE_SIZE):
    """Rows of (standard, one cell per member province) for the filtered registry, plus per-province counts.

    With ``page`` (a page number, as in ``?page=``) the rows are that page's only and ``page`` in the result is the
    Django Page for the navigation; without it, every row (the XLSX export). The counts always cover every
    matching standard. Five queries whatever the size: provinces, the standards' states, proposals, current
    decisions, the page's standards."""
    provinces = list(member_provinces())
    matching = filter_standards(
        with_recognition(GroupStandard.objects.public(), member_count=len(provinces)), params)
    counted = [_Counted(*values) for values in matching.values_list(
        "pk", "province_id", "status", "replaced_by_id", "region_wide")]
    ids = [standard.pk for standard in counted]
    scope = GroupStandard.objects.public().filter(pk__in=ids) if len(ids) < 2000 else GroupStandard.objects.public()
    proposals = set(RecognitionProposal.objects.filter(standard__in=scope.values("pk"))
                    .values_list("standard_id", "province_id"))
    decisions = {
        (d.standard_id, d.province_id): d
        for d in RecognitionDecision.objects.filter(standard__in=scope.values("pk"), is_current=True)
        .only("pk", "standard_id", "province_id", "outcome", "conditions", "decided_at")
    }
    # Labels translated once per request rather than once per cell.
    states = {key: CellState(key, str(state.label)) for key, state in CELL_STATES.items()}
    summary = {p.pk: {"province": p, "issued": 0, "recognised": 0, "conditional": 0, "declined": 0,
                      "pending": 0, "lapsed": 0} for p in provinces}
    for standard in counted:
        for province in provinces:
            state = cell_state(standard, province.pk, proposed=(standard.pk, province.pk) in proposals,
                               decision=decisions.get((standard.pk, province.pk)), states=states)
            if state.key in summary[province.pk]:
                summary[province.pk][state.key] += 1
        if standard.province_id in summary:
            summary[standard.province_id]["issued"] += 1

    page_obj = None
    if page is not None:
        page_obj = Paginator(ids, per_page).get_page(page)
        shown = list(page_obj.object_list)
    else:
        shown = ids
    by_pk = GroupStandard.objects.public().select_related("province").in_bulk(shown)
    region_wide = {standard.pk for standard in counted if standard.region_wide}
    rows = []
    url_prefix = reverse("standards:detail", args=[0]).removesuffix("0/")  # one reverse() for all rows
    for pk in shown:
        standard = by_pk[pk]
        standard.region_wide = pk in region_wide
        cells = [Cell(province, cell_state(standard, province.pk, proposed=(pk, province.pk) in proposals,
                                           decision=decisions.get((pk, province.pk)), states=states),
                      decisions.get((pk, province.pk))) for province in provinces]
        rows.append(MatrixRow(standard, cells, f"{url_prefix}{pk}/"))
    return {"provinces": provinces, "rows": rows, "summary": list(summary.values()), "page": page_obj,
            "total": len(counted), "region_wide": len(region_wide)}


def standard_cells(standard: GroupStandard) -> list[Cell]:
    """The recognition row of one standard (public: final decisions only)."""
    provinces = list(member_provinces())
    proposals = set(standard.proposals.values_list("province_id", flat=True))
    decisions = {d.province_id: d for d in standard.decisions.filter(is_current=True)}
    return [Cell(p, cell_state(standard, p.pk, proposed=p.pk in proposals, decision=decisions.get(p.pk)),
                 decisions.get(p.pk)) for p in provinces]


def decision_history(standard: GroupStandard, user):
    """Every final decision, newest first, plus the drafts of the provinces the user reviews for."""
    review_ids = province_ids_for(user, "review") if user.is_authenticated else frozenset()
    visible = Q(is_final=True)
    if review_ids:
        visible |= Q(is_final=False, province_id__in=review_ids)
    return (standard.decisions.filter(visible).select_related("province", "decided_by", "evidence_document")
            .order_by("province__order", "-is_current", "-decided_at"))


def is_region_wide(standard: GroupStandard) -> bool:
    members = Province.objects.filter(is_member=True).count()
    return with_recognition(GroupStandard.objects.filter(pk=standard.pk), member_count=members).values_list(
        "region_wide", flat=True).first() or False


def decidable_for(user, standard: GroupStandard) -> list[Province]:
    """Provinces on whose behalf the user may decide this standard (proposed to them, not the issuer)."""
    ids = province_ids_for(user, "review") if user.is_authenticated else frozenset()
    if not ids:
        return []
    return list(Province.objects.filter(pk__in=ids, recognition_proposals__standard=standard)
                .exclude(pk=standard.province_id).ordered())


def outcome_choices():
    return Outcome.choices
