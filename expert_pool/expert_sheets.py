"""XLSX import of an association's existing expert list, and export of the directory.

Import is keyed by the association's own number (编号) per province, so running it twice changes nothing. Every
row is checked before anything is written; one error anywhere means nothing is imported, and each error names its
row and column. Export writes only the cells ``visibility`` lets the viewer read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from expert_pool import phones, services, visibility
from expert_pool.models import LANGUAGES, Expert, Qualification, Specialism
from hub import spreadsheets
from hub.permissions import require

#: (header, field, required) — the headers an export writes.
COLUMNS = [
    ("编号", "external_ref", True), ("姓名", "name", True), ("工作单位", "employer", True), ("职称", "title", False),
    ("专业领域", "specialisms", True), ("资格", "qualifications", False), ("熟悉行业", "industries", False),
    ("工作语言", "languages", False), ("手机", "phone", False), ("电子邮箱", "email", False), ("简介", "bio", False),
]
#: Other headers people give the same column (compared without spaces, asterisks or case).
SYNONYMS = {
    "external_ref": ("专家编号", "原编号", "会员编号", "证书编号"),
    "name": ("专家姓名", "名字"),
    "employer": ("单位", "所在单位", "单位名称", "工作单位名称", "任职单位"),
    "title": ("技术职称", "专业技术职称", "职务职称"),
    "specialisms": ("专业", "专业方向", "擅长领域", "评审领域"),
    "qualifications": ("资格证书", "职业资格", "执业资格"),
    "industries": ("行业", "熟悉领域"),
    "languages": ("语言", "外语", "工作语种"),
    "phone": ("手机号", "手机号码", "电话", "联系电话", "移动电话", "电话号码", "联系方式"),
    "email": ("邮箱", "email", "e-mail", "电子邮件", "邮件"),
    "bio": ("个人简介", "简历", "专家简介"),
}
#: Columns an export writes that an import reads but does not store: 省市 must be the target province.
CHECKED_ONLY = {"省市": "province", "所属省市": "province", "状态": "status"}
SEPARATORS = ("、", "，", ",", ";", "；", "/")
LANGUAGE_BY_LABEL = {str(label): code for code, label in LANGUAGES}


def _split(value: str) -> list[str]:
    for sep in SEPARATORS[1:]:
        value = value.replace(sep, SEPARATORS[0])
    return [part.strip() for part in value.split(SEPARATORS[0]) if part.strip()]


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Flagged:
    """A created row that looks like an expert already in the pool (same phone, e-mail, or name and employer)."""
    row: int
    expert: Expert
    existing: Expert


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    flagged: list[Flagged] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header_key(title: str) -> str:
    return title.replace(" ", "").replace("　", "").replace("*", "").replace("＊", "").lower()


def _positions(header: list[str], result: ImportResult) -> dict[str, int]:
    """Column index per field, recognising synonyms; every column the import cannot place is an error naming its
    letter and header, so that a renamed column is never silently ignored."""
    lookup = {}
    for title, name, _required in COLUMNS:
        for alias in (title, *SYNONYMS.get(name, ())):
            lookup[_header_key(alias)] = name
    checked = {_header_key(t): n for t, n in CHECKED_ONLY.items()}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        if not title:
            continue
        key = _header_key(title)
        name = lookup.get(key) or checked.get(key)
        column = _("%(title)s（%(letter)s 列）") % {"title": title, "letter": spreadsheets.column_letter(index)}
        if name is None:
            result.errors.append(RowError(1, column, _("无法识别的列，请改用模板中的列名（%(names)s）或删除该列。")
                                          % {"names": "、".join(t for t, _n, _r in COLUMNS)}))
        elif name in positions:
            result.errors.append(RowError(1, column, _("与第 %(letter)s 列重复，都表示“%(field)s”。") % {
                "letter": spreadsheets.column_letter(positions[name]), "field": next(
                    (t for t, n, _r in COLUMNS if n == name), title)}))
        else:
            positions[name] = index
    for title, name, required in COLUMNS:
        if required and name not in positions:
            result.errors.append(RowError(1, title, _("缺少必需的列“%(col)s”。") % {"col": title}))
    return positions


def _parse(file, result: ImportResult, province=None) -> list[tuple[int, dict]]:
    try:
        header, body = spreadsheets.read_table(file)
    except spreadsheets.UnreadableFile:
        result.errors.append(RowError(0, "", _("无法读取文件，请上传 .xlsx 格式的工作簿。")))
        return []
    header = [_cell(v) for v in header]
    positions = _positions(header, result)
    if result.errors:
        return []
    specialisms = {s.name: s.pk for s in Specialism.objects.all()}
    qualifications = {q.name: q.pk for q in Qualification.objects.all()}
    parsed, seen = [], {}
    for number, values in body:
        raw = {name: _cell(values[pos]) if pos < len(values) else "" for name, pos in positions.items()}
        if not any(raw.values()):
            continue
        titles = {name: title for title, name, _req in COLUMNS} | {"province": "省市", "status": "状态"}

        def error(name, message, number=number, titles=titles):
            result.errors.append(RowError(number, titles[name], message))

        for _title, name, required in COLUMNS:
            if required and not raw.get(name):
                error(name, _("不能为空。"))
        ref = raw.get("external_ref", "")
        if ref in seen:
            error("external_ref", _("编号与第 %(row)s 行重复。") % {"row": seen[ref]})
        seen.setdefault(ref, number)
        row = dict(raw)
        for name, lookup in (("specialisms", specialisms), ("qualifications", qualifications)):
            names = _split(raw.get(name, ""))
            unknown = [n for n in names if n not in lookup]
            if unknown:
                error(name, _("未知的名称：%(names)s（请使用专家库中已有的名称）。") % {"names": "、".join(unknown)})
            row[name] = sorted(lookup[n] for n in names if n in lookup)
        languages = _split(raw.get("languages", "")) or ["中文"]
        unknown = [n for n in languages if n not in LANGUAGE_BY_LABEL]
        if unknown:
            error("languages", _("未知的语言：%(names)s。") % {"names": "、".join(unknown)})
        row["languages"] = [LANGUAGE_BY_LABEL[n] for n in languages if n in LANGUAGE_BY_LABEL]
        for name, limit in (("name", 32), ("employer", 100), ("title", 32), ("industries", 200),
                            ("external_ref", 32)):
            if len(raw.get(name, "")) > limit:
                error(name, _("超过 %(n)s 个字。") % {"n": limit})
        if province is not None and raw.get("province") and raw["province"] not in (
                province.name_zh, province.name_en, province.code):
            error("province", _("此行属于“%(row)s”，不能导入到“%(target)s”。") % {
                "row": raw["province"], "target": province.name_zh})
        try:
            row["phone"] = phones.normalise(raw.get("phone", ""))
        except ValidationError as exc:
            error("phone", exc.messages[0])
        if raw.get("email"):
            from django.core.validators import validate_email

            try:
                validate_email(raw["email"])
            except ValidationError:
                error("email", _("电子邮箱格式不正确。"))
        parsed.append((number, row))
    if not parsed and not result.errors:
        result.errors.append(RowError(2, "", _("文件中没有专家数据。")))
    return parsed


def _differs(expert: Expert, row: dict) -> bool:
    plain = ("name", "employer", "title", "industries", "phone", "email", "bio")
    if any(getattr(expert, f) != row.get(f, "") for f in plain):
        return True
    if expert.language_codes() != row["languages"]:
        return True
    return (sorted(s.pk for s in expert.specialisms.all()) != row["specialisms"]
            or sorted(q.pk for q in expert.qualifications.all()) != row["qualifications"])


@transaction.atomic
def import_workbook(*, actor, province, file) -> ImportResult:
    """Create or update the province's experts from a workbook; imported experts are active (already verified)."""
    require(actor, "coordinate", province)
    result = ImportResult()
    parsed = _parse(file, result, province)
    if result.errors:
        return result
    existing = {e.external_ref: e for e in Expert.objects.filter(
        province=province, external_ref__in=[row["external_ref"] for _n, row in parsed]).prefetch_related(
        "specialisms", "qualifications")}
    for number, row in parsed:
        expert = existing.get(row["external_ref"])
        fields = {f: row.get(f, "") for f in ("name", "employer", "title", "industries", "phone", "email", "bio")}
        try:
            if expert is None:
                created = services.expert_create(
                    province=province, status=Expert.Status.ACTIVE, external_ref=row["external_ref"],
                    specialisms=row["specialisms"], qualifications=row["qualifications"], languages=row["languages"],
                    **fields)
                if created.possible_duplicate_of is not None:
                    result.flagged.append(Flagged(number, created, created.possible_duplicate_of))
                result.created += 1
            elif _differs(expert, row):
                for key, value in fields.items():
                    setattr(expert, key, value)
                expert.languages = services._languages(row["languages"])
                expert.full_clean(exclude=["user", "possible_duplicate_of"])
                expert.save()
                expert.specialisms.set(row["specialisms"])
                expert.qualifications.set(row["qualifications"])
                services.refresh_search(expert)
                result.updated += 1
            else:
                result.unchanged += 1
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                title = next((t for t, n, _r in COLUMNS if n == name), name)
                result.errors.extend(RowError(number, title, m) for m in messages)
    if result.errors:
        transaction.set_rollback(True)
        result.created = result.updated = result.unchanged = 0
        result.flagged = []
    return result


EXPORT_COLUMNS = [("编号", None), ("状态", None)] + [
    (title, name) for title, name in [("姓名", "name"), ("省市", "province"), ("职称", "title"),
                                      ("专业领域", "specialisms"), ("资格", "qualifications"),
                                      ("工作语言", "languages"), ("工作单位", "employer"), ("熟悉行业", "industries"),
                                      ("简介", "bio"), ("手机", "phone"), ("电子邮箱", "email")]]


def export_workbook(user, experts) -> bytes:
    """The given experts as XLSX; a cell the viewer may not read stays empty."""
    rows = []
    for expert in experts:
        values = visibility.redacted(user, expert)
        # 编号 is the association's number, the key the import reads: a round trip changes nothing.
        rows.append([expert.external_ref, expert.get_status_display()] + [values.get(name, "") for _t, name in
                                                                EXPORT_COLUMNS[2:]])
    return spreadsheets.xlsx_bytes([spreadsheets.Sheet(_("专家库"), [title for title, _name in EXPORT_COLUMNS], rows)])


def _has_contacts(values: dict) -> bool:
    return bool(values.get("phone") or values.get("email"))


@transaction.atomic
def experts_export(*, actor, experts) -> bytes:
    """The directory export, written to the audit log: one entry per province whose experts it contains, naming
    the exported experts and whether their contact details were readable to the exporter."""
    experts = list(experts)
    body = export_workbook(actor, experts)
    by_province = {}
    for expert in experts:
        by_province.setdefault(expert.province_id, []).append(expert)
    for group in by_province.values():
        contacts = [e.pk for e in group if _has_contacts(visibility.redacted(actor, e))]
        spreadsheets.audit_export(actor=actor, instance=group[0].province, action="expert_pool.experts.export",
                                  what="expert directory", count=len(group), experts=[e.pk for e in group],
                                  with_contacts=contacts)
    return body

