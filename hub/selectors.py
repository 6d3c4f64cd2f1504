"""Reusable reads of the roundtable core: what a visitor may see, and the site search over it."""
from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, CharField, Exists, F, Func, OuterRef, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.models import Page

SUMMARY_LENGTH = 120


def province_collection(province):
    """The province's collection of documents and images (provisioned by ``hub.services.provisioning``)."""
    from wagtail.models import Collection

    return Collection.objects.filter(name=province.name_zh, depth=2).first()


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


class _StartsWithAny(Func):
    """``text LIKE ANY(patterns)``: PostgreSQL, ``patterns`` an array."""

    template = "(%(expressions)s))"
    arg_joiner = " LIKE ANY("
    output_field = BooleanField()


def covered_by(restrictions, relation: str, user=None) -> Q:
    """A condition on tree nodes (pages, collections): one of ``restrictions`` is on the node or an ancestor.

    On PostgreSQL the restricted nodes' paths are read once, as one array (a few rows), and each node's path is
    matched against them as prefixes: linear in the nodes, for every visitor. ``Exists(covering(…))`` correlates the
    restrictions with every node, and the planner scanned the whole tree once per node (quadratic: an anonymous site
    search at ten times the demo data spent 1.5 s in its documents query, 0.1 s with the array; a province editor's
    documents rule, once it no longer nested the published pages in an ``IN``, 3.2 s against 42 ms). Treebeard
    paths are letters and digits. ``user`` is accepted for the callers' symmetry; the restrictions already say whom
    they stop.
    """
    if connection.vendor != "postgresql":
        return Q(Exists(covering(restrictions, relation)))
    from django.contrib.postgres.expressions import ArraySubquery

    patterns = restrictions.annotate(
        prefix=Concat(f"{relation}__path", Value("%"), output_field=CharField())).values("prefix")
    return Q(_StartsWithAny(F("path"), ArraySubquery(patterns)))


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


def page_text(page) -> str:
    """The readable text of a page's search fields (description, intro, summary, body), for result snippets."""
    from django.core.exceptions import FieldDoesNotExist
    from wagtail.search import index

    parts = [page.search_description]
    for field in getattr(page, "search_fields", ()):
        name = getattr(field, "field_name", "")
        if not isinstance(field, index.SearchField) or name in ("title", "search_terms"):
            continue
        value = getattr(page, name, None)
        if not value:
            continue
        try:
            model_field = page._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if hasattr(model_field, "get_searchable_content"):
            parts.extend(str(v) for v in model_field.get_searchable_content(value))
        else:
            parts.append(str(value))
    return " ".join(strip_tags(part) for part in parts if part)


def _province_names(pages) -> dict[str, str]:
    """Tree path → province name of the results' ancestors that belong to a province (their sections)."""
    from hub.models import Province

    steplen = Page.steplen
    paths = {page.path[:end] for page in pages for end in range(steplen, len(page.path), steplen)}
    owned = [(ancestor.path, ancestor.province_id) for ancestor in Page.objects.filter(path__in=paths).specific()
             if getattr(ancestor, "province_id", None) is not None]
    names = dict(Province.objects.filter(pk__in={pk for _, pk in owned}).values_list("pk", "name_zh"))
    return {path: names[pk] for path, pk in owned}


def _province_of(page, ancestors: dict[str, str], provinces: dict) -> str:
    """The page's own province, or its nearest ancestor's."""
    province = provinces.get(getattr(page, "province_id", None))
    if province is not None:
        return province.name_zh
    steplen = Page.steplen
    return next((ancestors[page.path[:end]] for end in range(len(page.path) - steplen, 0, -steplen)
                 if page.path[:end] in ancestors), "")


def search_pages(*, user, query: str, limit: int, request=None, offset: int = 0) -> list[dict]:
    from hub.models import Province
    from hub.search import phrase_first
    from hub.translations import canonical, with_translations

    # The search backends accept filters on declared filter fields only, hence the id subquery.
    found = canonical(Page.objects.live()).filter(id__in=visible_pages(user).values("id")).specific()
    pages = with_translations(phrase_first(found, query, offset + limit)[offset:offset + limit])
    sections = _province_names(pages) if pages else {}
    # Pages of types with a province (events, achievements): their provinces in one query, not one per result.
    province_ids = {getattr(page, "province_id", None) for page in pages} - {None}
    provinces = Province.objects.in_bulk(province_ids) if province_ids else {}
    return [{"title": page.title, "url": page.get_url(request), "summary": page_summary(page),
             "text": page_text(page), "type": page.specific_class._meta.verbose_name,
             "province": _province_of(page, sections, provinces)} for page in pages]


def search_documents(*, user, query: str, limit: int, offset: int = 0) -> list[dict]:
    """Documents matching ``query`` that ``user`` may find, best first.

    The matches are ranked first (the search backend ranks at most ``hub.search.MAX_RANKED`` of them, the newest)
    and the read rule is then asked about those candidates only, in one query: its work is bounded by the
    candidates, not by the corpus. Asked inside the search query instead, the rule's subqueries were planned over
    every document and page (a province editor's search at ten times the demo data: 2.4–4.1 s)."""
    from hub.search import MAX_RANKED

    ranked = list(get_document_model().objects.search(query)[:MAX_RANKED])
    if ranked:
        readable = set(visible_documents(user).filter(pk__in=[document.pk for document in ranked])
                       .values_list("pk", flat=True))
        ranked = [document for document in ranked if document.pk in readable]
    return [{"title": document.title, "url": document.url, "type": _("文件"),
             "summary": _("文件 · %(name)s") % {"name": document.filename}}
            for document in ranked[offset:offset + limit]]


def site_search(*, user, query: str, limit: int = 20, request=None, only: str | None = None,
                offset: int = 0) -> list[dict]:
    """Search every indexed type, only what ``user`` may see; each feature adds its group through the
    ``hub_search_groups`` hook (``fn(*, user, query, limit)`` → ``{"key", "label", "results"}``).

    Each group holds at most ``limit`` results from ``offset`` on and says whether there are more (``has_more``);
    ``only`` (a group key) searches that group alone, for its own result pages.
    """
    from hub.search import query_terms, snippet

    if not query_terms(query):
        return []
    upto = limit + 1  # one more than shown tells whether a group has more
    groups = []
    if only in (None, "pages"):
        groups.append({"key": "pages", "label": _("网页"), "order": 10,
                       "results": search_pages(user=user, query=query, limit=upto, offset=offset, request=request)})
    if only in (None, "documents"):
        groups.append({"key": "documents", "label": _("文件"), "order": 90,
                       "results": search_documents(user=user, query=query, limit=upto, offset=offset)})
    for fn in hooks.get_hooks("hub_search_groups") if only not in ("pages", "documents") else ():
        group = fn(user=user, query=query, limit=offset + upto)
        if group and only in (None, group["key"]):
            group["results"] = group["results"][offset:]
            groups.append(group)
    groups = [group for group in groups if group["results"]]
    for group in groups:
        group["has_more"] = len(group["results"]) > limit
        group["results"] = group["results"][:limit]
        for result in group["results"]:
            result.setdefault("type", group["label"])
            result["snippet"] = snippet(result.get("text") or result.get("summary", ""), query)
    return sorted(groups, key=lambda group: group.get("order", 50))
