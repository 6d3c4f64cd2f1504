"""The read leaks found from outside (issue 12), each through the read path that leaked, and the gate's read rules
that now close them for every path."""
import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from hub.services.provisioning import province_collection
from tests.cms.factories import content_page, event
from tests.hub.uploads import PDF, image
from tests.sharing.factories import make_standard

Document = get_document_model()
Image = get_image_model()


def document(province, title, name="text.pdf"):
    doc = Document.objects.create(title=title, collection=province_collection(province))
    doc.file.save(name, SimpleUploadedFile(name, PDF), save=True)
    return doc


def body(response):
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


@pytest.mark.django_db
def test_non_public_standard_text_is_neither_found_nor_downloaded_by_the_public(client, province, client_for,
                                                                               staff_of, user_factory):
    text = document(province("SH"), "数字化车间质量管理规范全文")
    standard = make_standard("SH", full_text=text, text_public=False)
    assert "数字化车间质量管理规范全文" not in client.get("/search/?q=数字化车间").content.decode()
    download = client.get(text.url)
    assert download.status_code in (302, 403, 404) and PDF not in b"".join(download.streaming_content
                                                                         if download.streaming else [download.content])
    outsider = client_for(user_factory())
    assert outsider.get(text.url).status_code == 403
    # Roundtable staff of any province may download it, as through /standards/<id>/text/.
    staff = client_for(staff_of("AH", "member"))
    assert staff.get(text.url).status_code == 200
    assert staff.get(f"/standards/{standard.pk}/text/").status_code == 200


@pytest.mark.django_db
def test_public_standard_text_stays_public(client, province):
    text = document(province("SH"), "公开全文标准")
    make_standard("SH", full_text=text, text_public=True)
    assert client.get(text.url).status_code == 200
    assert "公开全文标准" in client.get("/search/?q=公开全文").content.decode()


@pytest.mark.django_db
def test_document_used_only_by_a_draft_event_is_neither_found_nor_downloaded(client, province, client_for, staff_of):
    from cms.events import EventAttachment

    sh = province("SH")
    doc = document(sh, "草稿活动议程附件")
    draft = event(sh, publish=False)
    EventAttachment.objects.create(page=draft, document=doc)
    assert "草稿活动议程附件" not in client.get("/search/?q=草稿活动议程").content.decode()
    assert client.get(doc.url).status_code in (302, 403, 404)
    assert client_for(staff_of("AH", "editor")).get(doc.url).status_code == 403
    # The province's own staff keep their draft's files.
    assert client_for(staff_of("SH", "editor")).get(doc.url).status_code == 200
    # Once the event is published, so is its attachment.
    draft.save_revision().publish()
    assert client.get(doc.url).status_code == 200


@pytest.fixture
def shanghai_drafts(province):
    sh = province("SH")
    never_published = content_page(sh.section_page, "上海未发布草稿页", publish=False)
    live = content_page(sh.section_page, "上海已发布页面")
    live.title = "上海修订中标题"
    live.save_revision()
    return never_published, live


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/choose-page/{section}/", "/admin/choose-page/search/?q=上海"])
def test_page_chooser_hides_another_provinces_drafts_and_revision_titles(url, shanghai_drafts, client_for, staff_of,
                                                                         province):
    url = url.format(section=province("SH").section_page.pk)
    shown = body(client_for(staff_of("AH", "editor")).get(url))
    assert "上海已发布页面" in shown  # published pages of other provinces stay choosable (links)
    assert "上海未发布草稿页" not in shown
    assert "上海修订中标题" not in shown


@pytest.mark.django_db
def test_page_chooser_still_offers_the_own_provinces_drafts(shanghai_drafts, client_for, staff_of, province):
    shown = body(client_for(staff_of("SH", "editor")).get(f"/admin/choose-page/{province('SH').section_page.pk}/"))
    assert "上海未发布草稿页" in shown and "上海修订中标题" in shown


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/snippets/choose/sharing/groupstandard/",
                                 "/admin/snippets/choose/sharing/groupstandard/results/?q=起草中",
                                 "/admin/snippets/choose/sharing/groupstandard/chosen/{pk}/"])
def test_group_standard_chooser_hides_another_provinces_draft(url, client_for, staff_of):
    draft = make_standard("SH", status="drafting", live=False, title_zh="起草中的上海团体标准")
    response = client_for(staff_of("AH", "editor")).get(url.format(pk=draft.pk))
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "起草中的上海团体标准" not in body(response)


@pytest.mark.django_db
def test_page_types_usage_report_hides_another_provinces_draft_titles(shanghai_drafts, client_for, staff_of):
    shown = body(client_for(staff_of("AH", "editor")).get("/admin/reports/page-types-usage/"))
    assert "上海未发布草稿页" not in shown
    assert "上海修订中标题" not in shown


@pytest.mark.django_db
def test_directory_date_filter_reveals_no_availability_to_the_public(client, client_for, user_factory, staff_of):
    from tests.expert_pool.factories import days, make_expert

    make_expert("SH", name="有档期的专家", available=(days(10), days(20)))
    make_expert("SH", name="无档期的专家")
    query = f"/experts/?available_from={days(12)}&available_to={days(14)}"
    for visitor in (client, client_for(user_factory())):
        shown = visitor.get(query).content.decode()
        # The filter is not applied for them: both or neither, never the one the dates single out.
        assert ("有档期的专家" in shown) == ("无档期的专家" in shown)
        api = visitor.get(f"/experts/api/experts.json?available_from={days(12)}&available_to={days(14)}")
        assert ("有档期的专家" in body(api)) == ("无档期的专家" in body(api))
    staff = client_for(staff_of("AH", "coordinator")).get(query).content.decode()
    assert "有档期的专家" in staff and "无档期的专家" not in staff


@pytest.mark.django_db
def test_public_profile_hides_contact_and_availability(client, client_for, user_factory):
    from tests.expert_pool.factories import days, make_expert

    expert = make_expert("SH", phone="13900001111", email="hidden@example.test", available=(days(3), days(4)))
    for visitor in (client, client_for(user_factory())):
        shown = visitor.get(f"/experts/{expert.pk}/").content.decode()
        assert "13900001111" not in shown and "hidden@example.test" not in shown
        assert f"{days(3):%Y-%m-%d}" not in shown and f"{days(3).month}月{days(3).day}日" not in shown


@pytest.mark.django_db
def test_media_in_development_withholds_images_used_only_by_drafts(province, settings, tmp_path, staff_of):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    from hub.media import media
    from hub.permissions import read

    sh = province("SH")
    picture = Image.objects.create(title="草稿封面", collection=province_collection(sh), width=8, height=8,
                                   file=SimpleUploadedFile("cover.png", image("PNG")))
    event(sh, publish=False, cover_image=picture)
    request = RequestFactory().get("/media/x")
    request.user = AnonymousUser()
    with pytest.raises(Http404):
        media(request, picture.file.name)
    with pytest.raises(Http404):
        media(request, "documents/anything.pdf")
    request.user = staff_of("SH", "editor")
    assert media(request, picture.file.name).status_code == 200
    assert not read.can_read_image(AnonymousUser(), picture)


@pytest.mark.django_db
def test_draft_decision_evidence_is_withheld_from_other_provinces(province, client_for, staff_of):
    from sharing.models import RecognitionDecision

    standard = make_standard("JS")
    evidence = document(province("SH"), "上海审查意见草稿")
    RecognitionDecision.objects.create(standard=standard, province=province("SH"), outcome="recognised",
                                       rationale="草稿", evidence_document=evidence, is_final=False,
                                       decided_at=datetime.datetime.now(datetime.UTC))
    assert client_for(staff_of("AH", "reviewer")).get(evidence.url).status_code == 403
    assert client_for(staff_of("SH", "reviewer")).get(evidence.url).status_code == 200


@pytest.mark.django_db
def test_admin_urls_naming_another_provinces_draft_answer_404_and_leave_no_message(shanghai_drafts, client_for,
                                                                                   staff_of, province):
    from wagtail.models import Task

    never_published, live = shanghai_drafts
    section = province("SH").section_page
    ah_editor = client_for(staff_of("AH", "editor"))
    task = Task.objects.first()
    urls = [f"/admin/pages/{never_published.pk}/move/{section.pk}/confirm/",
            f"/admin/pages/{live.pk}/move/{section.pk}/confirm/",
            f"/admin/choose-page/{never_published.pk}/", f"/admin/choose-page/{live.pk}/"]
    if task is not None:
        urls.append(f"/admin/pages/workflow/preview/{never_published.pk}/{task.pk}/")
    for url in urls:
        response = ah_editor.get(url)
        assert response.status_code == 404, url
    # Nothing was queued for the next page either (Wagtail's workflow preview put the title in an error message).
    shown = ah_editor.get("/admin/").content.decode()
    assert "上海未发布草稿页" not in shown and "上海修订中标题" not in shown
    # The own province keeps its admin pages.
    assert client_for(staff_of("SH", "editor")).get(f"/admin/choose-page/{never_published.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["documents", "images"])
def test_admin_api_lists_no_file_used_only_by_another_provinces_draft(kind, province, client_for, staff_of):
    from cms.events import EventAttachment

    sh = province("SH")
    doc = document(sh, "草稿专用文件")
    picture = Image.objects.create(title="草稿专用图片", collection=province_collection(sh), width=8, height=8,
                                   file=SimpleUploadedFile("cover.png", image("PNG")))
    draft = event(sh, publish=False, cover_image=picture)
    EventAttachment.objects.create(page=draft, document=doc)
    listed = body(client_for(staff_of("AH", "editor")).get(f"/admin/api/main/{kind}/"))
    assert "草稿专用" not in listed
    assert "草稿专用" in body(client_for(staff_of("SH", "editor")).get(f"/admin/api/main/{kind}/"))
