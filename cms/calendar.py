"""iCalendar (RFC 5545) for events: one VEVENT per event, multi-day and all-day events as date-valued events."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.html import strip_tags
from icalendar import Event, vCalAddress, vText

from hub.ical import new_calendar
from hub.links import absolute_url, page_url

PRODID = "-//Yangtze Delta Quality Roundtable//hub//ZH"


def vevent(event, *, url: str | None = None, with_link: bool = False) -> Event:
    """One event; the online meeting link only goes to confirmed registrants (``with_link``), never to feeds."""
    item = Event()
    item.add("uid", f"event-{event.pk}@roundtable.hub")
    item.add("dtstamp", timezone.now())
    item.add("summary", event.title)
    if event.all_day or event.multi_day:
        item.add("dtstart", event.start_date)
        # DTEND of a date-valued event is exclusive: the day after the last day.
        item.add("dtend", event.end_date + timedelta(days=1))
    else:
        start, end = event.compute_bounds()
        item.add("dtstart", start)
        item.add("dtend", end)
    description = event.summary or ""
    if with_link and event.meeting_url:
        description = f"{description}\n{event.meeting_url}".strip()
    item.add("description", description)
    location = event.place or (event.meeting_url if with_link else "") or event.get_mode_display()
    if location:
        item.add("location", vText(location))
    if url:
        item.add("url", absolute_url(url))
    category = getattr(event, "category", None)
    if category is not None:
        item.add("categories", [category.name])
    if event.province_id:
        organiser = vCalAddress("mailto:noreply@roundtable.invalid")
        organiser.params["cn"] = vText(event.province.name_zh)
        item.add("organizer", organiser)
    item.add("last-modified", event.last_published_at or event.latest_revision_created_at or timezone.now())
    return item


def calendar(events, *, name: str, url_for=None, with_link: bool = False) -> bytes:
    """A VCALENDAR holding ``events``; ``url_for(event)`` gives each event's page URL."""
    cal = new_calendar(prodid=PRODID, name=name)
    for event in events:
        cal.add_component(vevent(event, url=url_for(event) if url_for else None, with_link=with_link))
    cal.add_missing_timezones()
    return cal.to_ical()


def registration_invite(registration) -> bytes:
    event = registration.event
    return calendar([event], name=event.title, url_for=page_url, with_link=True)


def plain(html: str) -> str:
    return strip_tags(html or "").strip()
