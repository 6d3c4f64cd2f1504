"""Thin site views of evaluation programmes: fetch through the gate and the selectors, call a service, render."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hub.permissions import can, province_ids_for
from sharing import evaluation_selectors as sel
from sharing import evaluations as svc
from sharing.models.evaluations import (
    Application,
    Criterion,
    Programme,
    Result,
    ResultRecognition,
    ScoreSheet,
)

TIMELINE = (
    ("apply_opens", gettext_lazy("申报开始")), ("apply_closes", gettext_lazy("申报截止")),
    ("check_closes", gettext_lazy("形式审查截止")), ("review_closes", gettext_lazy("评审截止")),
    ("announce_closes", gettext_lazy("公示截止")), ("publish_on", gettext_lazy("发布")),
)


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def programme_list(request):
    return render(request, "sharing/evaluations/list.html", {
        "programmes": sel.public_programmes(),
        "organised": sel.organised_programmes(request.user).exclude(pk__in=sel.public_programmes().values("pk"))
        if request.user.is_authenticated else [],
        "may_create": request.user.is_authenticated and bool(province_ids_for(request.user, "change")),
    })


def programme_detail(request, pk: int):
    programme = sel.visible_programme(request.user, pk)
    if programme is None:
        raise Http404
    enterprise = getattr(request.user, "enterprise", None) if request.user.is_authenticated else None
    organiser = Programme.objects.organised_by(request.user, "view").filter(pk=pk).exists()
    return render(request, "sharing/evaluations/detail.html", {
        "programme": programme,
        "criteria": programme.criteria.all(),
        "levels": programme.levels.all(),
        "timeline": [(label, getattr(programme, field)) for field, label in TIMELINE],
        "results": sel.public_results(programme),
        "recognitions": sel.recognitions_of(programme),
        "co_organisers": programme.co_organisers.all(),
        "enterprise": enterprise,
        "my_applications": Application.objects.of_applicant(request.user).filter(programme=programme),
        "organiser": organiser,
        "recognisable": _recognisable(request.user, programme),
    })


def _recognisable(user, programme):
    """Provinces other than the lead on whose behalf the user may decide recognition (public programmes only)."""
    from hub.models import Province
    from hub.permissions import province_ids_for

    if not user.is_authenticated or programme.stage in (Programme.Stage.DRAFT, Programme.Stage.SIGNOFF):
        return []
    return list(Province.objects.filter(pk__in=province_ids_for(user, "review")).exclude(pk=programme.province_id)
                .order_by("order"))


class ApplicationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("申报成果名称"), max_length=120)
    summary = forms.CharField(label=gettext_lazy("成果简介"), widget=forms.Textarea(attrs={"rows": 6}))
    employer_names = forms.CharField(label=gettext_lazy("其他参与单位"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 2}),
                                     help_text=gettext_lazy("每行一个；抽取评审时回避这些单位的专家。"))
    attachment = forms.FileField(label=gettext_lazy("上传附件"), required=False,
                                 help_text=gettext_lazy("成果报告、证明材料等：PDF、Office 文档或图片，每个不超过 20 MB，"
                                                        "最多 10 个。保存草稿时上传。"))


@login_required
def application_edit(request, pk: int, application_id: int | None = None):
    programme = get_object_or_404(Programme.objects.public(), pk=pk)
    application = None
    if application_id is not None:
        application = get_object_or_404(Application.objects.of_applicant(request.user), pk=application_id,
                                        programme=programme)
    initial = {"title": application.title, "summary": application.summary,
               "employer_names": application.employer_names} if application else None
    if request.method == "POST" and "remove" in request.POST and application is not None:
        try:
            svc.attachment_remove(actor=request.user, attachment_id=int(request.POST["remove"]))
            messages.success(request, _("附件已删除。"))
        except ValidationError as error:
            _errors(request, error)
        except ValueError:
            messages.error(request, _("请求不完整，请刷新页面后重试。"))
        return redirect("evaluations:apply_edit", programme.pk, application.pk)
    form = ApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = svc.application_save(actor=request.user, programme_id=programme.pk,
                                             application_id=application.pk if application else None,
                                             **{k: v for k, v in form.cleaned_data.items() if k != "attachment"})
                if form.cleaned_data.get("attachment"):
                    svc.attachment_add(actor=request.user, application_id=saved.pk,
                                       file=form.cleaned_data["attachment"])
            if "submit" not in request.POST:
                messages.success(request, _("草稿已保存。"))
                return redirect("evaluations:apply_edit", programme.pk, saved.pk)
            saved = svc.application_submit(actor=request.user, application_id=saved.pk)
            messages.success(request, _("申报已提交，回执编号 %(receipt)s。") % {"receipt": saved.receipt})
            return redirect("evaluations:mine")
        except PermissionDenied as error:
            messages.error(request, str(error) or _("没有申报权限。"))
            status = 403
        except ValidationError as error:
            _errors(request, error)
    return render(request, "sharing/evaluations/apply.html", {
        "programme": programme, "form": form, "application": application,
        "attachments": sel.attachments_of(application) if application else [],
        "max_mb": settings.WAGTAILDOCS_MAX_UPLOAD_SIZE // (1024 * 1024)}, status=status)


class EnterpriseSignUpForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("企业名称"), max_length=100)
    credit_code = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=18, min_length=18)
    province = forms.ModelChoiceField(label=gettext_lazy("所在省市"), queryset=None, empty_label=None)
    contact = forms.CharField(label=gettext_lazy("联系人"), max_length=32)
    email = forms.EmailField(label=gettext_lazy("电子邮箱"))
    password = forms.CharField(label=gettext_lazy("密码"), widget=forms.PasswordInput, min_length=8)

    def __init__(self, *args, **kwargs):
        from hub.models import Province

        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.filter(is_member=True).order_by("order")


def enterprise_sign_up(request):
    """An enterprise registers its account; its province confirms it before it may apply."""
    form = EnterpriseSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = svc.enterprise_sign_up(**form.cleaned_data)
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {"__all__": error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return render(request, "sharing/evaluations/signed_up.html", {"enterprise": enterprise})
    return render(request, "sharing/evaluations/sign_up.html", {"form": form})


@login_required
def my_applications(request):
    return render(request, "sharing/evaluations/mine.html", {
        "applications": Application.objects.of_applicant(request.user).select_related("programme", "result"),
        "enterprise": getattr(request.user, "enterprise", None),
    })


@login_required
def review_list(request):
    return render(request, "sharing/evaluations/review_list.html", {"sheets": sel.sheets_for_reviewer(request.user)})


@login_required
def sheet(request, sheet_id: int):
    item = get_object_or_404(sel.sheets_for_reviewer(request.user), pk=sheet_id)
    programme = item.application.programme
    criteria = list(programme.criteria.all())
    if request.method == "POST":
        try:
            if "declare" in request.POST:
                svc.sheet_declare(actor=request.user, sheet_id=item.pk, conflict=request.POST["declare"] == "conflict",
                                  note=request.POST.get("note", ""))
                messages.success(request, _("已记录您的利益冲突声明。"))
            else:
                scores = {c.pk: (request.POST.get(f"points-{c.pk}", ""), request.POST.get(f"comment-{c.pk}", ""))
                          for c in criteria}
                svc.sheet_submit(actor=request.user, sheet_id=item.pk, scores=scores)
                messages.success(request, _("评分已提交。"))
                return redirect("evaluations:review")
            return redirect("evaluations:sheet", item.pk)
        except ValidationError as error:
            _errors(request, error)
    scores = {s.criterion_id: s for s in item.scores.all()}
    rows = [{"criterion": c, "score": scores.get(c.pk),
             "posted": request.POST.get(f"points-{c.pk}", ""), "comment": request.POST.get(f"comment-{c.pk}", "")}
            for c in criteria]
    return render(request, "sharing/evaluations/sheet.html", {
        "sheet": item, "programme": programme, "rows": rows,
        "show_application": item.status in sel.SEEING,
        "attachments": sel.attachments_of(item.application) if item.status in sel.SEEING else [],
    })


@login_required
def manage(request, pk: int):
    programme = get_object_or_404(Programme.objects.organised_by(request.user, "view"), pk=pk)
    rows = sel.progress(programme)
    from hub.permissions import province_ids_for

    return render(request, "sharing/evaluations/manage.html", {
        "sheets": ScoreSheet.objects.filter(application__programme=programme, status=ScoreSheet.Status.SUBMITTED)
        .select_related("seat__expert", "application__enterprise"),
        "results": sel.public_results(programme).exclude(status=Result.Status.REVOKED),
        "signable": [p for p in programme.co_organisers.all()
                     if p.pk in province_ids_for(request.user, "publish")
                     and not programme.signoffs.filter(province=p).exists()],
        "programme": programme, "rows": rows, "reviewers": sel.reviewer_progress(programme),
        "threshold": programme.disagreement_points,
        "flagged": [r for r in rows if r.disagrees(programme.disagreement_points)],
        "may_publish": can(request.user, "publish", programme.province),
        "may_edit": can(request.user, "change", programme.province),
        "consensus_meeting": programme.consensus_meeting,
    })


ORGANISER_ACTIONS = {
    # POST "do" → (service, the extra POST fields it takes, success message)
    "advance": (svc.programme_advance, (), gettext_lazy("已进入下一阶段。")),
    "submit": (svc.programme_submit, (), gettext_lazy("已提交：联合项目等待各联合主办方确认，本省项目已开放申报。")),
    "draw": (svc.panel_draw, (), gettext_lazy("评审组已抽取，抽取记录可复现。")),
    "announce": (svc.results_announce, (), gettext_lazy("评价结果已公示。")),
    "publish": (svc.results_publish, (), gettext_lazy("评价结果已发布，获奖者的证书可以查验。")),
}


@login_required
@require_POST
def manage_action(request, pk: int):
    """The organiser's buttons on the progress page; each is one service call."""
    programme = get_object_or_404(Programme.objects.organised_by(request.user, "view"), pk=pk)
    action = request.POST.get("do", "")
    try:
        if action in ORGANISER_ACTIONS:
            service, _fields, done = ORGANISER_ACTIONS[action]
            service(actor=request.user, programme_id=programme.pk)
            messages.success(request, done)
        elif action == "signoff":
            from hub.models import Province

            province = get_object_or_404(Province, code=request.POST.get("province", ""))
            svc.programme_signoff(actor=request.user, programme_id=programme.pk, province=province)
            messages.success(request, _("已代表%(p)s确认。") % {"p": province.name})
        elif action == "reopen":
            svc.sheet_reopen(actor=request.user, sheet_id=int(request.POST.get("sheet", 0)),
                             reason=request.POST.get("reason", ""))
            messages.success(request, _("评分表已退回重评，原因已记入审计日志。"))
        elif action == "consensus_session":
            starts_at = forms.DateTimeField(required=False).clean(request.POST.get("starts_at", "").replace("T", " "))
            svc.consensus_session_schedule(actor=request.user, programme_id=programme.pk, starts_at=starts_at,
                                           place=request.POST.get("place", ""),
                                           online_link=request.POST.get("online_link", ""))
            messages.success(request, _("合议会议已安排，评审组成员已加入会议，可在会上共同记录。"))
        elif action == "consensus":
            svc.consensus_record(actor=request.user, application_id=int(request.POST.get("application", 0)),
                                 total=request.POST.get("total", ""))
            messages.success(request, _("合议总分已记录。"))
        elif action == "revoke":
            svc.result_revoke(actor=request.user, result_id=int(request.POST.get("result", 0)),
                              reason=request.POST.get("reason", ""))
            messages.success(request, _("结果已撤销，证书查验页会显示撤销原因。"))
        else:
            raise Http404
    except (PermissionDenied, Http404):  # a service finds nothing it may act on: the role lacks the action
        messages.error(request, _("您没有执行此操作的权限。"))
    except ValidationError as error:
        _errors(request, error)
    except ValueError:
        messages.error(request, _("请求不完整，请刷新页面后重试。"))
    return redirect("evaluations:manage", programme.pk)


@login_required
def check(request):
    """形式审查 by the applicant's home province, and confirmation of enterprise accounts."""
    from sharing.models.evaluations import Enterprise

    if request.method == "POST":
        try:
            if "enterprise" in request.POST:
                svc.enterprise_confirm(actor=request.user, enterprise_id=int(request.POST["enterprise"]))
                messages.success(request, _("企业账号已确认。"))
            else:
                svc.application_check(actor=request.user, application_id=int(request.POST.get("application", 0)),
                                      decision=request.POST.get("decision", ""), reason=request.POST.get("reason", ""))
                messages.success(request, _("形式审查结论已记录，申报企业可以看到。"))
        except ValidationError as error:
            _errors(request, error)
        except ValueError:
            messages.error(request, _("请求不完整，请刷新页面后重试。"))
        return redirect("evaluations:check")
    return render(request, "sharing/evaluations/check.html", {
        "applications": sel.applications_to_check(request.user),
        "enterprises": Enterprise.objects.restrict(request.user, "change").filter(
            status=Enterprise.Status.PENDING).select_related("province"),
    })


def verify(request):
    code = request.GET.get("code", "").strip()
    result = sel.verify(code) if code else None
    return render(request, "sharing/evaluations/verify.html", {
        "code": code, "result": result, "searched": bool(code),
        "recognitions": sel.recognitions_of(result.application.programme) if result else [],
    }, status=200 if result or not code else 404)


@require_POST
def objection(request, result_id: int):
    result = get_object_or_404(Result.objects.public(), pk=result_id)
    try:
        svc.objection_file(result_id=result.pk, name=request.POST.get("name", ""),
                           contact=request.POST.get("contact", ""), text=request.POST.get("text", ""))
        messages.success(request, _("异议已收到，主办方将在公示期结束前处理。"))
    except ValidationError as error:
        _errors(request, error)
    return redirect("evaluations:programme", result.application.programme_id)


def certificate(request, code: str):
    """The PDF certificate of a published, awarded result; revoked or unknown codes have none."""
    from django.http import HttpResponse

    from sharing.certificates import certificate_pdf

    result = sel.verify(code)
    if result is None or result.status != Result.Status.PUBLISHED or not result.is_awarded:
        raise Http404
    response = HttpResponse(certificate_pdf(result), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{result.code}.pdf"'
    return response


def recognition_matrix(request):
    provinces, rows = sel.recognition_matrix()
    return render(request, "sharing/evaluations/matrix.html", {"provinces": provinces, "rows": rows})


@login_required
def export(request, pk: int):
    """The organiser's XLSX of applications and scores (audited: it names contact people)."""
    content = svc.applications_export(actor=request.user, programme_id=pk)
    from hub.spreadsheets import download

    return download(f"evaluation-{pk}.xlsx", content)


def _ics(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


def programme_ical(request, pk: int):
    """The programme's timeline as all-day events (public programmes only)."""
    from sharing import evaluation_calendar

    programme = get_object_or_404(Programme.objects.public(), pk=pk)
    return _ics(evaluation_calendar.calendar([programme], name=programme.title), f"evaluation-{pk}")


def calendar_all(request):
    """Every public programme's timeline, to subscribe to."""
    from sharing import evaluation_calendar

    return _ics(evaluation_calendar.calendar(sel.public_programmes().order_by("pk"), name=_("质量评价项目日程")),
                "evaluations")


class RecognitionForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("决定"), choices=ResultRecognition.Outcome.choices,
                                widget=forms.RadioSelect)
    equivalent_to = forms.ModelChoiceField(label=gettext_lazy("视同本省项目"), queryset=Programme.objects.none(),
                                           required=False)
    conditions = forms.CharField(label=gettext_lazy("认可条件"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    rationale = forms.CharField(label=gettext_lazy("理由"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_url = forms.URLField(label=gettext_lazy("依据链接"), required=False, assume_scheme="https")

    def __init__(self, *args, province, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["equivalent_to"].queryset = Programme.objects.filter(province=province).order_by("title")


@login_required
def recognise(request, pk: int, code: str):
    """A province's reviewers decide whether its results recognise this programme's (a newer decision supersedes)."""
    from hub.models import Province
    from hub.permissions import require

    province = get_object_or_404(Province, code=code)
    require(request.user, "review", province)
    programme = get_object_or_404(Programme.objects.public().select_related("province"), pk=pk)
    if programme.province_id == province.pk:
        raise Http404
    form = RecognitionForm(request.POST or None, province=province)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            svc.recognition_decide(actor=request.user, programme_id=programme.pk, province=province,
                                   outcome=data["outcome"], rationale=data["rationale"],
                                   equivalent_to_id=data["equivalent_to"].pk if data["equivalent_to"] else None,
                                   conditions=data["conditions"], evidence_url=data["evidence_url"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("互认决定已记录。"))
            return redirect("evaluations:programme", programme.pk)
    return render(request, "sharing/evaluations/recognise.html", {
        "programme": programme, "province": province, "form": form,
        "history": sel.recognition_history(programme, province)})


# --- creating a programme and its rubric ---------------------------------------------------------------------------
PROGRAMME_FIELDS = ["title", "kind", "summary", "eligibility", "aggregation", "disagreement_points", "panel_size",
                    "reserves", "cap_per_province", "cap_per_employer", "avoid_applicant_province", "apply_opens",
                    "apply_closes", "check_closes", "review_closes", "announce_closes", "publish_on"]


class ProgrammeForm(forms.ModelForm):
    lead = forms.ModelChoiceField(label=gettext_lazy("主办省市"), queryset=None, empty_label=None)
    partners = forms.ModelMultipleChoiceField(label=gettext_lazy("联合主办省市"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text=gettext_lazy("选择后为联合项目：各联合主办方确认后才开放申报。"))

    class Meta:
        model = Programme
        fields = PROGRAMME_FIELDS
        widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in ("apply_opens", "check_closes",
                                                                               "publish_on")} | {
            name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            for name in ("apply_closes", "review_closes", "announce_closes")} | {
            "summary": forms.Textarea(attrs={"rows": 3}), "eligibility": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        from hub.models import Province
        from hub.permissions import province_ids_for

        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = Province.objects.filter(pk__in=province_ids_for(user, "change")).order_by(
            "order")
        self.fields["partners"].queryset = Province.objects.filter(is_member=True).order_by("order")


@login_required
def programme_new(request):
    """A province's staff create a programme (a draft), then set its rubric."""
    form = ProgrammeForm(request.POST or None, user=request.user)
    allowed = {str(pk) for pk in form.fields["lead"].queryset.values_list("pk", flat=True)}
    if not allowed or (request.method == "POST" and request.POST.get("lead") not in allowed):
        raise PermissionDenied  # another province's programme is not the user's to create
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PROGRAMME_FIELDS}
        try:
            programme = svc.programme_create(actor=request.user, province=form.cleaned_data["lead"],
                                             co_organisers=list(form.cleaned_data["partners"]), **data)
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {"__all__": error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("项目草稿已建立，请设置评价准则和结果等级。"))
            return redirect("evaluations:rubric", programme.pk)
    return render(request, "sharing/evaluations/new.html", {"form": form})


class ProgrammeEditForm(ProgrammeForm):
    """The programme form without the lead (a programme never changes province). Once the programme is open only
    the dates still ahead stay editable; the others are shown disabled (the service enforces the same rule)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        del self.fields["lead"]
        programme = self.instance
        self.fields["partners"].initial = list(programme.co_organisers.values_list("pk", flat=True))
        if programme.stage in (Programme.Stage.DRAFT, Programme.Stage.SIGNOFF):
            return
        from django.utils import timezone

        now = timezone.now()
        dates = dict(svc.TIMELINE_FIELDS)
        for name, field in self.fields.items():
            if name not in dates or programme.stage == Programme.Stage.PUBLISHED or svc._passed(
                    getattr(programme, name), dates[name], now):
                field.disabled = True

    def _post_clean(self):
        pass  # the service validates a fresh, locked copy; the form's instance stays as read


@login_required
def programme_edit(request, pk: int):
    """The lead province's staff edit a programme: everything before it opens (a joint programme awaiting sign-off
    goes back to draft), only the dates still ahead afterwards."""
    programme = get_object_or_404(Programme.objects.restrict(request.user, "change"), pk=pk)
    form = ProgrammeEditForm(request.POST or None, instance=programme, user=request.user)
    if request.method == "POST" and form.is_valid():
        changed = [name for name in form.changed_data if name in PROGRAMME_FIELDS]
        partners = list(form.cleaned_data["partners"]) if "partners" in form.changed_data else None
        was_signoff = programme.stage == Programme.Stage.SIGNOFF
        try:
            saved = svc.programme_update(actor=request.user, programme_id=programme.pk, co_organisers=partners,
                                         **{name: form.cleaned_data[name] for name in changed})
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {"__all__": error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if was_signoff and saved.stage == Programme.Stage.DRAFT:
                messages.success(request, _("项目已修改并退回草稿，联合主办方的确认已清除，请重新提交会签。"))
            else:
                messages.success(request, _("项目已修改。"))
            return redirect("evaluations:manage", programme.pk)
    return render(request, "sharing/evaluations/edit.html", {"form": form, "programme": programme})


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = ["order", "name", "max_points", "weight", "descriptors", "guidance"]
        widgets = {"descriptors": forms.Textarea(attrs={"rows": 3}), "guidance": forms.Textarea(attrs={"rows": 2})}


class LevelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("等级"), max_length=32)
    min_total = forms.DecimalField(label=gettext_lazy("最低总分"), max_digits=8, decimal_places=2)
    awarded = forms.BooleanField(label=gettext_lazy("授予证书"), required=False, initial=True)


@login_required
def rubric(request, pk: int):
    """The organiser sets the rubric (criteria, each change a new version) and the result levels; both are frozen
    once scoring starts."""
    programme = get_object_or_404(Programme.objects.restrict(request.user, "change"), pk=pk)
    # ?criterion=<id> / ?level=<id> open that row for editing; the POST names it in "criterion" / "level_id".
    source = request.POST if request.method == "POST" else request.GET
    editing_criterion = editing_level = None
    try:
        if source.get("criterion"):
            editing_criterion = get_object_or_404(programme.criteria, pk=int(source["criterion"]))
        if source.get("level_id") or (request.method == "GET" and source.get("level")):
            editing_level = get_object_or_404(programme.levels, pk=int(source.get("level_id") or source["level"]))
    except ValueError:
        raise Http404 from None
    criterion_form = CriterionForm(request.POST if "criterion" in request.POST else None, prefix="c",
                                   instance=editing_criterion)
    level_form = LevelForm(request.POST if "level" in request.POST else None, prefix="l", initial={
        "name": editing_level.name, "min_total": editing_level.min_total, "awarded": editing_level.awarded}
        if editing_level else None)
    if request.method == "POST":
        try:
            if "delete_criterion" in request.POST:
                svc.criterion_delete(actor=request.user, programme_id=programme.pk,
                                     criterion_id=int(request.POST["delete_criterion"]))
                messages.success(request, _("评价项已删除（新版本）。"))
                return redirect("evaluations:rubric", programme.pk)
            if "delete_level" in request.POST:
                svc.level_delete(actor=request.user, programme_id=programme.pk,
                                 level_id=int(request.POST["delete_level"]))
                messages.success(request, _("结果等级已删除。"))
                return redirect("evaluations:rubric", programme.pk)
            if "criterion" in request.POST and criterion_form.is_valid():
                svc.criterion_save(actor=request.user, programme_id=programme.pk,
                                   criterion_id=editing_criterion.pk if editing_criterion else None,
                                   **{k: v for k, v in criterion_form.cleaned_data.items()})
                messages.success(request, _("评价准则已更新（新版本）。"))
                return redirect("evaluations:rubric", programme.pk)
            if "level" in request.POST and level_form.is_valid():
                svc.level_save(actor=request.user, programme_id=programme.pk,
                               level_id=editing_level.pk if editing_level else None, **level_form.cleaned_data)
                messages.success(request, _("结果等级已修改。") if editing_level else _("结果等级已添加。"))
                return redirect("evaluations:rubric", programme.pk)
        except ValidationError as error:
            _errors(request, error)
        except ValueError:
            messages.error(request, _("请求不完整，请刷新页面后重试。"))
    return render(request, "sharing/evaluations/rubric.html", {
        "programme": programme, "criteria": programme.criteria.all(), "levels": programme.levels.all(),
        "criterion_form": criterion_form, "level_form": level_form,
        "editing_criterion": editing_criterion, "editing_level": editing_level})


def enterprise_results(request, pk: int):
    """The public results register of one enterprise: its announced, published and revoked results, each with where
    other provinces recognise it. An enterprise without public results has no page (its account stays private)."""
    results = sel.enterprise_results(pk)
    if not results:
        raise Http404
    return render(request, "sharing/evaluations/enterprise.html", {
        "enterprise": results[0].application.enterprise, "results": results})
