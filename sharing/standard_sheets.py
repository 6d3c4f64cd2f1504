"""Bulk import of an association's existing standards from XLSX or CSV.

Idempotent on the standard number: a row whose number exists updates that record. Every problem is reported with
its spreadsheet row and column; nothing is written unless every row is valid, or the importer explicitly chose to
import the valid rows only.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hub.permissions import require
from hub.spreadsheets import UnreadableFile, column_letter
from sharing.models import GroupStandard
from sharing.models.standards import Status, normalise_number

#: Column header (as written in the template) → model field. Alternatives in parentheses are accepted too.
COLUMNS = [
    ("标准编号", "number", ("编号", "number")),
    ("中文名称", "title_zh", ("标准名称", "名称", "title_zh")),
    ("英文名称", "title_en", ("title_en",)),
    ("ICS", "ics_codes", ("ICS分类号", "ICS 分类号", "ics")),
    ("CCS", "ccs_code", ("CCS分类号", "CCS 分类号", "ccs")),
    ("状态", "status", ("status",)),
    ("立项日期", "approved_on", ()),
    ("发布日期", "publication_date", ()),
    ("实施日期", "implementation_date", ()),
    ("废止日期", "withdrawal_date", ()),
    ("适用范围", "scope", ("范围",)),
    ("起草单位", "drafting_organisations", ()),
    ("全文公开", "text_public", ("公开",)),
]
REQUIRED = {"number", "title_zh", "ics_codes"}
DATE_FIELDS = {"approved_on", "publication_date", "implementation_date", "withdrawal_date"}
STATUS_BY_LABEL = {str(label): value for value, label in Status.choices} | {v: v for v in Status.values}
YES = {"是", "公开", "y", "yes", "true", "1"}
NO = {"否", "不公开", "n", "no", "false", "0"}


@dataclass
class RowError:
    row: int
    column: str  # spreadsheet column letter, "" for a whole-row problem
    header: str
    message: str


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    imported: bool = False

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors if e.row})


def _header_map(headers: list[str]) -> tuple[dict[str, int], list[RowError]]:
    lookup = {}
    for header, name, alternatives in COLUMNS:
        for alias in (header, *alternatives):
            lookup[alias.replace(" ", "").lower()] = name
    columns, errors = {}, []
    for index, header in enumerate(headers):
        name = lookup.get(header.replace(" ", "").lower())
        if name:
            columns[name] = index
    for header, name, _alternatives in COLUMNS:
        if name in REQUIRED and name not in columns:
            errors.append(RowError(1, "", header, _("缺少必填列“%(header)s”。") % {"header": header}))
    return columns, errors


def _value(raw, name):
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if name in DATE_FIELDS:
        if raw in (None, ""):
            return None
        if isinstance(raw, datetime.date):
            return raw
        text = str(raw).strip().replace("/", "-").replace(".", "-")
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(_("日期“%(value)s”无法识别，请写成 2024-03-01。") % {"value": raw})
    text = "" if raw is None else str(raw).strip()
    if name == "status":
        if not text:
            return Status.PUBLISHED
        if text not in STATUS_BY_LABEL:
            raise ValidationError(_("状态“%(value)s”无法识别，可填：立项、征求意见、发布、实施、复审、修订、废止。")
                                  % {"value": text})
        return STATUS_BY_LABEL[text]
    if name == "text_public":
        if text.lower() in YES or not text:
            return True
        if text.lower() in NO:
            return False
        raise ValidationError(_("“全文公开”请填“是”或“否”。"))
    if name == "number":
        return normalise_number(text)
    return text


@transaction.atomic
def import_standards(*, actor, province, uploaded, valid_rows_only: bool = False) -> ImportReport:
    """Import (create or update) ``province``'s standards from an uploaded XLSX/CSV file."""
    from hub.spreadsheets import read_table

    require(actor, "add", province)
    report = ImportReport()
    try:
        headers, rows = read_table(uploaded)
    except UnreadableFile:
        # An unreadable upload is the person's problem to fix, not a server error.
        report.errors.append(RowError(0, "", "", _("无法读取文件，请上传 .xlsx 或 UTF-8 编码的 .csv 文件。")))
        return report
    columns, header_errors = _header_map(headers)
    report.errors.extend(header_errors)
    if header_errors:
        return report
    report.total = len(rows)
    letter = {name: column_letter(index) for name, index in columns.items()}
    header_of = {name: headers[index] for name, index in columns.items()}
    numbers = [normalise_number(str(r[columns["number"]] or "").strip()) if columns["number"] < len(r) else ""
               for _n, r in rows]
    existing = {s.number: s for s in GroupStandard.objects.filter(number__in=[n for n in numbers if n])}
    province.association  # noqa: B018 - loaded once, read by every row's clean()
    seen: dict[str, int] = {}
    to_create, to_update = [], []
    for (row_number, raw), number in zip(rows, numbers, strict=False):
        row_errors: list[RowError] = []

        def fail(name, message, row_errors=row_errors, row_number=row_number):
            row_errors.append(RowError(row_number, letter.get(name, ""), header_of.get(name, name), str(message)))

        values = {}
        for name, index in columns.items():
            try:
                values[name] = _value(raw[index] if index < len(raw) else None, name)
            except ValidationError as exc:
                fail(name, exc.messages[0])
        if number and number in seen:
            fail("number", _("编号与第 %(row)s 行重复。") % {"row": seen[number]})
        elif number:
            seen[number] = row_number
        current = existing.get(number)
        if current is not None and current.province_id != province.pk:
            fail("number", _("编号 %(number)s 已属于其他省市的标准。") % {"number": number})
        standard = (current if current is not None and current.province_id == province.pk
                    else GroupStandard(province=province))
        standard.province = province
        before = {name: getattr(standard, name) for name in values} if current else None
        for name, value in values.items():
            setattr(standard, name, value)
        failed = {e.header for e in row_errors}
        try:
            # Fields that already failed to parse are left out, so the row's other problems are reported too.
            # The province was checked against the gate above; re-validating its FK would cost a query a row.
            standard.full_clean(exclude=["province", "replaced_by", "full_text"] + [n for n in columns if header_of[n] in failed
                                                                         and n not in values],
                                validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in values or name not in columns:
                    for message in messages:
                        if not (name == "number" and header_of.get("number") in failed):
                            fail(name if name in letter else "number", message)
        if row_errors:
            report.errors.extend(row_errors)
            continue
        if current is None:
            to_create.append(standard)
        elif {name: getattr(standard, name) for name in values} != before:
            to_update.append(standard)
        else:
            report.unchanged += 1
    if report.errors and not valid_rows_only:
        return report
    GroupStandard.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        GroupStandard.objects.bulk_update(to_update, [c[1] for c in COLUMNS if c[1] in columns] + ["sequence", "year"],
                                          batch_size=500)
    report.created, report.updated, report.imported = len(to_create), len(to_update), True
    changed = to_create + to_update
    if changed:
        from wagtail.search.backends import get_search_backend

        saved = list(GroupStandard.objects.filter(number__in=[s.number for s in changed]))
        transaction.on_commit(lambda: get_search_backend().add_bulk(GroupStandard, saved))
    return report
