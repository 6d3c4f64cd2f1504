"""The one spreadsheet module: every export and import goes through its formula guard and reader."""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from hub import spreadsheets

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = 'HYPERLINK("https://evil.example/","点我")'


@pytest.mark.parametrize("prefix", PREFIXES, ids=repr)
def test_xlsx_writes_text_starting_with_a_formula_prefix_as_text(prefix):
    value = prefix + PAYLOAD
    data = spreadsheets.xlsx_bytes([spreadsheets.Sheet("表", ["姓名"], [[value]])])
    cell = load_workbook(io.BytesIO(data)).active.cell(2, 1)
    assert cell.data_type == "s" and cell.value == "'" + value
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula element anywhere in the file


@pytest.mark.parametrize("prefix", PREFIXES, ids=repr)
def test_csv_writes_text_starting_with_a_formula_prefix_as_text(prefix):
    value = prefix + PAYLOAD
    text = spreadsheets.csv_bytes([prefix + "表头"], [[value]]).decode("utf-8-sig")
    import csv

    header, row = list(csv.reader(io.StringIO(text)))
    assert header == ["'" + prefix + "表头"] and row == ["'" + value]


@pytest.mark.parametrize("prefix", PREFIXES, ids=repr)
def test_reading_back_an_export_gives_the_original_text(prefix):
    value = prefix + "1+1"
    data = spreadsheets.xlsx_bytes([spreadsheets.Sheet("表", ["编号", "姓名"], [["A1", value]])])
    headers, rows = spreadsheets.read_table(SimpleUploadedFile("back.xlsx", data))
    assert headers == ["编号", "姓名"] and rows == [(2, ["A1", value])]


def test_plain_values_pass_unchanged():
    assert spreadsheets.guard("张三") == "张三" and spreadsheets.guard(-3) == -3 and spreadsheets.guard(None) is None
    assert spreadsheets.guard("a=b") == "a=b"
