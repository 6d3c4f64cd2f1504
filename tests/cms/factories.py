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
