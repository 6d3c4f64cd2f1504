"""Reusable reads of the roundtable core."""
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.models import Page


def visible_pages(user):
    """Live pages the user may see: public ones, plus view-restricted ones they pass."""
    from wagtail.models import PageViewRestriction

    pages = Page.objects.live().public() if not user.is_authenticated else Page.objects.live()
    if user.is_authenticated and not user.is_superuser:
        hidden = Page.objects.none()
        for restriction in PageViewRestriction.objects.select_related("page").prefetch_related("groups"):
            if not _passes(restriction, user):
                hidden = hidden | Page.objects.descendant_of(restriction.page, inclusive=True)
        pages = pages.exclude(pk__in=hidden.values("pk"))
    return pages


def _passes(restriction, user) -> bool:
    if restriction.restriction_type in (restriction.LOGIN,):
        return True
    if restriction.restriction_type == restriction.GROUPS:
        user_groups = set(user.groups.values_list("pk", flat=True))
        return any(group.pk in user_groups for group in restriction.groups.all())
    return False  # password-protected pages stay out of search results


def site_search(*, user, query: str, limit: int = 20):
    """Search every indexed type; each feature adds its own group through the hub_search_groups hook."""
    groups = []
    pages = visible_pages(user).specific().search(query)[:limit]
    if pages:
        groups.append({"key": "pages", "label": _("网页"), "results": [
            {"title": p.title, "url": p.url, "summary": getattr(p, "search_description", "")} for p in pages
        ]})
    for fn in hooks.get_hooks("hub_search_groups"):
        group = fn(user=user, query=query, limit=limit)
        if group and group["results"]:
            groups.append(group)
    return groups
