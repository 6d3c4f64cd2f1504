"""Bulk import: idempotent on the number, every error with row and column, all-or-nothing unless asked."""
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from sharing.models import GroupStandard
from sharing.standard_sheets import import_standards
from tests.sharing.factories import make_standard

HEADER = ["标准编号", "中文名称", "英文名称", "ICS", "CCS", "状态", "立项日期", "发布日期", "实施日期", "废止日期",
          "适用范围", "起草单位", "全文公开"]
GOOD = [
    ["T/SAQ 101-2021", "质量管理小组活动管理规范", "QC circles", "03.120.10", "A00", "实施", "", "2021-01-05",
     "2021-03-01", "", "适用于企业", "上海市质量协会", "是"],
    ["T/SAQ 102—2022", "卓越绩效自评价指南", "", "03.120.10, 03.100.01", "", "发布", "", "2022-06-01", "", "", "",
     "", "否"],
]


def xlsx(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("standards.xlsx", buffer.getvalue())


def csv_file(rows, header=HEADER):
    lines = [",".join(header)] + [",".join(f'"{v}"' for v in row) for row in rows]
    return SimpleUploadedFile("standards.csv", ("\n".join(lines)).encode("utf-8-sig"))


@pytest.mark.django_db
def test_import_creates_then_is_idempotent(staff_of, province):
    editor = staff_of("SH", "editor")
    report = import_standards(actor=editor, province=province("SH"), uploaded=xlsx(GOOD))
    assert (report.imported, report.created, report.errors) == (True, 2, [])
    assert set(GroupStandard.objects.values_list("number", flat=True)) == {"T/SAQ 101—2021", "T/SAQ 102—2022"}
    assert GroupStandard.objects.get(number="T/SAQ 102—2022").text_public is False
    again = import_standards(actor=editor, province=province("SH"), uploaded=csv_file(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = [GOOD[0][:1] + ["质量管理小组活动管理规范（修订）"] + GOOD[0][2:], GOOD[1]]
    third = import_standards(actor=editor, province=province("SH"), uploaded=xlsx(changed))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert GroupStandard.objects.count() == 2


@pytest.mark.django_db
def test_import_reports_every_error_with_row_and_column_and_imports_nothing(staff_of, province):
    make_standard("ZJ", number="T/ZJAQ 5—2020", year=2020)
    rows = GOOD + [
        ["SAQ 7 2021", "缺前缀", "", "03.120.10", "", "实施", "", "2021-01-01", "2021-02-01", "", "", "", ""],
        ["T/SAQ 8-2021", "实施早于发布", "", "03.120.10", "", "实施", "", "2021-05-01", "2021-02-01", "", "", "", ""],
        ["T/SAQ 101-2021", "重复编号", "", "03.120.10", "", "发布", "", "2021-01-01", "", "", "", "", ""],
        ["T/SAQ 9-2021", "坏的 ICS 和日期", "", "3.12", "", "发布", "", "明年", "", "", "", "", ""],
        ["T/ZJAQ 5-2020", "别省的编号", "", "03.120.10", "", "发布", "", "2020-01-01", "", "", "", "", ""],
        ["T/SAQ 10-2021", "未知状态", "", "03.120.10", "", "作废", "", "", "", "", "", "", ""],
    ]
    report = import_standards(actor=staff_of("SH", "editor"), province=province("SH"), uploaded=xlsx(rows))
    assert not report.imported
    found = {(e.row, e.column) for e in report.errors}
    assert {(4, "A"), (5, "I"), (6, "A"), (7, "D"), (7, "H"), (8, "A"), (9, "F")} <= found
    assert report.invalid_rows == 6
    assert all(e.message for e in report.errors)
    assert GroupStandard.objects.filter(province__code="SH").count() == 0


@pytest.mark.django_db
def test_import_valid_rows_only_when_asked(staff_of, province):
    rows = GOOD + [["T/SAQ 8-2021", "实施早于发布", "", "03.120.10", "", "实施", "", "2021-05-01", "2021-02-01",
                    "", "", "", ""]]
    report = import_standards(actor=staff_of("SH", "editor"), province=province("SH"), uploaded=xlsx(rows),
                              valid_rows_only=True)
    assert report.imported and report.created == 2 and [(e.row, e.column) for e in report.errors] == [(4, "I")]


@pytest.mark.django_db
def test_import_reports_missing_columns_and_unreadable_files(staff_of, province):
    report = import_standards(actor=staff_of("SH", "editor"), province=province("SH"),
                              uploaded=xlsx([["x"]], header=["备注"]))
    assert not report.imported and {e.header for e in report.errors} == {"标准编号", "中文名称", "ICS"}
    report = import_standards(actor=staff_of("SH", "editor"), province=province("SH"),
                              uploaded=SimpleUploadedFile("a.xlsx", b"not a zip"))
    assert not report.imported and report.errors


@pytest.mark.django_db
def test_import_into_another_province_is_refused(staff_of, province):
    with pytest.raises(PermissionDenied):
        import_standards(actor=staff_of("ZJ", "moderator"), province=province("SH"), uploaded=xlsx(GOOD))
    assert not GroupStandard.objects.exists()


@pytest.mark.django_db
def test_import_page_shows_the_error_table(client_for, staff_of, province):
    from django.urls import reverse

    rows = [["T/SAQ 8-2021", "实施早于发布", "", "03.120.10", "", "实施", "", "2021-05-01", "2021-02-01", "", "", "",
             ""]]
    response = client_for(staff_of("SH", "editor")).post(reverse("standards:import"),
                                                         {"province": province("SH").pk, "file": xlsx(rows)})
    body = response.content.decode()
    assert "实施日期不能早于发布日期" in body and "没有导入任何数据" in body
