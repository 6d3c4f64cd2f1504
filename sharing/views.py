"""Thin site views of the standards registry: fetch through the gate, call a service, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hub.fragments import lazy_context
from hub.models import Province
from hub.permissions import can, province_ids_for, provinces_for
from hub.spreadsheets import Sheet, xlsx_response
from sharing import selectors, services
from sharing.forms import (
    CommentForm,
    DecisionForm,
    DispositionForm,
    ImportForm,
    ProposeForm,
    RegistryFilterForm,
)
from sharing.models import GroupStandard, StandardComment
from sharing.models.standards import RECOGNISABLE, Status

PAGE_SIZE = 50
CELL_COLOURS = {"recognised": "#2da44e", "conditional": "#bf8700", "declined": "#cf222e", "pending": "#ddf4ff",
                "lapsed": "#8c959f", "none": "#ffffff", "issuer": "#0b3d91"}


def _visible_standard(user, pk: int) -> GroupStandard:
    """A public standard, or one of the user's own province at any stage; anything else does not exist."""
    standard = get_object_or_404(GroupStandard.objects.select_related("province__association", "replaced_by",
                                                                      "full_text"), pk=pk)
    if not (standard.live and standard.status != Status.DRAFTING) and not can(user, "view", standard.province):
        raise Http404
    return standard


def _filter_form(request):
    return RegistryFilterForm(request.GET or None, provinces=selectors.member_provinces())


def registry(request):
    def compute():
        form = _filter_form(request)
        page = Paginator(selectors.registry(form.params()), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return {"form": form, "page": page, "standards": page.object_list, "querystring": query.urlencode(),
                "can_import": bool(province_ids_for(request.user, "add"))}

    # Computed only when the content is not kept already (hub/fragments.py).
    context = lazy_context(compute, ["form", "page", "standards", "querystring", "can_import"])
    return render(request, "sharing/registry.html", {**context, "cache_content": True})


def registry_export(request):
    params = _filter_form(request).params()
    rows = [[s.number, s.title_zh, s.title_en, s.province.association.name_zh, s.get_status_display(), s.ics_codes,
             s.ccs_code, s.publication_date, s.implementation_date, s.withdrawal_date,
             _("是") if s.region_wide else _("否"), s.recognised_count, s.scope, s.drafting_organisations]
            for s in selectors.registry(params)]
    headers = [_("标准编号"), _("中文名称"), _("英文名称"), _("发布协会"), _("状态"), "ICS", "CCS", _("发布日期"),
               _("实施日期"), _("废止日期"), _("全区域互认"), _("认可省市数"), _("适用范围"), _("起草单位")]
    return xlsx_response("group-standards.xlsx", [Sheet(_("团体标准"), headers, rows)])


def detail(request, pk: int):
    standard = _visible_standard(request.user, pk)
    user = request.user
    context = {
        "standard": standard,
        "cells": selectors.standard_cells(standard),
        "history": selectors.decision_history(standard, user),
        "region_wide": selectors.is_region_wide(standard),
        "decidable": selectors.decidable_for(user, standard) if standard.status in RECOGNISABLE else [],
        "can_propose": can(user, "change", standard.province) and standard.is_recognisable,
        "can_download": standard.full_text_id and (standard.text_public or selectors.is_roundtable_staff(user)),
        "comment_count": standard.comments.count(),
    }
    if context["can_propose"]:
        proposed = set(standard.proposals.values_list("province_id", flat=True))
        context["propose_form"] = ProposeForm(provinces=[p for p in selectors.member_provinces()
                                                         if p.pk != standard.province_id and p.pk not in proposed])
    return render(request, "sharing/detail.html", context)


def full_text(request, pk: int):
    """The PDF; non-public texts only for roundtable staff."""
    from wagtail.documents.views.serve import serve

    standard = _visible_standard(request.user, pk)
    if not standard.full_text_id:
        raise Http404
    if not standard.text_public and not selectors.is_roundtable_staff(request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    return serve(request, standard.full_text_id, standard.full_text.filename)


@login_required
@require_POST
def propose(request, pk: int):
    standard = _visible_standard(request.user, pk)
    if not can(request.user, "change", standard.province):
        raise PermissionDenied
    form = ProposeForm(request.POST, provinces=selectors.member_provinces())
    if form.is_valid():
        ids = [int(v) for v in form.cleaned_data["provinces"]] or None
        try:
            created = services.standard_propose(actor=request.user, standard_id=standard.pk, province_ids=ids,
                                                note=form.cleaned_data["note"])
            messages.success(request, _("已提请 %(n)s 个省市认可。") % {"n": len(created)})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(standard.get_absolute_url())


@login_required
def decide(request, pk: int, code: str):
    standard = _visible_standard(request.user, pk)
    province = get_object_or_404(Province, code=code)
    if not can(request.user, "review", province):
        raise PermissionDenied
    cell = standard.decisions.filter(province=province)
    current = cell.filter(is_current=True).first()
    draft = cell.filter(is_final=False).first()
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            final = "finalise" in request.POST
            try:
                services.recognition_decide(
                    actor=request.user, standard_id=standard.pk, province_id=province.pk, outcome=data["outcome"],
                    rationale=data["rationale"], conditions=data["conditions"], evidence_url=data["evidence_url"],
                    final=final, supersedes_id=data["supersedes"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _("决定已正式作出。") if final else _("草稿已保存，仅本省可见。"))
                return redirect(standard.get_absolute_url() if final else request.path)
    else:
        source = draft or current
        initial = {"supersedes": current.pk if current else None}
        if source:
            initial |= {"outcome": source.outcome, "conditions": source.conditions, "rationale": source.rationale,
                        "evidence_url": source.evidence_url}
        form = DecisionForm(initial=initial)
    return render(request, "sharing/decide.html", {
        "standard": standard, "province": province, "form": form, "current": current, "draft": draft,
        "history": selectors.decision_history(standard, request.user).filter(province=province),
    })


MATRIX_KEYS = ("provinces", "rows", "summary", "page", "total", "region_wide")  # selectors.matrix


def matrix(request):
    def compute():
        form = _filter_form(request)
        query = request.GET.copy()
        query.pop("page", None)
        return {"form": form, "querystring": query.urlencode(),
                **selectors.matrix(form.params(), page=request.GET.get("page", 1))}

    keys = ["form", "querystring", *MATRIX_KEYS]
    return render(request, "sharing/matrix.html", {**lazy_context(compute, keys), "legend": selectors.LEGEND,
                                                   "cache_content": True})


def matrix_export(request):
    data = selectors.matrix(_filter_form(request).params())
    provinces = data["provinces"]
    headers = [_("标准编号"), _("名称"), _("发布省市"), _("状态")] + [p.name_zh for p in provinces] + [_("全区域互认")]
    rows = [[row.standard.number, row.standard.title_zh, row.standard.province.name_zh,
             row.standard.get_status_display()] + [str(c.state.label) for c in row.cells]
            + [_("是") if row.standard.region_wide else ""] for row in data["rows"]]
    summary_headers = [_("省市"), _("发布"), _("认可"), _("有条件认可"), _("不予认可"), _("待决定"), _("已失效")]
    summary = [[s["province"].name_zh, s["issued"], s["recognised"], s["conditional"], s["declined"], s["pending"],
                s["lapsed"]] for s in data["summary"]]
    by_label = {str(state.label): CELL_COLOURS[state.key] for state in selectors.LEGEND}

    def fills(sheet, r, c, value):
        if sheet == 0 and 5 <= c < 5 + len(provinces) and value in by_label and value != str(selectors.CELL_STATES["none"].label):
            return by_label[value]
        return None

    return xlsx_response("recognition-matrix.xlsx", [Sheet(_("互认矩阵"), headers, rows),
                                                    Sheet(_("各省统计"), summary_headers, summary)], fills=fills)


def _comment_provinces(user, standard):
    """Provinces on whose behalf the user may comment: any they take part in, except the issuer."""
    return [p for p in provinces_for(user, "participate").ordered() if p.pk != standard.province_id]


def comments(request, pk: int):
    standard = _visible_standard(request.user, pk)
    rows = standard.comments.select_related("province", "author", "disposed_by")
    can_comment = standard.status == Status.COMMENT and bool(_comment_provinces(request.user, standard))
    form = None
    if can_comment:
        form = CommentForm(request.POST or None, provinces=_comment_provinces(request.user, standard))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.comment_post(actor=request.user, standard_id=standard.pk, province_id=int(data["province"]),
                                      clause=data["clause"], text=data["text"], suggestion=data["suggestion"])
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("意见已提交。"))
                return redirect(request.path)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "sharing/comments.html", {
        "standard": standard, "comments": rows, "form": form,
        "can_dispose": can(request.user, "change", standard.province),
        "disposition_form": DispositionForm(),
    })


@login_required
@require_POST
def dispose(request, comment_id: int):
    comment = get_object_or_404(StandardComment.objects.select_related("standard__province"), pk=comment_id)
    standard = _visible_standard(request.user, comment.standard_id)
    if not can(request.user, "change", standard.province):
        raise PermissionDenied
    form = DispositionForm(request.POST)
    if form.is_valid():
        try:
            services.comment_dispose(actor=request.user, comment_id=comment.pk,
                                     disposition=form.cleaned_data["disposition"], reason=form.cleaned_data["reason"])
            messages.success(request, _("处理意见已记录。"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("请选择处理意见。"))
    return redirect(reverse("standards:comments", args=[standard.pk]) + f"#comment-{comment.pk}")


def comments_export(request, pk: int):
    standard = _visible_standard(request.user, pk)
    headers = [_("序号"), _("条款"), _("意见内容"), _("修改建议"), _("提出省市"), _("提出时间"), _("处理意见"),
               _("处理理由")]
    rows = [[n, c.clause, c.text, c.suggestion, c.province.name_zh, c.created_at.strftime("%Y-%m-%d"),
             c.get_disposition_display(), c.disposition_reason]
            for n, c in enumerate(standard.comments.select_related("province"), start=1)]
    return xlsx_response(f"comments-{standard.pk}.xlsx", [Sheet(_("意见处理表"), headers, rows)])


@login_required
def import_standards(request):
    from sharing.standard_sheets import COLUMNS
    from sharing.standard_sheets import import_standards as run_import

    provinces = list(provinces_for(request.user, "add").select_related("association").ordered())
    if not provinces:
        raise PermissionDenied
    report = None
    if request.method == "POST" and request.POST.get("province") not in {str(p.pk) for p in provinces}:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        province = next(p for p in provinces if str(p.pk) == form.cleaned_data["province"])
        report = run_import(actor=request.user, province=province, uploaded=form.cleaned_data["file"],
                            valid_rows_only=form.cleaned_data["valid_rows_only"])
        if report.imported:
            messages.success(request, _("导入完成：新增 %(c)s 条，更新 %(u)s 条，未变 %(n)s 条。") % {
                "c": report.created, "u": report.updated, "n": report.unchanged})
    return render(request, "sharing/import.html", {"form": form, "report": report,
                                                   "columns": [c[0] for c in COLUMNS]})


def import_template(request):
    from sharing.standard_sheets import COLUMNS

    example = ["T/SAQ 1—2024", "质量管理 小组活动成果评价准则", "Evaluation of QC circle results", "03.120.10", "A00",
               "实施", "2023-05-01", "2024-01-10", "2024-03-01", "", "适用于企业质量管理小组成果的评价。",
               "上海市质量协会", "是"]
    return xlsx_response("standards-import-template.xlsx",
                         [Sheet(_("团体标准"), [c[0] for c in COLUMNS], [example])])
