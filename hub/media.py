"""Uploaded files under ``/media/``, through the gate's read rules (development and production alike).

Django's static ``serve`` would hand out every upload, so documents withheld by the serve view and images used only
by drafts would still download from their file paths. Documents are only ever served by Wagtail's serve view
(``/documents/<id>/<name>``); image originals and renditions only when the gate lets the visitor read the image.
In production nginx passes ``/media/`` to the workers and refuses ``/media/documents/`` itself (README, deployment).
"""
from __future__ import annotations

from django.http import Http404
from django.views.static import serve


def media(request, path: str):
    from wagtail.images import get_image_model

    from hub.permissions import read

    path = path.lstrip("/")
    if path.startswith("documents/"):
        raise Http404
    image = None
    Image = get_image_model()
    if path.startswith("original_images/"):
        image = Image.objects.filter(file=path).first()
    elif path.startswith("images/"):
        rendition = Image.get_rendition_model().objects.filter(file=path).select_related("image").first()
        image = rendition.image if rendition else None
    if image is not None and not read.can_read_image(request.user, image):
        raise Http404
    from django.conf import settings

    return serve(request, path, document_root=settings.MEDIA_ROOT)
