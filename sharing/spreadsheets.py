"""XLSX and CSV in and out for the registry. Every exported text cell is protected from formula injection."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Text that a spreadsheet would evaluate is stored with a leading apostrophe; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def workbook_response(filename: str, sheets: Iterable[tuple[str, list[str], Iterable[list]]], fills=None) -> HttpResponse:
    """An XLSX download of one or more (title, headers, rows) sheets. ``fills(sheet_index, row, col, value)`` may
    return a hex colour to paint a cell."""
    wb = Workbook()
    wb.remove(wb.active)
    for index, (title, headers, rows) in enumerate(sheets):
        ws = wb.create_sheet(title[:31])
        ws.append([safe_cell(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        widths = [max(6, len(str(h)) * 2) for h in headers]
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=safe_cell(value))
                if cell.data_type == "f":
                    cell.data_type = "s"
                if isinstance(value, str):
                    widths[c - 1] = min(60, max(widths[c - 1], len(value) * 2))
                colour = fills(index, r, c, value) if fills else None
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour.lstrip("#"), end_color=colour.lstrip("#"))
                    cell.alignment = Alignment(horizontal="center")
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "B2"
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def read_table(uploaded) -> tuple[list[str], list[tuple[int, list]]]:
    """Headers and (spreadsheet row number, values) of the first sheet of an XLSX file or of a CSV file."""
    name = (getattr(uploaded, "name", "") or "").lower()
    data = uploaded.read()
    if name.endswith(".csv"):
        text = data.decode("utf-8-sig") if not data.startswith(b"\xff\xfe") else data.decode("utf-16")
        rows = list(csv.reader(io.StringIO(text)))
    else:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    if not rows:
        return [], []
    headers = [str(h or "").strip() for h in rows[0]]
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(v not in (None, "") for v in r)]
    return headers, body
