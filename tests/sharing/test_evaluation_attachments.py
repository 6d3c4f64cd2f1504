"""Application attachments: upload rules, the applicant province's collection, and who may download them (the
applicant, the organisers and home province, the assigned reviewers who declared no conflict — nobody else)."""
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model

from hub.permissions import read
from hub.services.provisioning import province_collection
from sharing import evaluations as svc
from sharing.models.evaluations import ApplicationAttachment, ScoreSheet
from tests.conftest import make_user
from tests.sharing.test_evaluations import (
    make_enterprise,
    make_programme,
    panel_in_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every test here creates dozens of accounts; none is about password hashing (PBKDF2 costs ~1 s under load)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

PDF = b"%PDF-1.4\n% attachment\n%%EOF\n"


def pdf(name="报告.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def draft(programme=None, enterprise=None):
    programme = programme or make_programme()
    enterprise = enterprise or make_enterprise("JS")
    return svc.application_save(actor=enterprise.user, programme_id=programme.pk, title="降低焊接缺陷率",
                                summary="成果简介")


def test_an_attachment_goes_into_the_applicant_provinces_collection():
    application = draft()
    attachment = svc.attachment_add(actor=application.enterprise.user, application_id=application.pk, file=pdf())
    document = attachment.document
    assert document.collection == province_collection(application.province)
    assert document.file_size == len(PDF) and document.file_hash
    assert document.uploaded_by_user == application.enterprise.user


@pytest.mark.parametrize("name, content, message", [
    ("page.pdf", b"<html><script>alert(1)</script></html>", "不接受网页"),
    ("report.pdf", b"PK\x03\x04 not a pdf at all", "不符"),
    ("tool.exe", b"MZ\x90\x00", "不支持 .exe"),
    ("empty.pdf", b"", "空文件"),
])
def test_files_that_break_the_upload_rules_are_refused_and_nothing_is_kept(name, content, message):
    application = draft()
    before = get_document_model().objects.count()
    with pytest.raises(ValidationError) as error:
        svc.attachment_add(actor=application.enterprise.user, application_id=application.pk,
                           file=pdf(name, content))
    assert message in error.value.messages[0]
    assert get_document_model().objects.count() == before
    assert not ApplicationAttachment.objects.exists()


def test_an_oversized_file_is_refused(settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1024 * 1024
    application = draft()
    with pytest.raises(ValidationError, match="不能超过 1 MB"):
        svc.attachment_add(actor=application.enterprise.user, application_id=application.pk,
                           file=pdf(content=PDF + b"0" * (1024 * 1024)))
    assert not ApplicationAttachment.objects.exists()


def test_a_submitted_application_takes_no_new_attachment_and_loses_none():
    application = draft()
    user = application.enterprise.user
    attachment = svc.attachment_add(actor=user, application_id=application.pk, file=pdf())
    svc.application_submit(actor=user, application_id=application.pk)
    with pytest.raises(ValidationError, match="已提交"):
        svc.attachment_add(actor=user, application_id=application.pk, file=pdf())
    with pytest.raises(ValidationError, match="已提交"):
        svc.attachment_remove(actor=user, attachment_id=attachment.pk)
    assert ApplicationAttachment.objects.filter(pk=attachment.pk).exists()


def test_another_enterprise_can_neither_attach_nor_remove():
    application = draft()
    attachment = svc.attachment_add(actor=application.enterprise.user, application_id=application.pk, file=pdf())
    other = make_enterprise("JS")
    from django.http import Http404

    with pytest.raises(Http404):
        svc.attachment_add(actor=other.user, application_id=application.pk, file=pdf())
    with pytest.raises(Http404):
        svc.attachment_remove(actor=other.user, attachment_id=attachment.pk)
    assert application.attachments.count() == 1


def test_the_applicant_removes_a_draft_attachment_with_its_document():
    application = draft()
    attachment = svc.attachment_add(actor=application.enterprise.user, application_id=application.pk, file=pdf())
    svc.attachment_remove(actor=application.enterprise.user, attachment_id=attachment.pk)
    assert not get_document_model().objects.filter(pk=attachment.document_id).exists()


def test_only_the_applicant_organisers_home_province_and_seeing_reviewers_may_download(client):
    programme = make_programme("SH", co=("ZJ",))
    [application] = panel_in_review(programme, applications=1)
    enterprise_user = application.enterprise.user
    # The application is accepted and locked; attach as the test's set-up (the service refuses locked ones).
    from tests.canary import _document

    document = _document(province_collection(application.province), "成果报告", "attachmentmarker")
    ApplicationAttachment.objects.create(application=application, document=document)
    sheets = list(application.sheets.select_related("seat__expert__user"))
    seeing, recused, pending = sheets[0], sheets[1], sheets[2]
    svc.sheet_declare(actor=seeing.seat.expert.user, sheet_id=seeing.pk, conflict=False)
    svc.sheet_declare(actor=recused.seat.expert.user, sheet_id=recused.pk, conflict=True, note="曾任该企业顾问")
    allowed = {
        "applicant": enterprise_user,
        "lead organiser": make_user(province_code="SH", role="editor"),
        "co-organiser": make_user(province_code="ZJ", role="editor"),
        "home province": make_user(province_code="JS", role="editor"),
        "reviewer who declared no conflict": seeing.seat.expert.user,
    }
    refused = {
        "recused reviewer": recused.seat.expert.user,
        "reviewer yet to declare": pending.seat.expert.user,
        "another province": make_user(province_code="AH", role="moderator"),
        "another enterprise": make_enterprise("JS").user,
        "member": make_user(province_code="AH", role="member"),
        "outsider": make_user(),
    }
    assert ScoreSheet.objects.get(pk=recused.pk).status == ScoreSheet.Status.RECUSED
    for label, user in allowed.items():
        assert read.can_read_document(user, document), label
        client.force_login(user)
        response = client.get(document.url)
        assert response.status_code == 200, label
        assert b"attachmentmarker" in b"".join(response.streaming_content), label
    for label, user in refused.items():
        assert not read.can_read_document(user, document), label
        client.force_login(user)
        assert client.get(document.url).status_code in (403, 404), label
    client.logout()
    assert client.get(document.url).status_code == 302  # to the login page


def test_the_reviewer_sees_the_attachments_on_the_sheet_only_after_declaring(client):
    programme = make_programme()
    [application] = panel_in_review(programme, applications=1)
    from tests.canary import _document

    document = _document(province_collection(application.province), "现场照片说明", "sheetattachment")
    ApplicationAttachment.objects.create(application=application, document=document)
    sheet = application.sheets.select_related("seat__expert__user").first()
    client.force_login(sheet.seat.expert.user)
    url = reverse("evaluations:sheet", args=[sheet.pk])
    assert "现场照片说明" not in client.get(url).content.decode()
    svc.sheet_declare(actor=sheet.seat.expert.user, sheet_id=sheet.pk, conflict=False)
    assert "现场照片说明" in client.get(url).content.decode()


def test_an_enterprise_uploads_on_the_application_page_and_removes_it_again(client):
    programme = make_programme()
    enterprise = make_enterprise("JS")
    client.force_login(enterprise.user)
    response = client.post(reverse("evaluations:apply", args=[programme.pk]),
                           {"title": "提升一次交检合格率", "summary": "简介", "save": "1", "attachment": pdf("成果报告.pdf")})
    attachment = ApplicationAttachment.objects.get(application__enterprise=enterprise)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "成果报告.pdf" in page and attachment.document.url in page
    client.post(response["Location"], {"remove": attachment.pk})
    assert not ApplicationAttachment.objects.exists()


def test_a_refused_upload_on_the_page_keeps_no_draft_half_written(client):
    programme = make_programme()
    enterprise = make_enterprise("JS")
    client.force_login(enterprise.user)
    response = client.post(reverse("evaluations:apply", args=[programme.pk]),
                           {"title": "提升一次交检合格率", "summary": "简介", "save": "1",
                            "attachment": pdf("x.pdf", b"<svg onload=alert(1)>")})
    assert response.status_code == 200 and "不接受网页" in response.content.decode()
    assert not enterprise.applications.exists()
