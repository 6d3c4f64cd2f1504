"""Quality-innovation achievements (质量创新成果) that one province publishes and others adopt.

Members-only achievements carry a Wagtail view restriction for the roundtable's groups; the page, its listings,
search, feeds and its attachments are hidden from everyone else.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.forms import AchievementPageForm
from cms.pages import ProvinceOwnedPage
from hub.translations import TranslatedPageMixin

YEAR_OUT_OF_RANGE = _("年份应在 1980 年至明年之间。")


class AchievementType(models.Model):
    """An entry of the editable achievement taxonomy (QC小组成果, 质量改进项目, …)."""

    name = models.CharField(_("名称"), max_length=32, unique=True)
    slug = models.SlugField(_("英文标识"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("order")]

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("成果类型")
        verbose_name_plural = _("成果类型")

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language: the starting entries are in the translation catalogue
        (cms/taxonomy.py); an entry the secretariat adds later shows as typed until it is translated."""
        from django.utils.translation import gettext

        return gettext(self.name)


class AchievementTag(TaggedItemBase):
    content_object = ParentalKey("cms.AchievementPage", on_delete=models.CASCADE, related_name="tagged_items")


class AchievementAttachment(Orderable):
    page = ParentalKey("cms.AchievementPage", on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("文件"))
    panels = [FieldPanel("document")]


class AchievementPage(ProvinceOwnedPage, TranslatedPageMixin, Page):
    """An achievement of one province's organisation; members-only ones are view-restricted to roundtable groups."""

    #: The text an English version replaces (hub.translations); the rest is this page's own record.
    translated_fields = ("title", "seo_title", "search_description", "summary", "body", "organisation")

    PUBLIC, MEMBERS = "public", "members"
    VISIBILITIES = [(PUBLIC, _("公开")), (MEMBERS, _("仅圆桌会议成员可见"))]

    province = models.ForeignKey("hub.Province", on_delete=models.PROTECT, related_name="achievements", null=True,
                                 editable=False, verbose_name=_("省市"))
    organisation = models.CharField(_("完成单位"), max_length=128)
    achievement_type = models.ForeignKey(AchievementType, on_delete=models.PROTECT, related_name="achievements",
                                         verbose_name=_("成果类型"))
    year = models.PositiveSmallIntegerField(_("年份"))
    summary = models.TextField(_("摘要"), max_length=500)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))
    cover_image = models.ForeignKey("wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("封面图片"),
                                    help_text=_("显示在成果页顶部，也是分享到微信等时的预览图。"))
    visibility = models.CharField(_("可见范围"), max_length=10, choices=VISIBILITIES, default=PUBLIC)
    tags = ClusterTaggableManager(through=AchievementTag, blank=True, verbose_name=_("标签"))

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("organisation"), FieldPanel("achievement_type"), FieldPanel("year")]),
        FieldPanel("summary"), FieldPanel("cover_image"), FieldPanel("body"),
        InlinePanel("attachments", label=_("附件")),
        FieldPanel("tags"), FieldPanel("visibility"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"), index.SearchField("organisation"), index.SearchField("search_terms"),
        index.FilterField("province"), index.FilterField("year"),
    ]

    base_form_class = AchievementPageForm
    parent_page_types = ["cms.ProvinceSectionPage"]
    subpage_types = []
    template = "cms/achievement_page.html"

    class Meta:
        verbose_name = _("质量创新成果")
        verbose_name_plural = _("质量创新成果")

    def clean(self):
        super().clean()
        if self.year and not (1980 <= self.year <= timezone.now().year + 1):
            raise ValidationError({"year": YEAR_OUT_OF_RANGE})

    def search_terms(self) -> str:
        return " ".join(str(part) for part in (self.title, self.summary, self.organisation, getattr(self.achievement_type, "name", "")) if part)

    def get_context(self, request, *args, **kwargs):
        from cms import selectors

        context = super().get_context(request, *args, **kwargs)
        context.update(selectors.achievement_detail(page=self, user=request.user))
        return context
