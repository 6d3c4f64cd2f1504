"""Wagtail pages: the roundtable home page and one section page per province."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock
from hub.translations import TranslatedPageMixin, with_translations


class HomePage(TranslatedPageMixin, Page):
    """The roundtable's home page: the five associations, the four mechanisms and the latest of each feature."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "intro", "body")

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("圆桌会议首页")

    def get_context(self, request, *args, **kwargs):
        from hub.fragments import lazy_context

        context = super().get_context(request, *args, **kwargs)

        def sections():
            # Each feature contributes a block of "latest items" through the hub_home_sections hook.
            found = [section for section in (fn(request) for fn in hooks.get_hooks("hub_home_sections")) if section]
            return {"home_sections": sorted(found, key=lambda s: s.get("order", 100))}

        # Computed only when the content is not kept already (hub/fragments.py).
        context.update(lazy_context(sections, ["home_sections"]), cache_content=True)
        return context


class ProvinceSectionPage(TranslatedPageMixin, Page):
    """A province's own section: everything that province publishes lives below it (its editors' subtree)."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "intro", "body")

    #: Provisioned by setup_roundtable and anchoring the province's page permissions: hub/wagtail_hooks.py keeps
    #: it from being deleted, moved, copied or unpublished.
    provisioned_structure = True

    # Only the Chinese section names its province; its translations (the English section) leave it empty.
    province = models.OneToOneField(
        "hub.Province", on_delete=models.PROTECT, related_name="section_page", verbose_name=_("省市"),
        null=True, blank=True,
    )
    intro = RichTextField(_("简介"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["cms.HomePage"]
    exclude_fields_in_copy = ["province"]

    class Meta:
        verbose_name = _("省市栏目")
        verbose_name_plural = _("省市栏目")

    def original_province(self):
        """The province of the Chinese section this page translates (a translation names none itself)."""
        from hub.translations import default_locale

        original = self.get_translation_or_none(default_locale())
        return getattr(original, "province", None)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sections = []
        province = self.province if self.province_id else self.original_province()
        for fn in hooks.get_hooks("hub_province_sections"):
            section = fn(request, province)
            if section:
                sections.append(section)
        context["province_sections"] = sorted(sections, key=lambda s: s.get("order", 100))
        return context


class ContentPage(TranslatedPageMixin, Page):
    """A general page under the home page, a province's section or another general page; searchable in Chinese."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "intro", "body")

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"],
                          help_text=_("一两句话概括本页内容，显示在列表和搜索结果中。"))
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["cms.HomePage", "cms.ProvinceSectionPage", "cms.ContentPage"]

    class Meta:
        verbose_name = _("普通网页")
        verbose_name_plural = _("普通网页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        from hub.selectors import visible_pages

        context["subpages"] = with_translations(visible_pages(request.user).child_of(self).specific())
        return context


# Feature pages and their models live in their own modules; imported here so Django registers them with cms.
from cms.achievements import AchievementAttachment, AchievementPage, AchievementTag, AchievementType  # noqa: E402
from cms.events import (  # noqa: E402
    CampaignPage,
    EventAttachment,
    EventCategory,
    EventPage,
    EventQuestion,
    Registration,
)
from cms.signoff import CoOrganiserSignOff, CoOrganiserSignOffTask  # noqa: E402

__all__ = [
    "HomePage", "ProvinceSectionPage", "ContentPage", "AchievementAttachment", "AchievementPage", "AchievementTag",
    "AchievementType", "CampaignPage", "EventAttachment", "EventCategory", "EventPage", "EventQuestion",
    "Registration", "CoOrganiserSignOff", "CoOrganiserSignOffTask",
]
