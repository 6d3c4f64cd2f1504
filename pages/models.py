"""General pages of the site (关于圆桌会议, 合作机制, a province's own notices): text, images and attachments."""
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock


class ContentPage(Page):
    """A general page under the home page, a province's section or another general page; searchable in Chinese."""

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"],
                          help_text=_("一两句话概括本页内容，显示在列表和搜索结果中。"))
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("正文"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["cms.HomePage", "cms.ProvinceSectionPage", "pages.ContentPage"]

    class Meta:
        verbose_name = _("普通网页")
        verbose_name_plural = _("普通网页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        from hub.selectors import visible_pages

        context["subpages"] = visible_pages(request.user).child_of(self).specific()
        return context
