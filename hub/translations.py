"""English versions of pages, through Wagtail's own localisation (``WAGTAIL_I18N_ENABLED``, ``copy_for_translation``).

The default language's tree under the site's home page is the site: its URLs, listings, feeds, calendars,
registrations and search. A translation is an ordinary Wagtail page in another locale's tree (same translation key),
made with Wagtail's "Translate" action (``wagtail.contrib.simple_translation``) and edited, reviewed, scheduled and
published like any page, by the staff who hold page permissions on that subtree.

When another language is active, a page that has a *live* translation in it is shown with the translation's text
(the page type's ``translated_fields``) over its own record: an event's dates, seats, registrations, attachments and
view restrictions stay one row, so a translation can never drift from the facts or open what the original
restricts. Without a live translation the original text is shown with the fallback marker (``base.html``).
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.utils import translation
from wagtail.models import Locale, Page
from wagtail.url_routing import RouteResult

#: Text every translation replaces; a page type adds its own text fields in ``translated_fields``.
COMMON_FIELDS = ("title", "seo_title", "search_description")


def default_locale() -> Locale:
    return Locale.get_default()


def canonical(queryset):
    """The site's own pages: the default language's tree (translations are shown over them, never listed)."""
    return queryset.filter(locale_id=default_locale().pk)  # locale is a search filter field; language_code is not


def active_locale_id() -> int | None:
    language = translation.get_language()
    if not language or language == settings.LANGUAGE_CODE:
        return None
    locale = Locale.objects.filter(language_code=language).values_list("pk", flat=True).first()
    return locale


def _overlay(page, source):
    shown = copy.copy(page)
    for cached in ("specific", "specific_deferred"):  # would lead back to the untranslated instance
        shown.__dict__.pop(cached, None)
    for name in getattr(page, "translated_fields", COMMON_FIELDS):
        setattr(shown, name, getattr(source, name))
    shown.translation_shown = source
    return shown


def with_translation(page):
    """``page`` with the text of its live translation in the active language, or ``page`` itself."""
    locale_id = active_locale_id()
    if locale_id is None or page.locale_id == locale_id:
        return page
    source = (page.specific_class.objects.live().filter(translation_key=page.translation_key, locale_id=locale_id)
              .first())
    return _overlay(page, source) if source is not None else page


def with_translations(pages) -> list:
    """Every page of ``pages`` with its live translation's text in the active language (one query in all)."""
    pages = list(pages)
    locale_id = active_locale_id()
    if locale_id is None or not pages:
        return pages
    keys = {page.translation_key for page in pages}
    found = {}
    for source in Page.objects.live().filter(translation_key__in=keys, locale_id=locale_id).specific():
        found[source.translation_key] = source
    return [_overlay(page, found[page.translation_key]) if page.translation_key in found else page for page in pages]


def in_active_language(page) -> bool:
    """Whether ``page`` is shown in the active language (its own, or a translation's text)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if getattr(page, "translation_shown", None) is not None:
        return True
    locale = getattr(page, "locale", None)
    return locale is not None and locale.language_code == language


class TranslatedPageMixin:
    """Routing through the default language's tree; the page found is shown with its live translation's text."""

    def route(self, request, path_components):
        if self.depth == 2 and self.locale.language_code != settings.LANGUAGE_CODE:
            # Wagtail starts at the site root's translation in the active language; the site is the default
            # language's tree.
            original = self.get_translation_or_none(default_locale())
            if original is not None:
                return original.specific.route(request, path_components)
        result = super().route(request, path_components)
        if not path_components and result.page is self:
            return RouteResult(with_translation(self), args=result.args, kwargs=result.kwargs)
        return result

    @property
    def shown_in_active_language(self) -> bool:
        return in_active_language(self)
