"""Read rules: who may read each kind of material that has a non-public state. Exposed by ``hub.permissions``.

Every read path — site pages, site search, document and image serving, admin choosers and reports, feeds, exports,
JSON — asks these functions; none decides for itself. Each kind has a queryset form (``readable_<kind>(user)``,
for listings and search) and, where a single object is served, a ``can_read_<kind>(user, obj)`` form.

* Pages: live, and under no view restriction the user does not pass; a translation also needs its original to be
  readable so (hub.translations). The staff of a province also read the drafts
  of the subtrees their groups hold Wagtail page permissions on (their own section).
* Documents and images: their collection's view restrictions, and their uses. A file used only by material the
  user may not read (a draft page, a members-only page, a non-public standard text, a draft decision) is not
  readable; one used by at least one readable thing, or by nothing at all, is. Feature apps declare the models
  that use files through the ``hub_file_uses`` hook; pages (and snippets) are found through Wagtail's reference
  index.

The rules of a feature's own material (standards and decisions, experts' availability) live in that feature's
``read_rules`` module (``sharing/read_rules.py``, ``expert_pool/read_rules.py``), on the same gate.
"""
from __future__ import annotations

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast

from hub.permissions import is_active, is_unrestricted

# --- Pages ----------------------------------------------------------------------------------------------------

def editable_page_roots(user) -> list[str]:
    """Tree paths of the pages under which the user's groups hold any Wagtail page permission (memoised)."""
    if not is_active(user):
        return []
    cache = user.__dict__.setdefault("_read_rules_cache", {})
    if "page_roots" not in cache:
        from wagtail.models import GroupPagePermission

        cache["page_roots"] = sorted(set(GroupPagePermission.objects.filter(group__user=user)
                                         .values_list("page__path", flat=True)))
    return cache["page_roots"]


def editable_pages_q(user, prefix: str = "") -> Q:
    """Pages in a subtree the user's groups hold page permissions on (their own province's drafts included)."""
    roots = editable_page_roots(user)
    q = Q(pk__in=[])
    for path in roots:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def published_pages_q(user) -> Q:
    """The condition on page rows of ``published_pages`` (live, no restriction the user does not pass, and for a
    translation an original that is readable so), to be combined with other conditions on the same rows."""
    from wagtail.models import Page, PageViewRestriction

    from hub.selectors import covered_by, restrictions_not_passed

    if is_unrestricted(user):
        return Q(live=True)
    not_passed = restrictions_not_passed(PageViewRestriction.objects.all(), user)
    # A translation is no more public than its original (hub.translations): an English version of a draft or of a
    # members-only page is hidden with it, whatever restrictions its own tree carries.
    original_hidden = Page.objects.filter(
        translation_key=OuterRef("translation_key"), locale__language_code=settings.LANGUAGE_CODE,
    ).filter(Q(live=False) | covered_by(not_passed, "page", user))
    translation = ~Q(locale__language_code=settings.LANGUAGE_CODE)
    return Q(live=True) & ~covered_by(not_passed, "page", user) & ~(translation & Q(Exists(original_hidden)))


def published_pages(user):
    """Live pages the user may open on the site: public ones, plus those under view restrictions they pass."""
    from wagtail.models import Page

    if is_unrestricted(user):
        return Page.objects.live()
    return Page.objects.filter(published_pages_q(user))


def readable_pages(user):
    """Pages whose content the user may read: published ones they may open, and their own subtrees' drafts.

    One condition on each page row (not ``pk IN (published pages)``): a query that narrows the pages first (the
    pages that use a few documents) then evaluates the rule on those rows only, instead of on the whole tree."""
    from wagtail.models import Page

    if is_unrestricted(user):
        return Page.objects.all()
    roots = editable_page_roots(user)
    if not roots:
        return published_pages(user)
    return Page.objects.filter(published_pages_q(user) | editable_pages_q(user))


def can_read_page(user, page) -> bool:
    return readable_pages(user).filter(pk=page.pk).exists()


def page_shows_draft_to(user, page) -> bool:
    """Whether the user may see the page's unpublished changes (draft title and revisions)."""
    if is_unrestricted(user):
        return True
    return any(page.path.startswith(root) for root in editable_page_roots(user))


# --- Documents and images ---------------------------------------------------------------------------------------

def file_uses(kind: str):
    """(model, file field, readable(user) → queryset of readable rows) of every feature model that uses files of
    ``kind`` ("document" or "image"), as the features declare them through the ``hub_file_uses`` hook."""
    from wagtail import hooks

    uses = []
    for fn in hooks.get_hooks("hub_file_uses"):
        uses.extend(use[1:] for use in fn() if use[0] == kind)
    return uses


def _uses_q(user, file_model, kind: str) -> Q:
    """A Q on ``file_model`` rows: used by nothing, or used by something the user may read.

    (The same as "not used by anything the user may not read, or used by something they may", with each use's
    readable rows asked once instead of twice: a staff member's document search at ten times the demo data built
    the readable pages 12 times in one query.)"""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex

    file_type = ReferenceIndex._get_base_content_type(file_model)
    references = ReferenceIndex.objects.filter(to_content_type=file_type,
                                               to_object_id=Cast(OuterRef("pk"), CharField()),
                                               base_content_type=ContentType.objects.get_for_model(Page))
    readable_ids = readable_pages(user).annotate(key=Cast("pk", CharField())).values("key")
    used = Q(Exists(references))
    shared = Q(Exists(references.filter(object_id__in=readable_ids)))
    for model, field, readable in file_uses(kind):
        rows = model._default_manager.filter(**{field: OuterRef("pk")})
        used |= Q(Exists(rows))
        shared |= Q(Exists(rows.filter(pk__in=readable(user).values("pk"))))
    return ~used | shared


def _collection_q(user) -> Q:
    from wagtail.models import Collection, CollectionViewRestriction

    from hub.selectors import covered_by, restrictions_not_passed

    hidden = covered_by(restrictions_not_passed(CollectionViewRestriction.objects.all(), user), "collection", user)
    return ~Q(collection__in=Collection.objects.filter(hidden).values("pk"))


def readable_documents(user, *, collections: bool = True):
    """Documents the user may find and download. ``collections=False`` leaves collection view restrictions to
    Wagtail's serve view (which offers the password form of a password restriction)."""
    from wagtail.documents import get_document_model

    model = get_document_model()
    documents = model.objects.all()
    if is_unrestricted(user):
        return documents
    q = _uses_q(user, model, "document")
    if collections:
        q &= _collection_q(user)
    return documents.filter(q)


def can_read_document(user, document, *, collections: bool = True) -> bool:
    return readable_documents(user, collections=collections).filter(pk=document.pk).exists()


def readable_images(user):
    from wagtail.images import get_image_model

    model = get_image_model()
    images = model.objects.all()
    if is_unrestricted(user):
        return images
    return images.filter(_uses_q(user, model, "image") & _collection_q(user))


def can_read_image(user, image) -> bool:
    return readable_images(user).filter(pk=image.pk).exists()
