import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from expert_pool import expert_sheets
from expert_pool.models import Expert
from tests.expert_pool.factories import make_expert, qualification, specialism

pytestmark = pytest.mark.django_db

HEADER = ["编号", "姓名", "工作单位", "职称", "专业领域", "资格", "熟悉行业", "工作语言", "手机", "电子邮箱", "简介"]


def workbook(*rows, header=HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def good_rows():
    specialism("质量奖评审")
    specialism("企业诊断")
    qualification("质量工程师")
    return [
        ["SH-001", "沈国强", "上海电气集团", "正高级工程师", "质量奖评审、企业诊断", "质量工程师", "装备制造", "中文、英语",
         "13800000001", "shen@example.test", "从事质量管理三十年"],
        ["SH-002", "陆文静", "上海市质量协会", "高级经济师", "企业诊断", "", "服务业", "", "", "", ""],
    ]


def test_import_creates_active_experts_and_is_idempotent(staff_of, province):
    coordinator = staff_of("SH", "coordinator")
    result = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=workbook(*good_rows()))
    assert result.ok and result.counts() == {"created": 2, "updated": 0, "unchanged": 0}
    shen = Expert.objects.get(external_ref="SH-001")
    assert shen.status == "active" and shen.language_codes() == ["zh", "en"]
    assert sorted(shen.specialisms.values_list("name", flat=True)) == ["企业诊断", "质量奖评审"]
    again = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=workbook(*good_rows()))
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 2}
    rows = good_rows()
    rows[1][3] = "正高级经济师"
    changed = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=workbook(*rows))
    assert changed.counts() == {"created": 0, "updated": 1, "unchanged": 1}
    assert Expert.objects.count() == 2


def test_every_row_error_is_reported_and_nothing_is_imported(staff_of, province):
    rows = good_rows() + [
        ["SH-003", "", "某单位", "", "不存在的专业", "", "", "火星语", "", "not-an-email", ""],
        ["SH-001", "重复", "某单位", "", "企业诊断", "", "", "", "", "", ""],
    ]
    result = expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"),
                                     file=workbook(*rows))
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(4, "姓名"), (4, "专业领域"), (4, "工作语言"), (4, "电子邮箱"), (5, "编号")}
    assert not Expert.objects.exists()


def test_missing_column_and_bad_file(staff_of, province):
    coordinator = staff_of("SH", "coordinator")
    result = expert_sheets.import_workbook(actor=coordinator, province=province("SH"),
                                     file=workbook(["1", "王"], header=["编号", "姓名"]))
    assert {(e.row, e.column) for e in result.errors} == {(1, "工作单位"), (1, "专业领域")}
    result = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=io.BytesIO(b"not a workbook"))
    assert not result.ok


def test_import_needs_coordinator_of_that_province(staff_of, province):
    with pytest.raises(PermissionDenied):
        expert_sheets.import_workbook(actor=staff_of("ZJ", "coordinator"), province=province("SH"),
                                file=workbook(*good_rows()))
    with pytest.raises(PermissionDenied):
        expert_sheets.import_workbook(actor=staff_of("SH", "editor"), province=province("SH"), file=workbook(*good_rows()))
    assert not Expert.objects.exists()


def test_import_page_shows_row_and_column(client_for, staff_of, province):
    rows = good_rows() + [["SH-009", "", "某单位", "", "企业诊断", "", "", "", "", "", ""]]
    upload = SimpleUploadedFile("experts.xlsx", workbook(*rows).getvalue())
    response = client_for(staff_of("SH", "coordinator")).post(
        "/experts/import/", {"province": province("SH").pk, "file": upload})
    body = response.content.decode()
    assert "<td>4</td><td>姓名</td>" in body
    assert not Expert.objects.exists()


def test_import_page_refuses_another_provinces_target(client_for, staff_of, province):
    upload = SimpleUploadedFile("experts.xlsx", workbook(*good_rows()).getvalue())
    response = client_for(staff_of("SH", "coordinator")).post(
        "/experts/import/", {"province": province("ZJ").pk, "file": upload})
    assert response.status_code == 200 and "province" in response.context["form"].errors
    assert not Expert.objects.exists()


def test_imported_duplicate_of_a_registered_expert_is_flagged(staff_of, province):
    registered = make_expert("SH", phone="13800000001")
    expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"), file=workbook(*good_rows()))
    assert Expert.objects.get(external_ref="SH-001").possible_duplicate_of == registered


# ---------------------------------------------------------------- issue 15: round trip, phones, renamed columns

def test_export_then_import_changes_nothing(staff_of, province):
    coordinator = staff_of("SH", "coordinator")
    good = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=workbook(*good_rows()))
    assert good.ok
    make_expert("SH", name="自助登记", employer="上海某厂", phone="133 7087 2252")  # registered, never imported
    before = sorted(Expert.objects.values_list("pk", "external_ref", "name", "phone"))
    exported = expert_sheets.export_workbook(coordinator, Expert.objects.filter(province__code="SH"))
    again = expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=io.BytesIO(exported))
    assert again.ok, [(e.row, e.column, e.message) for e in again.errors]
    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 3}
    assert sorted(Expert.objects.values_list("pk", "external_ref", "name", "phone")) == before


def test_export_writes_the_association_number_not_the_internal_id(staff_of, province):
    from openpyxl import load_workbook

    coordinator = staff_of("SH", "coordinator")
    expert_sheets.import_workbook(actor=coordinator, province=province("SH"), file=workbook(*good_rows()))
    sheet = load_workbook(io.BytesIO(expert_sheets.export_workbook(
        coordinator, Expert.objects.filter(external_ref="SH-001")))).worksheets[0]
    assert sheet.cell(1, 1).value == "编号" and sheet.cell(2, 1).value == "SH-001"


def test_a_self_registered_expert_gets_an_association_number(province):
    expert = make_expert("JS")
    assert expert.external_ref == f"JS-{expert.pk:05d}"


@pytest.mark.parametrize("phone", ["abc-not-a-phone", "12345", "021-1234"])
def test_import_refuses_a_bad_phone_naming_row_and_column(staff_of, province, phone):
    rows = good_rows()
    rows[1][8] = phone
    result = expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"),
                                     file=workbook(*rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "手机")]
    assert not Expert.objects.exists()


def test_import_normalises_phones(staff_of, province):
    rows = good_rows()
    rows[0][8], rows[1][8] = "+86 138-0000-0001", "021 1234 5678"
    expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"), file=workbook(*rows))
    assert sorted(Expert.objects.values_list("phone", flat=True)) == ["021-12345678", "13800000001"]


def test_a_renamed_optional_column_is_read_through_its_synonym(staff_of, province):
    header = [("手机号码" if title == "手机" else title) for title in HEADER]
    result = expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"),
                                     file=workbook(*good_rows(), header=header))
    assert result.ok
    assert Expert.objects.get(external_ref="SH-001").phone == "13800000001"


def test_an_unknown_column_is_reported_with_its_letter_and_nothing_is_written(staff_of, province):
    header = HEADER + ["微信号"]
    rows = [row + ["wx"] for row in good_rows()]
    result = expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"),
                                     file=workbook(*rows, header=header))
    assert [(e.row, e.column) for e in result.errors] == [(1, "微信号（L 列）")]
    assert not Expert.objects.exists()


def test_a_row_of_another_province_is_not_imported_here(staff_of, province):
    header = HEADER + ["省市"]
    rows = [row + ["浙江"] for row in good_rows()]
    result = expert_sheets.import_workbook(actor=staff_of("SH", "coordinator"), province=province("SH"),
                                     file=workbook(*rows, header=header))
    assert {(e.row, e.column) for e in result.errors} == {(2, "省市"), (3, "省市")}


def test_an_imported_near_duplicate_is_shown_with_its_comparison_and_waits_in_the_tasks(staff_of, province,
                                                                                         client_for):
    """The same person under a new 编号, the phone written ``133 7087 2252``: imported, but named on the result page
    and in 我的待办 until the coordinator merges the records or says they are two people."""
    registered = make_expert("SH", name="沈国强", employer="上海电气", phone="13370872252")
    rows = good_rows()
    rows[0][8] = "133 7087 2252"
    coordinator = staff_of("SH", "coordinator")
    client = client_for(coordinator)
    upload = SimpleUploadedFile("experts.xlsx", workbook(*rows).getvalue())
    page = client.post("/experts/import/", {"province": province("SH").pk, "file": upload})
    assert page.status_code == 200, "a flagged import stays on the result page"
    imported = Expert.objects.get(external_ref="SH-001")
    body = page.content.decode()
    assert "data-import-flagged" in body and f"/experts/{imported.pk}/compare/{registered.pk}/" in body
    tasks = client.get("/experts/tasks/").content.decode()
    assert 'data-tasks="duplicates"' in tasks and f"/experts/{imported.pk}/compare/{registered.pk}/" in tasks
    assert 'data-tasks="duplicates"' not in client_for(staff_of("ZJ", "coordinator")).get(
        "/experts/tasks/").content.decode()
    compare = client.get(f"/experts/{imported.pk}/compare/{registered.pk}/").content.decode()
    assert "data-not-duplicate" in compare
    assert client_for(staff_of("ZJ", "coordinator")).post(f"/experts/{imported.pk}/manage/",
                                                          {"action": "not_duplicate"}).status_code == 404
    client.post(f"/experts/{imported.pk}/manage/", {"action": "not_duplicate"})
    imported.refresh_from_db()
    assert imported.possible_duplicate_of is None
    assert 'data-tasks="duplicates"' not in client.get("/experts/tasks/").content.decode()


def test_a_clean_import_goes_straight_to_the_directory(staff_of, province, client_for):
    upload = SimpleUploadedFile("experts.xlsx", workbook(*good_rows()).getvalue())
    response = client_for(staff_of("SH", "coordinator")).post("/experts/import/",
                                                              {"province": province("SH").pk, "file": upload})
    assert response.status_code == 302 and "/experts/?province=" in response["Location"]
