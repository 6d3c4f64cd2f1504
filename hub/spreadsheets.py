"""Every spreadsheet the hub writes or reads goes through this module: one formula guard, one reader.

A text cell that starts with a character a spreadsheet treats as the start of a formula (OWASP "CSV injection":
``=``, ``+``, ``-``, ``@``, tab, carriage return) is written with a leading apostrophe and, in XLSX, as a string
cell, so ``=HYPERLINK(…)`` typed into a self-registration form opens as the text it is. Reading undoes exactly
that apostrophe, so a file the hub exported imports back unchanged.

Exports that contain personal data (names, phones, e-mail addresses) are written to Wagtail's audit log with
:func:`audit_export`: who exported what, how many rows, from which object.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.http import HttpResponse
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
#: Characters that make Excel, LibreOffice or Google Sheets evaluate a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def guard(value):
    """A value as a spreadsheet must store it: text that would be evaluated gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return GUARD + value
    return value


def unguard(value):
    """The inverse of :func:`guard` for a value read back from a spreadsheet."""
    if isinstance(value, str) and value.startswith(GUARD) and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


@dataclass
class Sheet:
    title: str
    headers: Sequence
    rows: Iterable[Sequence]


#: fills(sheet_index, row_number, column_number, value) → "#rrggbb" to paint a cell, or None.
Fills = Callable[[int, int, int, object], "str | None"]


def xlsx_bytes(sheets: Iterable[Sheet], fills: Fills | None = None) -> bytes:
    """An XLSX workbook of the given sheets; bold frozen header row, column widths from the content."""
    book = Workbook()
    book.remove(book.active)
    for index, sheet in enumerate(sheets):
        ws = book.create_sheet(str(sheet.title)[:31])
        headers = [str(h) for h in sheet.headers]
        widths = [max(6, len(h) * 2) for h in headers]
        for c, header in enumerate(headers, start=1):
            _write(ws, 1, c, header).font = Font(bold=True)
        for r, row in enumerate(sheet.rows, start=2):
            for c, value in enumerate(row, start=1):
                cell = _write(ws, r, c, value)
                if isinstance(value, str) and c <= len(widths):
                    widths[c - 1] = min(60, max(widths[c - 1], len(value) * 2))
                colour = fills(index, r, c, value) if fills else None
                if colour:
                    cell.fill = PatternFill("solid", start_color=colour.lstrip("#"), end_color=colour.lstrip("#"))
                    cell.alignment = Alignment(horizontal="center")
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        ws.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(ws, row: int, column: int, value):
    cell = ws.cell(row=row, column=column, value=guard(value))
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl turns any text starting with "=" into a formula; text stays text
    return cell


def csv_bytes(headers: Sequence, rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel then opens Chinese correctly); every cell guarded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([guard("" if h is None else str(h)) for h in headers])
    for row in rows:
        writer.writerow([guard("" if v is None else str(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def download(filename: str, content: bytes, content_type: str = XLSX_TYPE) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def xlsx_response(filename: str, sheets: Iterable[Sheet], fills: Fills | None = None) -> HttpResponse:
    return download(filename, xlsx_bytes(sheets, fills))


class UnreadableFile(ValueError):
    """The upload is not a readable XLSX workbook or UTF-8/UTF-16 CSV file: the person's problem to fix."""


def column_letter(index: int) -> str:
    """The spreadsheet's name of the column at 0-based ``index`` (0 → "A"), for errors that point at a cell."""
    return get_column_letter(index + 1)


def read_table(uploaded) -> tuple[list[str], list[tuple[int, list]]]:
    """Headers and (spreadsheet row number, values) of the first sheet of an XLSX file, or of a CSV file (by
    name). Blank rows are skipped. Formulas are never evaluated: a formula cell reads as its cached value.
    Raises ``UnreadableFile`` for a file that is neither."""
    name = (getattr(uploaded, "name", "") or "").lower()
    data = uploaded.read()
    try:
        if name.endswith(".csv"):
            text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
            rows = [list(r) for r in csv.reader(io.StringIO(text))]
        else:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
            finally:
                book.close()
    except Exception as error:  # openpyxl raises many kinds (zipfile, KeyError, InvalidFileException...) for a non-workbook
        raise UnreadableFile(str(error)) from error
    rows = [[unguard(v) for v in row] for row in rows]
    if not rows:
        return [], []
    headers = [str(h or "").strip() for h in rows[0]]
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(v not in (None, "") for v in r)]
    return headers, body


def audit_export(*, actor, instance, action: str, what: str, count: int, **data):
    """One audit-log entry (Wagtail's log, shown under 报表 → 站点历史) for an export of personal data."""
    from wagtail.log_actions import log

    return log(instance=instance, action=action, user=actor, data={"what": what, "count": count, **data})
