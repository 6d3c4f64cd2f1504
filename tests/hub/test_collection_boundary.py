"""Documents and images stay inside their province's collection: uploads into another province's collection are
refused, and choosers and listings show only what the user's own collection holds."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from hub.services.provisioning import province_collection
from tests.hub.uploads import PDF, image

Document = get_document_model()
Image = get_image_model()


@pytest.fixture
def material(province):
    made = {}
    for code, name in (("SH", "上海"), ("JS", "江苏")):
        collection = province_collection(province(code))
        doc = Document.objects.create(title=f"{name}互认清单", collection=collection)
        doc.file.save("list.pdf", SimpleUploadedFile("list.pdf", PDF), save=True)
        img = Image.objects.create(title=f"{name}活动照片", collection=collection, width=8, height=8,
                                   file=SimpleUploadedFile("photo.png", image("PNG")))
        made[code] = (doc, img)
    return made


def page_text(response):
    """The HTML of an admin page or of a chooser modal (which comes wrapped in JSON)."""
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


@pytest.fixture
def js_editor(staff_of, client_for):
    return client_for(staff_of("JS", "editor"))


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/documents/add/", "/admin/documents/chooser/create/"])
def test_a_document_cannot_be_uploaded_into_another_provinces_collection(js_editor, province, url):
    sh = province_collection(province("SH"))
    js_editor.post(url, {"title": "越界上传", "file": SimpleUploadedFile("x.pdf", PDF), "collection": sh.pk, "tags": ""})
    # Wagtail offers an editor only their own collection; a forged value is refused or replaced by it.
    assert not Document.objects.filter(collection__path__startswith=sh.path).exists()
    assert set(Document.objects.values_list("collection", flat=True)) <= {province_collection(province("JS")).pk}


@pytest.mark.django_db
def test_the_multiple_uploader_refuses_another_provinces_collection(js_editor, province):
    sh = province_collection(province("SH"))
    js_editor.post("/admin/documents/multiple/add/", {"files[]": SimpleUploadedFile("x.pdf", PDF), "collection": sh.pk})
    assert not Document.objects.filter(collection__path__startswith=sh.path).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/images/add/", "/admin/images/chooser/create/"])
def test_an_image_cannot_be_uploaded_into_another_provinces_collection(js_editor, province, url):
    sh = province_collection(province("SH"))
    js_editor.post(url, {"title": "越界图片", "file": SimpleUploadedFile("x.png", image("PNG")), "collection": sh.pk,
                         "tags": ""})
    assert not Image.objects.filter(collection__path__startswith=sh.path).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/documents/chooser/", "/admin/documents/chooser/results/?q=互认",
                                 "/admin/documents/", "/admin/documents/results/?q=互认"])
def test_document_choosers_and_listings_show_only_the_own_collection(js_editor, material, url):
    body = page_text(js_editor.get(url))
    assert "江苏互认清单" in body
    assert "上海互认清单" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/images/chooser/", "/admin/images/chooser/results/?q=照片",
                                 "/admin/images/", "/admin/images/results/?q=照片"])
def test_image_choosers_and_listings_show_only_the_own_collection(js_editor, material, url):
    body = page_text(js_editor.get(url))
    assert "江苏活动照片" in body
    assert "上海活动照片" not in body
