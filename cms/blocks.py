"""StreamField blocks shared by every page type."""
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class CalloutBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("标题"))
    text = blocks.RichTextBlock(label=_("内容"), features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "warning"
        label = _("提示框")
        template = "cms/blocks/callout.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("小标题"), form_classname="title", template="cms/blocks/heading.html")
    paragraph = blocks.RichTextBlock(
        label=_("正文"),
        features=["h3", "h4", "bold", "italic", "link", "document-link", "ol", "ul", "hr", "blockquote"],
    )
    image = ImageBlock(label=_("图片"))
    document = DocumentChooserBlock(label=_("附件"), template="cms/blocks/document.html")
    callout = CalloutBlock()
    table = blocks.ListBlock(
        blocks.ListBlock(blocks.CharBlock(required=False), label=_("行")), label=_("简易表格"),
        template="cms/blocks/table.html",
    )

    class Meta:
        label = _("正文内容")
