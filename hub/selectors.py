"""Reusable reads of the roundtable core: what a visitor may see, and the site search over it."""
from __future__ import annotations

from django.db.models import OuterRef, Q
from django.db.models.functions import Length, Substr
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.models import Page

SUMMARY_LENGTH = 120


def restrictions_not_passed(restrictions, user):
    """The view restrictions ``user`` does not pass. Password restrictions always count: a password is typed per
    visit, so those pages and documents stay out of listings and search results."""
    if user is None or not user.is_authenticated or not user.is_active:
        return restrictions
    model = restrictions.model
    return restrictions.exclude(restriction_type=model.LOGIN).exclude(
        Q(restriction_type=model.GROUPS) & Q(groups__in=user.groups.values("pk"))
    )


def covering(restrictions, relation: str):
    """Restrictions on the outer row's tree node or on one of its ancestors (treebeard paths are prefixes)."""
    return restrictions.filter(**{f"{relation}__path": Substr(OuterRef("path"), 1, Length(f"{relation}__path"))})


def visible_pages(user):
    """Live pages the user may see (the gate's read rule for pages): public ones, plus those under view
    restrictions they pass. One lazy queryset, so listing it costs one query however many pages there are."""
    from hub.permissions import read

    return read.published_pages(user)


def visible_documents(user):
    """Documents the user may find (the gate's read rule for documents): their collection's view restrictions
    passed, and not used only by material the user may not read (drafts, members-only pages, non-public texts)."""
    from hub.permissions import read

    return read.readable_documents(user)


def page_summary(page) -> str:
    """search_description, or else the page's intro text, shortened."""
    text = page.search_description or strip_tags(str(getattr(page, "intro", "") or ""))
    return Truncator(" ".join(text.split())).chars(SUMMARY_LENGTH)


def search_pages(*, user, query: str, limit: int, request=None) -> list[dict]:
    # The search backends accept filters on declared filter fields only, hence the id subquery.
    pages = Page.objects.live().filter(id__in=visible_pages(user).values("id")).specific().search(query)[:limit]
    return [{"title": page.title, "url": page.get_url(request), "summary": page_summary(page)} for page in pages]


def search_documents(*, user, query: str, limit: int) -> list[dict]:
    documents = get_document_model().objects.filter(id__in=visible_documents(user).values("id")).search(query)[:limit]
    return [{"title": document.title, "url": document.url,
             "summary": _("文件 · %(name)s") % {"name": document.filename}} for document in documents]


def site_search(*, user, query: str, limit: int = 20, request=None) -> list[dict]:
    """Search every indexed type, only what ``user`` may see; each feature adds its group through the
    ``hub_search_groups`` hook (``fn(*, user, query, limit)`` → ``{"key", "label", "results"}``)."""
    from hub.search import query_terms

    if not query_terms(query):
        return []
    groups = [
        {"key": "pages", "label": _("网页"), "order": 10,
         "results": search_pages(user=user, query=query, limit=limit, request=request)},
        {"key": "documents", "label": _("文件"), "order": 90,
         "results": search_documents(user=user, query=query, limit=limit)},
    ]
    for fn in hooks.get_hooks("hub_search_groups"):
        group = fn(user=user, query=query, limit=limit)
        if group:
            groups.append(group)
    groups = [group for group in groups if group["results"]]
    return sorted(groups, key=lambda group: group.get("order", 50))
