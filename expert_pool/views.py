"""Thin views of the expert pool: authenticate, fetch through the gate, call a service, render."""
from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from expert_pool import duplicates, expert_sheets, selectors, services, visibility
from expert_pool.forms import (
    AvailabilityForm,
    ConflictForm,
    DirectoryForm,
    ImportForm,
    ProfileForm,
    ProfileRegistrationForm,
    RateForm,
    RegistrationForm,
    RequestForm,
)
from expert_pool.models import Assignment, Draw, Expert, ExpertRequest, joined
from hub import spreadsheets
from hub.fragments import lazy_context
from hub.models import Province
from hub.permissions import can, is_unrestricted, province_ids_for, provinces_for
from hub.redirects import safe_next

PAGE_SIZE = 20


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _directory_form(request) -> DirectoryForm:
    """The directory's filter form; the availability dates only for those who may read some availability."""
    from expert_pool import read_rules as read

    form = DirectoryForm(request.GET or None)
    if not read.may_read_some_availability(request.user):
        form.fields.pop("available_from", None)
        form.fields.pop("available_to", None)
    return form


def _filters(form: DirectoryForm) -> selectors.DirectoryFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.DirectoryFilters(
        q=data.get("q") or "", specialism=getattr(data.get("specialism"), "pk", None),
        qualification=getattr(data.get("qualification"), "pk", None),
        province=getattr(data.get("province"), "pk", None), language=data.get("language") or "",
        available_from=data.get("available_from"), available_to=data.get("available_to"))


def _card(user, expert) -> dict:
    return {"expert": expert, "fields": visibility.visible_fields(user, expert)}


def directory(request):
    """专家库: faceted search; each card shows only what the visitor may read. Computed only when the content is
    not kept already (hub/fragments.py)."""
    keys = ["facets", "form", "page", "cards", "querystring", "can_export", "can_import"]
    return render(request, "expert_pool/directory.html", {**lazy_context(lambda: _directory(request), keys),
                                                           "cache_content": True})


def _directory(request) -> dict:
    form = _directory_form(request)
    filters = _filters(form)
    experts = selectors.directory_search(request.user, filters)
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    facets = selectors.directory_facets(request.user, filters)
    for key, items in facets.items():
        for item in items:
            toggled = query.copy()
            if item["selected"]:
                toggled.pop(key, None)
            else:
                toggled[key] = item["value"]
            item["href"] = "?" + toggled.urlencode()
    labels = {"specialism": _("专业领域"), "qualification": _("资格"), "province": _("省市"), "language": _("语言")}
    return {
        "facets": [(labels[key], key, items) for key, items in facets.items() if items],
        "form": form, "page": page, "cards": [_card(request.user, e) for e in page.object_list],
        "querystring": query.urlencode(), "can_export": bool(province_ids_for(request.user, "view")),
        "can_import": bool(province_ids_for(request.user, "coordinate")),
    }


def profile(request, pk: int):
    expert = selectors.expert_for_viewer(request.user, pk)
    fields = visibility.visible_fields(request.user, expert)
    level = visibility.viewer_level(request.user, expert)
    context = {"expert": expert, "fields": fields, "level": level,
               "can_coordinate": can(request.user, "coordinate", expert.province_id),
               "can_request": bool(selectors.requester_province_ids(request.user)) and expert.status == "active"}
    if level != visibility.PUBLIC:
        context["availability"] = list(expert.availability.prefetch_related("regions"))
    if level == visibility.HOME:
        context["conflicts"] = list(expert.conflicts.all())
    if context["can_coordinate"]:
        from expert_pool.forms import VisibilityFields

        context["visibility_form"] = VisibilityFields(current=expert.visibility)
        context["next_statuses"] = [Expert.Status(s) for s in services.STATUS_FLOW[expert.status]]
    return render(request, "expert_pool/profile.html", context)


@require_POST
@login_required
def manage(request, pk: int):
    """The home coordinator's actions on a profile: status, pending changes, visibility."""
    expert = get_object_or_404(Expert.objects.restrict(request.user, "coordinate"), pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "status":
            services.expert_set_status(actor=request.user, expert_id=expert.pk, status=request.POST.get("status", ""),
                                       reason=request.POST.get("reason", ""))
        elif action == "not_duplicate":
            services.expert_dismiss_duplicate(actor=request.user, expert_id=expert.pk)
        elif action in ("accept_changes", "reject_changes"):
            services.expert_review_changes(actor=request.user, expert_id=expert.pk,
                                           accept=action == "accept_changes")
        elif action == "visibility":
            from expert_pool.forms import VisibilityFields

            form = VisibilityFields(request.POST, current=expert.visibility)
            if not form.is_valid():
                raise ValidationError(_("请选择有效的公开范围。"))
            services.expert_set_visibility(actor=request.user, expert_id=expert.pk,
                                           visibility_=form.visibility_value())
        else:
            raise ValidationError(_("未知操作。"))
        messages.success(request, _("已保存。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("expert_pool:profile", pk=expert.pk)


COMPARE_FIELDS = [("external_ref", _("编号")), ("status", _("状态")), ("name", _("姓名")),
                  ("employer", _("工作单位")), ("title", _("职称")), ("phone", _("电话")), ("email", _("电子邮箱")),
                  ("industries", _("熟悉行业")), ("bio", _("个人简介"))]


@login_required
def compare(request, pk: int, other: int):
    """Two records side by side for the home coordinator, who may merge one into the other."""
    scope = Expert.objects.restrict(request.user, "coordinate").prefetch_related("specialisms", "qualifications")
    left, right = get_object_or_404(scope, pk=pk), get_object_or_404(scope, pk=other)
    if request.method == "POST":
        keep = left if request.POST.get("keep") == str(left.pk) else right
        drop = right if keep is left else left
        try:
            services.expert_merge(actor=request.user, keep_id=keep.pk, drop_id=drop.pk)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已合并，保留编号 %(ref)s。") % {"ref": keep.external_ref})
            return redirect("expert_pool:profile", pk=keep.pk)
    rows = []
    for name, label in COMPARE_FIELDS:
        a = left.get_status_display() if name == "status" else getattr(left, name)
        b = right.get_status_display() if name == "status" else getattr(right, name)
        rows.append({"label": label, "left": a, "right": b, "same": a == b})
    for name, label in (("specialisms", _("专业领域")), ("qualifications", _("资格"))):
        a = joined(x.label for x in getattr(left, name).all())
        b = joined(x.label for x in getattr(right, name).all())
        rows.append({"label": label, "left": a, "right": b, "same": a == b})
    reasons = duplicates.matches([right], name=left.name, employer=left.employer, phone=left.phone,
                                 email=left.email)
    flagged = next((e for e, o in ((left, right), (right, left)) if e.possible_duplicate_of_id == o.pk), None)
    return render(request, "expert_pool/compare.html", {
        "left": left, "right": right, "rows": rows, "flagged": flagged,
        "reasons": [str(duplicates.REASON_LABELS[r]) for r in (reasons[0].reasons if reasons else [])]})


def register(request):
    """创建账号并填写资料: self-registration of an expert."""
    signed_in = request.user.is_authenticated
    if signed_in and Expert.objects.filter(user=request.user).exists():
        return redirect("expert_pool:my_profile")
    form = (ProfileRegistrationForm if signed_in else RegistrationForm)(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            if signed_in:
                expert = services.expert_create(user=request.user, province=form.cleaned_data["province"],
                                                **form.profile_kwargs())
            else:
                expert = services.expert_register(
                    password=form.cleaned_data["password"], province=form.cleaned_data["province"],
                    **form.profile_kwargs())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if not signed_in:
                login(request, expert.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("您的登录用户名是 %(username)s，请与密码一起牢记。") % {
                    "username": expert.user.username})
            messages.success(request, _("登记成功。本省协会专家协调员审核通过后，您的资料将在专家库中公开。"))
            return redirect("expert_pool:my_profile")
    return render(request, "expert_pool/register.html", {"form": form})


@login_required
def my_profile(request):
    expert = Expert.objects.filter(user=request.user).prefetch_related("specialisms", "qualifications").first()
    if expert is None:
        return redirect("expert_pool:register")
    initial = {"name": expert.name, "employer": expert.employer, "title": expert.title,
               "specialisms": list(expert.specialisms.all()), "qualifications": list(expert.qualifications.all()),
               "industries": expert.industries, "languages": expert.language_codes(), "bio": expert.bio,
               "phone": expert.phone, "email": expert.email}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial, current=expert.visibility)
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.expert_update_own(actor=request.user, **form.profile_kwargs())
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            if updated.pending_changes:
                messages.success(request, _("已保存。工作单位、姓名、职称、资格的修改需本省协调员审核后生效。"))
            else:
                messages.success(request, _("已保存。"))
            return redirect("expert_pool:my_profile")
    return render(request, "expert_pool/my_profile.html", {"expert": expert, "form": form})


def _month_param(value: str | None, today: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01") if value else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


@login_required
def my_contact_consent(request):
    """The only way to make contact details public: a page that says exactly what becomes visible to whom."""
    from expert_pool.forms import ContactConsentForm

    expert = services.own_expert(request.user)
    form = ContactConsentForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "withdraw":
            services.expert_contact_consent(actor=request.user, consent=False)
            messages.success(request, _("已撤回同意：您的联系方式不再公开，仅本省协会可见。"))
            return redirect("expert_pool:my_profile")
        if form.is_valid():
            services.expert_contact_consent(actor=request.user, consent=True)
            messages.success(request, _("您的手机和电子邮箱现已向所有访问者公开，可随时在此页撤回。"))
            return redirect("expert_pool:my_profile")
    return render(request, "expert_pool/contact_consent.html", {"expert": expert, "form": form})


@login_required
def my_availability(request):
    """我的日程: the expert's months at a glance (free, asked, booked) and their availability ranges, each editable."""
    expert = services.own_expert(request.user)
    editing = None
    edit_id = request.POST.get("availability_id") or request.GET.get("edit")
    if edit_id and str(edit_id).isdigit():
        editing = get_object_or_404(expert.availability.prefetch_related("regions"), pk=int(edit_id))
    initial = {"start": editing.start, "end": editing.end, "mode": editing.mode,
               "regions": list(editing.regions.all())} if editing else None
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if editing:
                services.availability_update(actor=request.user, availability_id=editing.pk, start=data["start"],
                                             end=data["end"], mode=data["mode"], regions=data["regions"])
            else:
                services.availability_add(actor=request.user, start=data["start"], end=data["end"],
                                          mode=data["mode"], regions=data["regions"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已修改可服务时间。") if editing else _("已登记可服务时间。"))
            return redirect("expert_pool:my_availability")
    today = timezone.localdate()
    month = _month_param(request.GET.get("month"), today)
    ranges = expert.availability.prefetch_related("regions")
    booked = expert.assignments.filter(status__in=["confirmed", "completed"]).select_related("request")
    return render(request, "expert_pool/my_availability.html", {
        "expert": expert, "form": form, "ranges": ranges, "booked": booked, "editing": editing,
        "months": selectors.expert_calendar(expert, month, 3), "today": today,
        "prev_month": (month - datetime.timedelta(days=1)).strftime("%Y-%m"),
        "next_month": (month + datetime.timedelta(days=32)).strftime("%Y-%m"),
        "legend": selectors.STATE_LABELS})


@login_required
def pool_calendar(request):
    """专家日程总览: who of the coordinator's pool is free on which day, four weeks at a time."""
    provinces = provinces_for(request.user, "coordinate")
    if not provinces.exists() and not is_unrestricted(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    try:
        start = datetime.date.fromisoformat(request.GET.get("from", "")) if request.GET.get("from") else today
    except ValueError:
        start = today
    province = request.GET.get("province", "")
    province_id = int(province) if province.isdigit() else None
    experts, dates = selectors.pool_calendar(request.user, start, 28, province_id)
    free_only = request.GET.get("free") == "1"
    page = Paginator(experts, 30).get_page(request.GET.get("page"))
    rows = selectors.pool_rows(page.object_list, dates)
    if free_only:
        rows = [row for row in rows if row["free_days"]]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "expert_pool/pool_calendar.html", {
        "rows": rows, "dates": dates, "page": page, "start": start, "provinces": provinces,
        "province_id": province_id, "free_only": free_only, "querystring": query.urlencode(),
        "earlier": start - datetime.timedelta(days=28), "later": start + datetime.timedelta(days=28),
        "legend": selectors.STATE_LABELS})


@require_POST
@login_required
def availability_delete(request, pk: int):
    services.availability_remove(actor=request.user, availability_id=pk)
    messages.success(request, _("已删除。"))
    return redirect("expert_pool:my_availability")


@login_required
def my_conflicts(request):
    expert = services.own_expert(request.user)
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("已登记利益冲突。"))
            return redirect("expert_pool:my_conflicts")
    return render(request, "expert_pool/my_conflicts.html",
                  {"expert": expert, "form": form, "conflicts": expert.conflicts.all()})


@require_POST
@login_required
def conflict_delete(request, pk: int):
    services.conflict_remove(actor=request.user, conflict_id=pk)
    messages.success(request, _("已删除。"))
    return redirect("expert_pool:my_conflicts")


@login_required
def tasks(request):
    """我的待办: for experts, coordinators and requesting staff."""
    return render(request, "expert_pool/tasks.html", {"tasks": selectors.tasks_for(request.user),
                                                      "rate_form": RateForm()})


@login_required
def request_list(request):
    requests = (ExpertRequest.objects.restrict(request.user, "view")
                .select_related("requesting_province")
                .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related(
                    "expert", "expert__province"))))
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "expert_pool/request_list.html", {
        "page": page, "can_create": bool(selectors.requester_province_ids(request.user))})


@login_required
def request_new(request):
    provinces = Province.objects.filter(pk__in=selectors.requester_province_ids(request.user))
    if not provinces.exists():
        raise PermissionDenied
    initial = {}
    if request.GET.get("expert", "").isdigit():
        initial["experts"] = [int(request.GET["expert"])]
    form = RequestForm(request.POST or None, provinces=provinces, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_kwargs()
        try:
            created = services.request_create(actor=request.user, **data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("申请已提交。"))
            return redirect("expert_pool:request_detail", pk=created.pk)
    return render(request, "expert_pool/request_form.html", {"form": form})


@login_required
def request_detail(request, pk: int):
    item = get_object_or_404(ExpertRequest.objects.restrict(request.user, "view").select_related(
        "requesting_province", "created_by").prefetch_related("specialisms"), pk=pk)
    user = request.user
    assignments = list(item.assignments.select_related("expert", "expert__province"))
    is_requester = selectors.can_request_for(user, item.requesting_province_id)
    coordinate_ids = province_ids_for(user, "coordinate")
    today = timezone.localdate()
    rows = []
    for a in assignments:
        steps = []
        if a.status == "requested" and a.expert.province_id in coordinate_ids:
            steps += [("approve", _("同意借用")), ("refuse", _("不同意"))]
        if a.status == "approved" and a.expert.user_id == user.pk:
            steps += [("accept", _("接受")), ("decline", _("谢绝"))]
        if is_requester and a.status == "accepted":
            steps.append(("confirm", _("确认安排")))
        if is_requester and a.status == "confirmed" and a.start <= today:
            steps.append(("complete", _("标记完成")))
        rows.append({"assignment": a, "steps": steps, "can_rate": is_requester and a.status == "completed"
                     and a.rating is None, "card": _card(user, a.expert)})
    return render(request, "expert_pool/request_detail.html", {
        "item": item, "rows": rows, "is_requester": is_requester, "draws": item.draws.select_related("run_by"),
        "offers": selectors.request_offers(item, assignments, today) if is_requester else {},
        "rate_form": RateForm(), "expired": item.is_expired()})


@require_POST
@login_required
def request_withdraw(request, pk: int):
    try:
        services.request_withdraw(actor=request.user, request_id=pk)
        messages.success(request, _("申请已撤回。"))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("expert_pool:request_detail", pk=pk)


@require_POST
@login_required
def request_draw(request, pk: int):
    try:
        record = services.draw_run(actor=request.user, request_id=pk)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("expert_pool:request_detail", pk=pk)
    messages.success(request, _("抽取完成，已通知被抽中专家所在省协会审批。"))
    return redirect("expert_pool:draw_detail", pk=record.pk)


STEPS = {
    "approve": lambda user, pk, post: services.assignment_approve(actor=user, assignment_id=pk, approve=True,
                                                                  note=post.get("note", "")),
    "refuse": lambda user, pk, post: services.assignment_approve(actor=user, assignment_id=pk, approve=False,
                                                                 note=post.get("note", "")),
    "accept": lambda user, pk, post: services.assignment_answer(actor=user, assignment_id=pk, accept=True,
                                                                note=post.get("note", "")),
    "decline": lambda user, pk, post: services.assignment_answer(actor=user, assignment_id=pk, accept=False,
                                                                 note=post.get("note", "")),
    "confirm": lambda user, pk, post: services.assignment_confirm(actor=user, assignment_id=pk),
    "complete": lambda user, pk, post: services.assignment_complete(actor=user, assignment_id=pk),
}


@require_POST
@login_required
def assignment_step(request, pk: int, step: str):
    assignment = get_object_or_404(Assignment.objects.restrict(request.user, "view"), pk=pk)
    try:
        if step == "rate":
            form = RateForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请选择 1–5 分。"))
            services.assignment_rate(actor=request.user, assignment_id=pk, rating=form.cleaned_data["rating"],
                                     comment=form.cleaned_data["comment"])
        elif step in STEPS:
            STEPS[step](request.user, pk, request.POST)
        else:
            raise Http404
        messages.success(request, _("已完成。"))
    except ValidationError as exc:
        _errors(request, exc)
    target = safe_next(request, "")
    if target.startswith("/experts/"):
        return redirect(target)
    return redirect("expert_pool:request_detail", pk=assignment.request_id)


@login_required
def draw_detail(request, pk: int):
    record = get_object_or_404(Draw.objects.restrict(request.user, "view").select_related(
        "request", "run_by", "request__requesting_province"), pk=pk)
    principals, reserves, same = services.draw_replay(record)
    names = dict(Expert.objects.filter(pk__in=record.principal_ids + record.reserve_ids).values_list("pk", "name"))
    return render(request, "expert_pool/draw_detail.html", {
        "record": record, "replay_same": same,
        "principals": [(pk, names.get(pk, "")) for pk in record.principal_ids],
        "reserves": [(pk, names.get(pk, "")) for pk in record.reserve_ids],
        "is_requester": selectors.can_request_for(request.user, record.request.requesting_province_id)})


@require_POST
@login_required
def draw_reserve(request, pk: int):
    record = get_object_or_404(Draw.objects.restrict(request.user, "view"), pk=pk)
    try:
        assignment = services.draw_call_reserve(actor=request.user, draw_id=pk)
        messages.success(request, _("已递补备选专家：%(name)s") % {"name": assignment.expert.name})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("expert_pool:request_detail", pk=record.request_id)


def api_directory(request):
    """The directory as JSON (same filters, one page): every object carries only the fields the caller may read."""
    form = _directory_form(request)
    experts = selectors.directory_search(request.user, _filters(form))
    page = Paginator(experts, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [{"id": e.pk, "number": e.external_ref, "status": e.status,
              "url": reverse("expert_pool:profile", args=[e.pk]),
              **visibility.redacted(request.user, e)} for e in page.object_list]
    return JsonResponse({"count": page.paginator.count, "page": page.number, "pages": page.paginator.num_pages,
                         "results": items}, json_dumps_params={"ensure_ascii": False})


@login_required
def api_picker(request):
    """Expert picker suggestions: active experts matching the query, with only the fields the caller may read."""
    if not selectors.requester_province_ids(request.user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    experts = selectors.directory_search(request.user, selectors.DirectoryFilters(q=query, status="active"))[:10] \
        if query else []
    items = []
    for e in experts:
        fields = visibility.visible_fields(request.user, e)
        items.append({"id": e.pk, "number": e.external_ref, "name": e.name, "province": e.province.name,
                      "employer": e.employer if "employer" in fields else "",
                      "label": " · ".join(filter(None, [e.name, e.province.name,
                                                         e.employer if "employer" in fields else "",
                                                         e.external_ref]))})
    return JsonResponse({"results": items}, json_dumps_params={"ensure_ascii": False})


@login_required
def export(request):
    """The directory as XLSX, with every cell the viewer may not read left empty."""
    if not province_ids_for(request.user, "view") and not is_unrestricted(request.user):
        raise PermissionDenied
    form = _directory_form(request)
    experts = selectors.directory_search(request.user, _filters(form))
    body = expert_sheets.experts_export(actor=request.user, experts=experts)
    return spreadsheets.download(f"experts-{datetime.date.today():%Y%m%d}.xlsx", body)


@login_required
def import_experts(request):
    """A coordinator imports their association's existing list; all rows or none."""
    provinces = provinces_for(request.user, "coordinate")
    if not provinces.exists():
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, provinces=provinces)
    result = None
    if request.method == "POST" and form.is_valid():
        result = expert_sheets.import_workbook(actor=request.user, province=form.cleaned_data["province"],
                                         file=form.cleaned_data["file"])
        if result.ok:
            messages.success(request, _("导入完成：新增 %(created)s 名，更新 %(updated)s 名，未变 %(unchanged)s 名。")
                             % result.counts())
            if not result.flagged:  # flagged rows stay on this page, each with its comparison
                return redirect(reverse("expert_pool:directory") + f"?province={form.cleaned_data['province'].pk}")
    return render(request, "expert_pool/import.html", {"form": form, "result": result,
                                                       "columns": expert_sheets.COLUMNS})
