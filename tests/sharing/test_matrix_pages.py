"""The matrix pages its rows (one meeting-room screen per page) while its counts and XLSX cover every standard."""
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sharing import selectors
from tests.sharing.factories import bulk_standards

pytestmark = pytest.mark.django_db


def test_matrix_shows_one_page_of_rows_and_counts_every_standard(client):
    bulk_standards(selectors.MATRIX_PAGE_SIZE * 2 + 5)
    total = selectors.MATRIX_PAGE_SIZE * 2 + 5
    first = client.get(reverse("standards:matrix")).content.decode()
    last = client.get(reverse("standards:matrix") + "?page=3").content.decode()
    assert first.count("<tr data-standard=") == selectors.MATRIX_PAGE_SIZE
    assert last.count("<tr data-standard=") == 5
    assert f"{total} 项标准" in first and "第 1 / 3 页" in first
    everything = selectors.matrix({})
    paged = selectors.matrix({}, page=2)
    assert paged["summary"] == everything["summary"] and paged["total"] == total
    assert [row.standard.pk for row in paged["rows"]] == [
        row.standard.pk for row in everything["rows"]][selectors.MATRIX_PAGE_SIZE:selectors.MATRIX_PAGE_SIZE * 2]


def test_matrix_export_has_every_row(client):
    total = selectors.MATRIX_PAGE_SIZE * 2 + 5
    bulk_standards(total)
    response = client.get(reverse("standards:matrix_export") + "?page=2")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.max_row == total + 1  # the header row and every standard
