"""The directory export: a self-registered name never becomes a live formula, and every export is audited."""
import io
import zipfile

import pytest
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from tests.expert_pool.factories import make_expert

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://x.cn","点我")'


def test_export_writes_a_formula_like_name_as_text(client_for, staff_of):
    make_expert("SH", name=EVIL, employer="+上海某单位", phone="13800000000")
    data = client_for(staff_of("SH", "coordinator")).get("/experts/export.xlsx").content
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = next(row[header.index("姓名")] for row in sheet.iter_rows(min_row=2) if "HYPERLINK" in str(row[
        header.index("姓名")].value))
    assert cell.data_type == "s" and cell.value == "'" + EVIL
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_export_is_written_to_the_audit_log_with_who_and_what(client_for, staff_of):
    mine = make_expert("SH", name="周建国", phone="13800000001")
    theirs = make_expert("JS", name="吴海燕", phone="13800000002")
    coordinator = staff_of("SH", "coordinator")
    assert client_for(coordinator).get("/experts/export.xlsx").status_code == 200
    entries = ModelLogEntry.objects.filter(action="expert_pool.experts.export", user=coordinator)
    by_province = {entry.object_id: entry.data for entry in entries}
    assert by_province[str(mine.province_id)]["experts"] == [mine.pk]
    assert by_province[str(mine.province_id)]["with_contacts"] == [mine.pk]
    assert theirs.pk in by_province[str(theirs.province_id)]["experts"]
    assert by_province[str(theirs.province_id)]["with_contacts"] == []  # another province's phones stay hidden
