"""Registry, detail, decision, matrix and comment pages."""
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sharing.models import RecognitionDecision, StandardComment
from sharing.models.standards import Status
from tests.sharing.factories import make_standard, propose

EVIDENCE = "https://roundtable.example/minutes/7"


@pytest.mark.django_db
def test_registry_lists_public_standards_with_filters(client):
    sh = make_standard("SH", title_zh="质量管理小组活动准则")
    zj = make_standard("ZJ", status=Status.PUBLISHED, year=2023)
    hidden = make_standard("JS", status=Status.DRAFTING)
    draft_only = make_standard("AH", live=False)
    body = client.get(reverse("standards:registry")).content.decode()
    assert sh.number in body and zj.number in body
    assert hidden.number not in body and draft_only.number not in body
    body = client.get(reverse("standards:registry"), {"province": "ZJ"}).content.decode()
    assert zj.number in body and sh.number not in body
    body = client.get(reverse("standards:registry"), {"year": 2023, "status": "published"}).content.decode()
    assert zj.number in body and sh.number not in body
    body = client.get(reverse("standards:registry"), {"ics": "03.120"}).content.decode()
    assert sh.number in body


@pytest.mark.django_db
def test_registry_searches_chinese_titles_and_hyphenated_numbers(client):
    sh = make_standard("SH", title_zh="质量管理小组活动准则")
    other = make_standard("ZJ", title_zh="卓越绩效评价")
    body = client.get(reverse("standards:registry"), {"q": "小组活动"}).content.decode()
    assert sh.number in body and other.number not in body
    body = client.get(reverse("standards:registry"), {"q": sh.number.replace("—", "-")}).content.decode()
    assert sh.number in body and other.number not in body


@pytest.mark.django_db
def test_registry_filters_by_recognition_state(client, staff_of, province):
    proposed = make_standard("SH")
    unproposed = make_standard("ZJ")
    propose(proposed)
    body = client.get(reverse("standards:registry"), {"recognition": "pending"}).content.decode()
    assert proposed.number in body and unproposed.number not in body
    body = client.get(reverse("standards:registry"), {"recognition": "unproposed"}).content.decode()
    assert unproposed.number in body and proposed.number not in body


@pytest.mark.django_db
def test_detail_shows_row_and_history_but_not_other_provinces_drafts(client_for, staff_of, province):
    from sharing import services

    standard = make_standard("SH")
    propose(standard)
    services.recognition_decide(actor=staff_of("JS", "reviewer"), standard_id=standard.pk,
                                province_id=province("JS").pk, outcome="declined", rationale="与本省地方标准重复",
                                evidence_url=EVIDENCE)
    zj_reviewer = staff_of("ZJ", "reviewer")
    services.recognition_decide(actor=zj_reviewer, standard_id=standard.pk, province_id=province("ZJ").pk,
                                outcome="recognised", rationale="ZJ 草稿理由", final=False)
    url = standard.get_absolute_url()
    public = client_for(None).get(url).content.decode()
    assert "与本省地方标准重复" in public and "ZJ 草稿理由" not in public
    assert "ZJ 草稿理由" not in client_for(staff_of("JS", "reviewer")).get(url).content.decode()
    assert "ZJ 草稿理由" in client_for(zj_reviewer).get(url).content.decode()


@pytest.mark.django_db
def test_reviewer_decides_through_the_site(client_for, staff_of, province):
    standard = make_standard("SH")
    propose(standard)
    reviewer = staff_of("ZJ", "reviewer")
    url = reverse("standards:decide", args=[standard.pk, "ZJ"])
    response = client_for(reviewer).post(url, {"outcome": "conditional", "conditions": "限制造业",
                                               "rationale": "审查会通过", "evidence_url": EVIDENCE, "finalise": "1"})
    assert response.status_code == 302
    decision = RecognitionDecision.objects.get()
    assert decision.is_current and decision.outcome == "conditional"


@pytest.mark.django_db
def test_decide_form_reports_errors_and_writes_nothing(client_for, staff_of):
    standard = make_standard("SH", status=Status.WITHDRAWN)
    propose(standard)
    response = client_for(staff_of("ZJ", "reviewer")).post(
        reverse("standards:decide", args=[standard.pk, "ZJ"]),
        {"outcome": "recognised", "rationale": "r", "evidence_url": EVIDENCE, "finalise": "1"})
    assert response.status_code == 200
    assert "废止" in response.content.decode()
    assert not RecognitionDecision.objects.exists()


@pytest.mark.django_db
def test_non_public_text_only_for_roundtable_staff(client_for, staff_of):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    doc = Document.objects.create(title="全文", file=ContentFile(b"%PDF-1.4 test", name="t.pdf"))
    standard = make_standard("SH", full_text=doc, text_public=False)
    url = reverse("standards:full_text", args=[standard.pk])
    assert client_for(None).get(url).status_code == 302
    assert client_for(staff_of("ZJ", "member")).get(url).status_code == 200
    from tests.conftest import make_user

    assert client_for(make_user()).get(url).status_code == 403
    public = make_standard("SH", full_text=doc, text_public=True)
    assert client_for(None).get(reverse("standards:full_text", args=[public.pk])).status_code == 200


@pytest.mark.django_db
def test_matrix_page_and_export(client, staff_of, province):
    from sharing import services

    standard = make_standard("SH")
    propose(standard)
    services.recognition_decide(actor=staff_of("JS", "reviewer"), standard_id=standard.pk,
                                province_id=province("JS").pk, outcome="recognised", rationale="r",
                                evidence_url=EVIDENCE)
    body = client.get(reverse("standards:matrix")).content.decode()
    assert f'data-standard="{standard.pk}"' in body
    assert 'data-province="JS" data-state="recognised"' in body
    response = client.get(reverse("standards:matrix_export"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4:9] == ("上海", "江苏", "浙江", "安徽", "江西")
    assert rows[1][0] == standard.number and rows[1][4:9] == ("发布方", "认可", "待决定", "待决定", "待决定")


@pytest.mark.django_db
def test_registry_export_neutralises_formulas(client):
    make_standard("SH", title_zh="=HYPERLINK(\"http://evil\")", scope="@SUM(1)")
    response = client.get(reverse("standards:registry_export"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    row = [c for c in sheet[2]]
    assert row[1].value == "'=HYPERLINK(\"http://evil\")" and row[1].data_type == "s"
    assert row[12].value == "'@SUM(1)"


@pytest.mark.django_db
def test_public_comment_flow_and_disposition_export(client_for, staff_of, province):
    standard = make_standard("SH", status=Status.COMMENT, comment_deadline=datetime.date(2026, 12, 31))
    url = reverse("standards:comments", args=[standard.pk])
    member = staff_of("JS", "member")
    response = client_for(member).post(url, {"province": province("JS").pk, "clause": "4.1", "text": "术语定义不清"})
    assert response.status_code == 302
    comment = StandardComment.objects.get()
    assert client_for(staff_of("ZJ", "editor")).post(
        reverse("standards:dispose", args=[comment.pk]), {"disposition": "adopted"}).status_code == 403
    client_for(staff_of("SH", "editor")).post(reverse("standards:dispose", args=[comment.pk]),
                                              {"disposition": "not_adopted", "reason": "已在第3章定义"})
    comment.refresh_from_db()
    assert comment.disposition == "not_adopted"
    assert "已在第3章定义" in client_for(None).get(url).content.decode()
    sheet = load_workbook(io.BytesIO(client_for(None).get(
        reverse("standards:comments_export", args=[standard.pk])).content)).worksheets[0]
    assert list(sheet.iter_rows(values_only=True))[1][1:3] == ("4.1", "术语定义不清")


@pytest.mark.django_db
def test_home_section_and_site_search(client, staff_of):
    standard = make_standard("SH", title_zh="质量信用评价规范")
    response = client.get(reverse("search"), {"q": "信用评价"})
    assert standard.number in response.content.decode()


@pytest.mark.django_db
def test_home_page_shows_latest_standards_and_region_wide_count(client, staff_of, province):
    from sharing import services

    standard = make_standard("SH", title_zh="质量标杆遴选与评价")
    propose(standard)
    for code in ("JS", "ZJ", "AH", "JX"):
        services.recognition_decide(actor=staff_of(code, "reviewer"), standard_id=standard.pk,
                                    province_id=province(code).pk, outcome="recognised", rationale="r",
                                    evidence_url=EVIDENCE)
    body = client.get("/").content.decode()
    assert standard.number in body and "已有 <strong>1</strong> 项团体标准获五省市全区域互认" in body
    menu = [item["label"] for item in __import__("hub.templatetags.hub_tags", fromlist=["x"]).main_menu(
        {"request": client.get("/").wsgi_request})]
    assert "团体标准" in menu and "互认矩阵" in menu


@pytest.mark.django_db
def test_site_search_loads_only_a_page_of_standards(client, monkeypatch):
    """The standards group asks for as many standards as it shows (issue 13: it loaded 500 to keep 21), and they are
    the first of the registry's own matches."""
    from hub.views import PER_GROUP
    from sharing import selectors

    standards = [make_standard("SH", title_zh=f"质量管理小组活动准则 第{n}部分") for n in range(5)]
    every = selectors.search_ids("小组活动")
    assert set(every) == {s.pk for s in standards}
    assert selectors.search_ids("小组活动", limit=2) == every[:2]
    asked = []
    search_ids = selectors.search_ids
    monkeypatch.setattr(selectors, "search_ids", lambda query, limit=None: asked.append(limit) or search_ids(
        query, limit=limit))
    response = client.get("/search/", {"q": "小组活动"})
    group = next(g for g in response.context["groups"] if g["key"] == "standards")
    assert asked == [PER_GROUP + 1]  # a page, and one more to tell whether there are more
    assert len(group["results"]) == len(standards)
