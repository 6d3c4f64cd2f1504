"""Which documents and images a page refers to, so that a province's pages only use its own collection."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FOREIGN_DOCUMENT = _("只能引用本省资料库中的文件：{names}")
FOREIGN_IMAGE = _("只能引用本省图库中的图片：{names}")

_RICH_TEXT_DOC = re.compile(r'<a[^>]*linktype="document"[^>]*\bid="(\d+)"')
_RICH_TEXT_IMAGE = re.compile(r'<embed[^>]*embedtype="image"[^>]*\bid="(\d+)"')


def _walk(value, documents: set[int], images: set[int]) -> None:
    """Collect ids from a StreamField's raw JSON: document/image blocks and rich text links and embeds."""
    if isinstance(value, dict):
        block_type, inner = value.get("type"), value.get("value")
        if block_type == "document" and isinstance(inner, int):
            documents.add(inner)
        elif block_type == "image":
            image_id = inner.get("image") if isinstance(inner, dict) else inner
            if isinstance(image_id, int):
                images.add(image_id)
        for item in value.values():
            _walk(item, documents, images)
    elif isinstance(value, list):
        for item in value:
            _walk(item, documents, images)
    elif isinstance(value, str):
        documents.update(int(i) for i in _RICH_TEXT_DOC.findall(value))
        images.update(int(i) for i in _RICH_TEXT_IMAGE.findall(value))


def referenced_media(*, stream_values=(), document_ids=(), image_ids=()) -> tuple[set[int], set[int]]:
    documents, images = set(document_ids), set(image_ids)
    for raw in stream_values:
        _walk(raw, documents, images)
    documents.discard(None)
    images.discard(None)
    return documents, images


def check_own_collection(*, province, documents: set[int], images: set[int]) -> None:
    """Raise ValidationError when a referenced document or image lies outside ``province``'s collection tree."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from hub.selectors import province_collection

    collection = province_collection(province) if province is not None else None
    errors = []
    for model, ids, message in ((get_document_model(), documents, FOREIGN_DOCUMENT),
                                (get_image_model(), images, FOREIGN_IMAGE)):
        if not ids:
            continue
        objects = model.objects.filter(pk__in=ids).select_related("collection")
        foreign = [obj.title for obj in objects if collection is None or not (
            obj.collection.path.startswith(collection.path))]
        if foreign:
            errors.append(ValidationError(message.format(names="、".join(sorted(foreign)))))
    if errors:
        raise ValidationError(errors)
