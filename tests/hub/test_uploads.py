"""Upload rules: allowed kinds only, content must match the extension, HTML/SVG refused under any name, size limits,
and every document downloaded as an attachment."""
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from hub.services.provisioning import province_collection
from hub.uploads import check_document_content
from tests.hub.uploads import (
    ACCEPTED,
    HTML,
    MARKUP_IMPOSTORS,
    MISMATCHED,
    PDF,
    SVG,
    image,
)

Document = get_document_model()
Image = get_image_model()


@pytest.mark.parametrize("name", ACCEPTED)
def test_real_files_of_every_allowed_kind_pass(name):
    check_document_content(SimpleUploadedFile(name, ACCEPTED[name]))


@pytest.mark.parametrize("name", MARKUP_IMPOSTORS)
def test_html_and_svg_are_refused_whatever_they_are_called(name):
    with pytest.raises(ValidationError) as error:
        check_document_content(SimpleUploadedFile(name, MARKUP_IMPOSTORS[name]))
    assert error.value.code == "markup"


@pytest.mark.parametrize("name", MISMATCHED)
def test_content_must_be_what_the_extension_claims(name):
    with pytest.raises(ValidationError) as error:
        check_document_content(SimpleUploadedFile(name, MISMATCHED[name]))
    assert error.value.code == "content"


def test_the_check_leaves_the_file_position_alone():
    upload = SimpleUploadedFile("通知.pdf", PDF)
    upload.seek(3)
    check_document_content(upload)
    assert upload.tell() == 3


def upload_document(client, collection, name, content, title="上传测试"):
    return client.post("/admin/documents/add/", {
        "title": title, "file": SimpleUploadedFile(name, content), "collection": collection.pk, "tags": "",
    })


@pytest.fixture
def sh_editor_client(staff_of, client_for):
    return client_for(staff_of("SH", "editor"))


@pytest.mark.django_db
def test_an_editor_uploads_a_pdf_into_the_province_collection(sh_editor_client, province):
    collection = province_collection(province("SH"))
    response = upload_document(sh_editor_client, collection, "通知.pdf", PDF)
    assert response.status_code == 302
    assert Document.objects.filter(title="上传测试", collection=collection).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name,content", [("网页.pdf", HTML), ("矢量图.svg", SVG), ("网页.html", HTML),
                                          ("矢量图.png", SVG), ("图片冒充.pdf", image("PNG"))])
def test_the_admin_refuses_impostors_and_writes_nothing(sh_editor_client, province, name, content):
    response = upload_document(sh_editor_client, province_collection(province("SH")), name, content)
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Document.objects.filter(title="上传测试").exists()


@pytest.mark.django_db
def test_the_multiple_uploader_applies_the_same_rules(sh_editor_client, province):
    collection = province_collection(province("SH"))
    response = sh_editor_client.post("/admin/documents/multiple/add/", {
        "files[]": SimpleUploadedFile("网页.pdf", HTML), "collection": collection.pk})
    assert response.json()["success"] is False
    assert not Document.objects.filter(collection=collection).exists()


@pytest.mark.django_db
def test_documents_over_20_mb_are_refused(sh_editor_client, province, settings):
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 20 * 1024 * 1024
    big = PDF + b"0" * (20 * 1024 * 1024)
    response = upload_document(sh_editor_client, province_collection(province("SH")), "大文件.pdf", big)
    assert "file" in response.context["form"].errors
    assert not Document.objects.filter(title="上传测试").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name,content", [("矢量图.svg", SVG), ("网页冒充.png", HTML), ("PDF冒充.jpg", PDF)])
def test_images_refuse_svg_and_impostors(sh_editor_client, province, name, content):
    response = sh_editor_client.post("/admin/images/add/", {
        "title": "图片测试", "file": SimpleUploadedFile(name, content),
        "collection": province_collection(province("SH")).pk, "tags": ""})
    assert response.status_code == 200
    assert not Image.objects.filter(title="图片测试").exists()


@pytest.mark.django_db
def test_images_over_the_size_limit_are_refused(sh_editor_client, province, settings):
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 10 * 1024 * 1024
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 50  # a small limit instead of a 10 MB test image
    content = image("PNG")
    assert len(content) > 50
    response = sh_editor_client.post("/admin/images/add/", {
        "title": "图片测试", "file": SimpleUploadedFile("照片.png", content),
        "collection": province_collection(province("SH")).pk, "tags": ""})
    assert "file" in response.context["form"].errors
    assert not Image.objects.filter(title="图片测试").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["通知.pdf", "说明.txt", "照片.png"])
def test_documents_are_always_downloaded_as_attachments(client, name):
    from wagtail.models import Collection

    document = Document.objects.create(title="下载测试", collection=Collection.get_first_root_node())
    document.file.save(name, SimpleUploadedFile(name, ACCEPTED[name]), save=True)
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
