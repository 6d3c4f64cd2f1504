"""The English sections of the provinces and the demo's translations (the mechanism is ``hub.translations``)."""
from __future__ import annotations

from django.conf import settings
from wagtail.models import Locale


def content_locales() -> list[Locale]:
    """The locales of every content language but the default one (created when missing)."""
    codes = [code for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES if code != settings.LANGUAGE_CODE]
    return [Locale.objects.get_or_create(language_code=code)[0] for code in codes]


def translation_of(page, locale, **text):
    """The translation of ``page`` in ``locale`` (made when missing, unsaved) with ``text`` (field → value) set.
    Parents without a translation get one (Wagtail's ``copy_parents``: an alias of the Chinese page)."""
    existing = page.get_translation_or_none(locale)
    if existing is None:
        existing = page.copy_for_translation(locale, copy_parents=True)
    existing = existing.specific
    for name, value in text.items():
        setattr(existing, name, value)
    return existing


def provision_section_translations(*, section, groups: dict, page_permissions: dict, report=None) -> list:
    """The English (every non-default content language) counterpart of a province's section: a draft copy the
    province's staff edit with the same page permissions as their Chinese section, and the same workflow."""
    from django.contrib.auth.models import Permission
    from wagtail.models import GroupPagePermission, WorkflowPage

    home = section.get_parent()
    # Wagtail's "Translate" action asks for this model permission and for edit rights on the page translated, so a
    # province's staff translate only their own pages, into their own English section.
    submit = Permission.objects.get(content_type__app_label="simple_translation", codename="submit_translation")
    for role_slug in page_permissions:
        groups[role_slug].permissions.add(submit)
    made = []
    for locale in content_locales():
        if home.get_translation_or_none(locale) is None:
            home.copy_for_translation(locale)
        translated = section.get_translation_or_none(locale)
        if translated is None:
            translated = section.copy_for_translation(locale)
            if report is not None:
                report.note(True, f"{locale.language_code} section page {section.title}")
        for role_slug, codenames in page_permissions.items():
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=groups[role_slug], page=translated,
                    permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename))
        workflow = WorkflowPage.objects.filter(page=section).values_list("workflow", flat=True).first()
        if workflow:
            WorkflowPage.objects.update_or_create(page=translated, defaults={"workflow_id": workflow})
        made.append(translated)
    return made
