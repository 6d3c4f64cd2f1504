"""The VCALENDAR frame every calendar feed of the hub shares (events, evaluation deadlines)."""
from __future__ import annotations

from django.conf import settings
from icalendar import Calendar


def new_calendar(*, prodid: str, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal
