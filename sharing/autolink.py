"""Group-standard numbers written in rich text become links to their registry record, showing current status.

The seam is Wagtail's ``wagtailcore/shared/richtext.html``: both the ``|richtext`` filter (RichTextField) and
``RichText.__html__`` (RichTextBlock in any StreamField) render every rich-text fragment through that template, so
overriding it in the project's templates links numbers everywhere in the hub without touching any page model.
Numbers inside existing links, inside tag attributes, and in code/script/style are left alone; one query per
fragment looks up every number it contains, and a fragment without a number costs none.
"""
from __future__ import annotations

import re
from html import escape, unescape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from sharing.models.standards import normalise_number

# A number as written in HTML text: the dash may be typed, or stored as an entity.
_DASH = r"(?:—|–|-|－|&mdash;|&ndash;|&#8212;|&#8211;|&#x2014;|&#x2013;)"
_NUMBER = re.compile(r"T/[A-Z]{2,12}(?:\s|&nbsp;)?\d{1,5}(?:\s|&nbsp;)?" + _DASH + r"(?:\s|&nbsp;)?(?:19|20)\d{2}(?!\d)")
_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_TAG_NAME = re.compile(r"<\s*(/)?\s*([a-zA-Z0-9]+)")
#: Elements whose text is never linked.
_OPAQUE = {"a", "code", "pre", "script", "style", "textarea", "button"}


def _text_nodes(html: str):
    """Yield (is_text, chunk, linkable) over the fragment in order."""
    depth = {name: 0 for name in _OPAQUE}
    position = 0
    for match in _TAG.finditer(html):
        if match.start() > position:
            yield True, html[position:match.start()], not any(depth.values())
        tag = match.group(0)
        name_match = _TAG_NAME.match(tag)
        if name_match and name_match.group(2).lower() in _OPAQUE and not tag.endswith("/>"):
            name = name_match.group(2).lower()
            depth[name] = max(0, depth[name] + (-1 if name_match.group(1) else 1))
        yield False, tag, False
        position = match.end()
    if position < len(html):
        yield True, html[position:], not any(depth.values())


def link_standard_numbers(html: str) -> str:
    """The fragment with every registered standard number in its text linked to the registry."""
    if not html or "T/" not in html:
        return html
    chunks = list(_text_nodes(str(html)))
    found = {normalise_number(unescape(m.group(0)).replace("\xa0", " "))
             for is_text, chunk, linkable in chunks if is_text and linkable for m in _NUMBER.finditer(chunk)}
    if not found:
        return html
    from sharing.models import GroupStandard

    records = {number: (pk, status, label) for pk, number, status, label in (
        (pk, number, status, GroupStandard(status=status).get_status_display())
        for pk, number, status in GroupStandard.objects.public().filter(number__in=found)
        .values_list("pk", "number", "status"))}
    if not records:
        return html

    def link(match):
        number = normalise_number(unescape(match.group(0)).replace("\xa0", " "))
        record = records.get(number)
        if record is None:
            return match.group(0)
        pk, status, label = record
        return (f'<a class="std-link std-link-{status}" href="{reverse("standards:detail", args=[pk])}" '
                f'title="{escape(number)}（{escape(str(label))}）">{match.group(0)}'
                f'<span class="std-link-status">{escape(str(label))}</span></a>')

    out = "".join(_NUMBER.sub(link, chunk) if is_text and linkable else chunk for is_text, chunk, linkable in chunks)
    return mark_safe(out) if isinstance(html, SafeString) else out
