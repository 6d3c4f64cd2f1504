"""iCalendar (RFC 5545) of evaluation programmes' timelines: one all-day event per date of 申报, 形式审查, 评审, 公示
and 发布, so an enterprise or an organiser can subscribe to the deadlines."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Event

from hub.ical import new_calendar
from hub.links import absolute_url

PRODID = "-//Yangtze Delta Quality Roundtable//evaluations//ZH"


def timeline(programme) -> list[tuple[str, str, date]]:
    """(key, label, day) of each date of the programme's timeline, in order; deadlines as local dates."""
    def day(value):
        return timezone.localtime(value).date() if isinstance(value, datetime) else value

    return [
        ("apply-opens", _("申报开始"), day(programme.apply_opens)),
        ("apply-closes", _("申报截止"), day(programme.apply_closes)),
        ("check-closes", _("形式审查截止"), day(programme.check_closes)),
        ("review-closes", _("评审截止"), day(programme.review_closes)),
        ("announce-closes", _("公示截止"), day(programme.announce_closes)),
        ("publish-on", _("发布"), day(programme.publish_on)),
    ]


def programme_events(programme) -> list[Event]:
    url = absolute_url(programme.get_absolute_url())
    events = []
    for key, label, day in timeline(programme):
        item = Event()
        item.add("uid", f"evaluation-{programme.pk}-{key}@roundtable.hub")
        item.add("dtstamp", timezone.now())
        item.add("summary", f"{programme.title} · {label}")
        item.add("dtstart", day)
        item.add("dtend", day + timedelta(days=1))  # DTEND of a date-valued event is exclusive
        if key in ("apply-closes", "review-closes", "announce-closes"):
            moment = {"apply-closes": programme.apply_closes, "review-closes": programme.review_closes,
                      "announce-closes": programme.announce_closes}[key]
            item.add("description", _("截止时间：%(time)s") % {
                "time": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")})
        item.add("url", url)
        item.add("categories", [_("质量评价")])
        events.append(item)
    return events


def calendar(programmes, *, name: str) -> bytes:
    cal = new_calendar(prodid=PRODID, name=name)
    for programme in programmes:
        for item in programme_events(programme):
            cal.add_component(item)
    return cal.to_ical()
