"""Reads for events, campaigns and achievements: only what the visitor may see, in a constant number of queries."""
from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Substr
from django.utils import timezone
from wagtail.models import PageViewRestriction

from cms.achievements import AchievementPage, AchievementType
from cms.events import CampaignPage, EventCategory, EventPage, Registration
from hub.models import Province
from hub.permissions import is_unrestricted, province_ids_for
from hub.translations import canonical, with_translations

PAGE_SIZE = 12


def visible(queryset, user):
    """Live pages of ``queryset`` the user may open: view restrictions they do not pass are excluded. Only the
    site's own (default language) pages: their translations are shown over them (hub.translations).

    No query of its own: the restrictions are subqueries of the listing's query.
    """
    queryset = canonical(queryset.live())
    hidden = hidden_pages_q(user, model=queryset.model)
    return queryset.exclude(hidden) if hidden else queryset


def hidden_pages_q(user, model=None) -> Q:
    """A Q matching pages under a view restriction that ``user`` does not pass (empty Q: nothing hidden).

    Subqueries rather than one path prefix per restriction, so the SQL keeps its size however many pages are
    restricted: a thousand members-only achievements made a thousand-term OR, which SQLite refuses ("Expression
    tree is too large") and PostgreSQL plans slowly. With ``model`` (a page type that lives directly under province
    sections) a page's ancestors are the root, the home page and its section, so the page's own restriction is found
    by its key and the ancestors' by their exact paths, both through indexes.
    """
    from hub.selectors import covering, restrictions_not_passed

    if is_unrestricted(user):
        return Q()
    not_passed = restrictions_not_passed(PageViewRestriction.objects.all(), user)
    if model is not None and model.parent_page_types == ["cms.ProvinceSectionPage"]:
        steplen = model.steplen
        ancestors = [Substr(OuterRef("path"), 1, depth * steplen) for depth in (1, 2, 3)]
        return (Q(Exists(not_passed.filter(page=OuterRef("pk"))))
                | Q(Exists(not_passed.filter(page__path__in=ancestors))))
    return Q(Exists(covering(not_passed, "page")))


def public(queryset):
    """What an anonymous visitor (a feed reader, a calendar client) may see."""
    return visible(queryset, None)


# --- events ---------------------------------------------------------------------------------------------------


def _event_base(queryset):
    return (queryset.select_related("province", "category", "campaign")
            .prefetch_related(Prefetch("co_organisers", queryset=Province.objects.order_by("order", "code"))))


def parse_month(value: str) -> date | None:
    try:
        year, month = (int(part) for part in value.split("-", 1))
        return date(year, month, 1)
    except (ValueError, AttributeError):
        return None


def event_list(*, user, province: str = "", category: str = "", month: str = "", when: str = "upcoming",
               page: int | str = 1) -> dict:
    """The roundtable-wide events listing with its filters, paginated."""
    events = _event_base(visible(EventPage.objects.all(), user))
    now = timezone.now()
    if province:
        events = events.filter(Q(province__code=province) | Q(co_organisers__code=province)).distinct()
    if category:
        events = events.filter(category__slug=category)
    first = parse_month(month)
    if first is not None:
        following = date(first.year + (first.month // 12), first.month % 12 + 1, 1)
        events = events.filter(start_date__lt=following, end_date__gte=first)
    if when == "past":
        events = events.filter(ends_at__lt=now).order_by("-starts_at", "-pk")
    elif when == "all":
        events = events.order_by("-starts_at", "-pk")
    else:
        when = "upcoming"
        events = events.filter(ends_at__gte=now).order_by("starts_at", "pk")
    paginator = Paginator(events, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    return {
        "page_obj": page_obj, "events": with_translations(page_obj.object_list),
        "filters": {"province": province, "category": category, "month": month, "when": when},
        "provinces": list(Province.objects.ordered()),
        "categories": list(EventCategory.objects.all()),
    }


def latest_events(*, user, limit: int = 4, province=None) -> list[EventPage]:
    events = _event_base(visible(EventPage.objects.all(), user)).filter(ends_at__gte=timezone.now())
    if province is not None:
        events = events.filter(Q(province=province) | Q(co_organisers=province)).distinct()
    return with_translations(events.order_by("starts_at", "pk")[:limit])


def feed_events(*, province=None, category=None, limit: int | None = None):
    """Public events for calendars and feeds, newest first."""
    events = _event_base(public(EventPage.objects.all()))
    if province is not None:
        events = events.filter(Q(province=province) | Q(co_organisers=province)).distinct()
    if category is not None:
        events = events.filter(category=category)
    events = events.order_by("-starts_at", "-pk")
    return list(events[:limit] if limit else events)


def organises(*, user, event: EventPage) -> bool:
    """Whether the user is staff of the event's lead province or of a co-organiser (a shared read)."""
    if is_unrestricted(user):
        return True
    ids = province_ids_for(user, "view")
    if event.province_id in ids:
        return True
    # Iterated, not filtered: a previewed revision's relations are modelcluster's in-memory querysets.
    return any(province.pk in ids for province in event.co_organisers.all())


def event_detail(*, event: EventPage, user) -> dict:
    seats = Registration.objects.filter(event=event).aggregate(
        taken=Count("pk", filter=Q(status__in=Registration.SEAT_STATUSES)),
        waiting=Count("pk", filter=Q(status=Registration.WAITLISTED)),
    )
    mine = None
    if user.is_authenticated:
        mine = (Registration.objects.filter(event=event, user=user, status__in=Registration.ACTIVE_STATUSES)
                .order_by("-created_at").first())
    remaining = None if event.capacity is None else max(event.capacity - seats["taken"], 0)
    return {
        "seats_taken": seats["taken"], "waitlist_count": seats["waiting"], "seats_remaining": remaining,
        "my_registration": mine, "co_organisers": list(event.co_organisers.order_by("order", "code")),
        "is_organiser": user.is_authenticated and organises(user=user, event=event),
        "questions": list(event.questions.all()),
        "attachments": list(event.attachments.select_related("document")),
    }


def campaign_overview(*, campaign: CampaignPage, user, request=None) -> dict:
    """The campaign's sub-events from every province in one dated list, and how many each province holds."""
    events = with_translations(_event_base(visible(EventPage.objects.filter(campaign=campaign), user))
                               .order_by("starts_at", "pk"))
    by_day: OrderedDict[date, list] = OrderedDict()
    counts: dict[int, int] = {}
    for event in events:
        by_day.setdefault(event.start_date, []).append(event)
        counts[event.province_id] = counts.get(event.province_id, 0) + 1
    provinces = list(Province.objects.ordered())
    return {
        "events": events, "agenda": list(by_day.items()),
        "province_counts": [(p, counts.get(p.pk, 0)) for p in provinces],
    }


# --- registrations --------------------------------------------------------------------------------------------


def my_registrations(*, user) -> list[Registration]:
    """The member's own registrations (made while signed in), upcoming events first, then past ones."""
    if not user.is_authenticated:
        return []
    rows = list(Registration.objects.filter(user=user).select_related("event", "event__province")
                .order_by("-event__starts_at", "-created_at"))
    upcoming = sorted((r for r in rows if not r.event.is_past), key=lambda r: r.event.starts_at)
    return upcoming + [r for r in rows if r.event.is_past]


def registrations_for(*, user, event: EventPage):
    return (Registration.objects.restrict(user, "view").filter(event=event)
            .order_by("status", "created_at", "pk"))


# --- achievements ---------------------------------------------------------------------------------------------


def _achievement_base(queryset):
    from sharing.models import Adoption

    adopted_elsewhere = Adoption.objects.filter(achievement=OuterRef("pk")).exclude(province=OuterRef("province"))
    return (queryset.select_related("province", "achievement_type")
            .prefetch_related("tags")
            .annotate(adoption_count=Count("adoptions", distinct=True), adopted_elsewhere=Exists(adopted_elsewhere)))


def achievement_list(*, user, province: str = "", type: str = "", year: str = "", tag: str = "",
                     adopted: str = "", page: int | str = 1) -> dict:
    achievements = _achievement_base(visible(AchievementPage.objects.all(), user))
    if province:
        achievements = achievements.filter(province__code=province)
    if type:
        achievements = achievements.filter(achievement_type__slug=type)
    if year.isdigit():
        achievements = achievements.filter(year=int(year))
    if tag:
        achievements = achievements.filter(tags__slug=tag)
    if adopted == "1":
        achievements = achievements.filter(adopted_elsewhere=True)
    achievements = achievements.order_by("-year", "-first_published_at", "-pk")
    paginator = Paginator(achievements, PAGE_SIZE)
    page_obj = paginator.get_page(page)
    years = sorted(set(visible(AchievementPage.objects.all(), user).values_list("year", flat=True)), reverse=True)
    return {
        "page_obj": page_obj, "achievements": with_translations(page_obj.object_list),
        "filters": {"province": province, "type": type, "year": year, "tag": tag, "adopted": adopted},
        "provinces": list(Province.objects.ordered()), "types": list(AchievementType.objects.all()), "years": years,
    }


def latest_achievements(*, user, limit: int = 4, province=None) -> list[AchievementPage]:
    achievements = _achievement_base(visible(AchievementPage.objects.all(), user))
    if province is not None:
        achievements = achievements.filter(province=province)
    return with_translations(achievements.order_by("-first_published_at", "-pk")[:limit])


def feed_achievements(*, limit: int = 30) -> list[AchievementPage]:
    return list(_achievement_base(public(AchievementPage.objects.all()))
                .order_by("-first_published_at", "-pk")[:limit])


def achievement_detail(*, page: AchievementPage, user) -> dict:
    from hub.permissions import province_ids_for
    from sharing.models import Adoption

    adoptions = list(Adoption.objects.filter(achievement=page).select_related("province"))
    can_record = [p for p in Province.objects.filter(pk__in=province_ids_for(user, "add")).ordered()
                  if p.pk != page.province_id] if user.is_authenticated else []
    editable = province_ids_for(user, "change") if user.is_authenticated else frozenset()
    for adoption in adoptions:
        adoption.user_may_change = is_unrestricted(user) or adoption.province_id in editable
    spread = OrderedDict()
    for adoption in adoptions:
        spread.setdefault(adoption.province, []).append(adoption)
    return {
        "adoptions": adoptions, "spread": list(spread.items()), "can_record_adoption": bool(can_record),
        "attachments": list(page.attachments.select_related("document")), "tags": list(page.tags.all()),
    }
