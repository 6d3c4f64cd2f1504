"""Factories for general pages, events, campaigns, achievements, registrations and adoption records."""
from __future__ import annotations

import itertools
from datetime import date, time, timedelta

from django.utils import timezone
from wagtail.models import PageViewRestriction

_n = itertools.count(1)


def category(slug="quality-month"):
    from cms.events import EventCategory
    from cms.taxonomy import EVENT_CATEGORIES

    name = {s: n for n, s in EVENT_CATEGORIES}.get(slug, slug)
    return EventCategory.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def achievement_type(slug="qc-circle"):
    from cms.achievements import AchievementType
    from cms.taxonomy import ACHIEVEMENT_TYPES

    name = {s: n for n, s in ACHIEVEMENT_TYPES}.get(slug, slug)
    return AchievementType.objects.get_or_create(slug=slug, defaults={"name": name})[0]


def _publish(page, user=None):
    page.save_revision(user=user).publish(user=user)
    page.refresh_from_db()
    return page


def event(province, *, publish=True, co_organisers=(), days_ahead=30, length_days=0, all_day=False, **fields):
    """An event under ``province``'s section, published unless told otherwise."""
    from cms.events import EventPage

    n = next(_n)
    start = timezone.localdate() + timedelta(days=days_ahead)
    values = dict(
        title=fields.pop("title", f"长三角质量大讲堂第{n}期"), slug=fields.pop("slug", f"event-{n}"),
        summary=fields.pop("summary", "邀请质量专家讲解质量管理体系与卓越绩效模式。"),
        category=fields.pop("category", None) or category(), all_day=all_day,
        start_date=start, end_date=start + timedelta(days=length_days),
        start_time=None if all_day else time(9, 30), end_time=None if all_day else time(11, 30),
        mode=fields.pop("mode", EventPage.IN_PERSON), place=fields.pop("place", "上海市质量协会报告厅"),
    )
    values.update(fields)
    page = EventPage(live=publish, **values)
    province.section_page.add_child(instance=page)
    if co_organisers:
        page.co_organisers.set(co_organisers)
        page.save()
    if publish:
        _publish(page)
    return page


def campaign(province, **fields):
    from cms.events import CampaignPage

    n = next(_n)
    page = CampaignPage(title=fields.pop("title", f"2027年质量月{n}"), slug=f"campaign-{n}",
                        start_date=fields.pop("start_date", date(2027, 9, 1)),
                        end_date=fields.pop("end_date", date(2027, 9, 30)), summary="五省市联合开展质量月活动。",
                        **fields)
    province.section_page.add_child(instance=page)
    return _publish(page)


def achievement(province, *, publish=True, visibility="public", tags=(), **fields):
    from cms.achievements import AchievementPage

    n = next(_n)
    page = AchievementPage(
        title=fields.pop("title", f"降低焊接缺陷率QC小组成果{n}"), slug=fields.pop("slug", f"achievement-{n}"),
        organisation=fields.pop("organisation", "上海某机械制造有限公司"),
        achievement_type=fields.pop("achievement_type", None) or achievement_type(),
        year=fields.pop("year", 2025), summary=fields.pop("summary", "运用PDCA循环将焊接一次合格率提升到99.2%。"),
        visibility=visibility, live=publish, **fields)
    province.section_page.add_child(instance=page)
    if tags:
        page.tags.add(*tags)
        page.save()
    if publish:
        _publish(page)
    return page


def registration(event, *, status="confirmed", email=None, **fields):
    from cms.events import Registration

    n = next(_n)
    return Registration.objects.create(event=event, name=fields.pop("name", f"报名人{n}"),
                                       email=email or f"person{n}@example.test", status=status, **fields)


def adoption(achievement, province, **fields):
    from sharing.models import Adoption

    return Adoption.objects.create(achievement=achievement, province=province,
                                   organisation=fields.pop("organisation", "浙江某电子有限公司"),
                                   adopted_on=fields.pop("adopted_on", timezone.localdate() - timedelta(days=10)),
                                   outcome=fields.pop("outcome", "不良率下降 30%。"), **fields)


_page_serial = iter(range(1, 10**9))


def content_page(parent, title="测试页面", *, intro="", publish=True, **fields):
    from cms.models import ContentPage

    page = ContentPage(title=title, slug=f"p{next(_page_serial)}", intro=intro, **fields)
    parent.add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.live = False
        page.save()
    return page


def restrict(page, restriction_type, *, groups=(), password=""):
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=restriction_type, password=password)
    restriction.groups.set(groups)
    return restriction


# --- many rows at once: query-count tests at realistic sizes ----------------------------------------------------


def bulk_children(parent, pages: list) -> list:
    """Insert unsaved ``pages`` (all of one page class) as the last live children of ``parent``, in a few queries.

    The rows are those ``parent.add_child(instance=page)`` writes — treebeard path, depth, numchild, url_path,
    locale, draft_title, content type, and what the page classes' ``save()`` derives (province, start and end
    instants) — but none of the per-page side rows of saving and publishing (revisions, log entries, search and
    reference index), which no public page reads. add_child costs 30 ms and 31 queries a page on PostgreSQL
    (130 ms and 149 queries with publishing), far too slow for thousands of pages.
    """
    from django.db import connection
    from django.db.models import F
    from wagtail.models import Page

    if not pages:
        return pages
    model = type(pages[0])
    assert all(type(page) is model for page in pages), "one page class per call"
    parent = Page.objects.get(pk=parent.pk)
    last = parent.get_last_child()
    step = Page._str2int(last.path[-Page.steplen:]) if last else 0
    province_id = getattr(parent.specific, "province_id", None)
    now = timezone.now()
    for i, page in enumerate(pages, start=1):
        page.depth = parent.depth + 1
        page.path = Page._get_path(parent.path, page.depth, step + i)
        page.numchild = 0
        page.locale_id = parent.locale_id
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.draft_title = page.draft_title or page.title
        page.live, page.has_unpublished_changes = True, False
        page.first_published_at = page.first_published_at or now - timedelta(minutes=len(pages) - i)
        page.last_published_at = page.last_published_at or page.first_published_at
        if hasattr(model, "province_id"):
            page.province_id = province_id
        if hasattr(page, "compute_bounds"):
            page.starts_at, page.ends_at = page.compute_bounds()
    page_fields = [f for f in Page._meta.concrete_fields if not f.primary_key]
    bases = Page.objects.bulk_create([Page(**{f.attname: getattr(page, f.attname) for f in page_fields})
                                      for page in pages])
    for page, base in zip(pages, bases, strict=True):
        page.id = page.page_ptr_id = base.pk
        page._state.adding = False
    # Django's bulk_create refuses multi-table models; this is the INSERT it would run for the child table.
    fields = model._meta.local_concrete_fields
    size = connection.ops.bulk_batch_size(fields, pages) or len(pages)
    for start in range(0, len(pages), size):
        model._base_manager._insert(pages[start:start + size], fields=fields)
    Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(pages))
    return pages


def bulk_events(specs: list[dict]) -> list:
    """Live events from ``specs``: dicts of ``province`` (lead), optional ``co_organisers``, ``days_ahead``,
    ``category``, ``campaign`` and any EventPage field."""
    from cms.events import EventPage

    by_province, co = {}, []
    for spec in specs:
        spec = dict(spec)
        n = next(_n)
        lead, co_organisers = spec.pop("province"), spec.pop("co_organisers", ())
        start = timezone.localdate() + timedelta(days=spec.pop("days_ahead", 30))
        values = dict(title=f"长三角质量大讲堂第{n}期", slug=f"event-{n}", summary="邀请质量专家讲解卓越绩效模式。",
                      category=spec.pop("category", None) or category(), start_date=start, end_date=start,
                      start_time=time(9, 30), end_time=time(11, 30), mode=EventPage.IN_PERSON, place="报告厅")
        values.update(spec)
        page = EventPage(**values)
        by_province.setdefault(lead, []).append(page)
        co.append((page, co_organisers))
    for lead, pages in by_province.items():
        bulk_children(lead.section_page, pages)
    through = EventPage.co_organisers.through
    through.objects.bulk_create([through(eventpage_id=page.pk, province_id=p.pk) for page, ps in co for p in ps])
    return [page for page, _ in co]


def bulk_achievements(specs: list[dict]) -> list:
    """Live achievements from ``specs``: dicts of ``province``, optional ``visibility``, ``tags`` (names) and any
    AchievementPage field; members-only ones get the view restriction that publishing would give them
    (cms.services.achievement_store_visibility)."""
    from django.utils.text import slugify
    from taggit.models import Tag

    from cms.achievements import AchievementPage, AchievementTag
    from cms.services import roundtable_groups

    by_province, tagged = {}, []
    for spec in specs:
        spec = dict(spec)
        n = next(_n)
        province, tags = spec.pop("province"), spec.pop("tags", ())
        values = dict(title=f"降低焊接缺陷率QC小组成果{n}", slug=f"achievement-{n}", organisation="某机械制造有限公司",
                      achievement_type=spec.pop("achievement_type", None) or achievement_type(), year=2025,
                      summary="运用PDCA循环将焊接一次合格率提升到99.2%。")
        values.update(spec)
        page = AchievementPage(**values)
        by_province.setdefault(province, []).append(page)
        tagged.append((page, tags))
    for province, pages in by_province.items():
        bulk_children(province.section_page, pages)
    names = {name for _, tags in tagged for name in tags}
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    new = Tag.objects.bulk_create([Tag(name=name, slug=slugify(name, allow_unicode=True) or f"tag-{next(_n)}")
                                   for name in sorted(names - existing.keys())])
    existing.update({tag.name: tag for tag in new})
    AchievementTag.objects.bulk_create([AchievementTag(content_object_id=page.pk, tag=existing[name])
                                        for page, tags in tagged for name in tags])
    members_only = [page for page, _ in tagged if page.visibility == AchievementPage.MEMBERS]
    restrictions = PageViewRestriction.objects.bulk_create([
        PageViewRestriction(page_id=page.pk, restriction_type=PageViewRestriction.GROUPS) for page in members_only])
    groups = list(roundtable_groups())
    through = PageViewRestriction.groups.through
    through.objects.bulk_create([through(pageviewrestriction_id=r.pk, group_id=g.pk)
                                 for r in restrictions for g in groups])
    return [page for page, _ in tagged]


def bulk_content_pages(parent, count: int) -> list:
    from cms.models import ContentPage

    pages = []
    for _ in range(count):
        n = next(_page_serial)
        pages.append(ContentPage(title=f"通知公告{n}", slug=f"p{n}", search_description="关于开展质量月活动的通知。"))
    return bulk_children(parent, pages)


def bulk_registrations(event, count: int) -> list:
    """``count`` registrations in every status, each with its own e-mail address."""
    from cms.events import Registration

    statuses = [Registration.CONFIRMED, Registration.PENDING, Registration.WAITLISTED, Registration.CANCELLED]
    rows = []
    for i in range(count):
        n = next(_n)
        rows.append(Registration(event=event, name=f"报名人{n}", email=f"person{n}@example.test",
                                 status=statuses[i % len(statuses)], organisation="某电子有限公司"))
    return Registration.objects.bulk_create(rows)


def bulk_adoptions(achievement, provinces, count: int) -> list:
    """``count`` adoption records of ``achievement`` by the given provinces (never its own)."""
    from sharing.models import Adoption

    others = [p for p in provinces if p.pk != achievement.province_id]
    today = timezone.localdate()
    return Adoption.objects.bulk_create([
        Adoption(achievement=achievement, province=others[i % len(others)], organisation=f"应用单位{next(_n)}",
                 adopted_on=today - timedelta(days=i % 700), outcome="不良率下降 30%。", feedback="效果良好。")
        for i in range(count)])


def bulk_documents(count: int) -> list:
    """Document rows (the files themselves are never read by the pages that list them)."""
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    model = get_document_model()
    return model.objects.bulk_create([
        model(title=f"活动资料{n}", file=f"documents/material-{n}.pdf", collection=root)
        for n in (next(_n) for _ in range(count))])
