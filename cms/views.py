"""Thin views of events, registrations, calendars and achievements: fetch through the gate, call a service."""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms import calendar, selectors, services
from cms.events import EventCategory, EventPage, Registration
from cms.forms import RegistrationForm
from hub.csrf import origin_checked_for_anonymous
from hub.fragments import lazy_context
from hub.links import page_url
from hub.models import Province


def _event_or_404(user, pk: int) -> EventPage:
    return get_object_or_404(selectors.visible(EventPage.objects.all(), user).select_related("province"), pk=pk)


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# --- listings -------------------------------------------------------------------------------------------------


def event_list(request):
    # Computed only when the content is not kept already (hub/fragments.py).
    context = lazy_context(lambda: selectors.event_list(
        user=request.user, province=request.GET.get("province", ""), category=request.GET.get("category", ""),
        month=request.GET.get("month", ""), when=request.GET.get("when", "upcoming"), page=request.GET.get("page", 1),
    ), ["page_obj", "events", "filters", "provinces", "categories"])
    return render(request, "cms/event_list.html", {**context, "cache_content": True})


def achievement_list(request):
    context = lazy_context(lambda: selectors.achievement_list(
        user=request.user, province=request.GET.get("province", ""), type=request.GET.get("type", ""),
        year=request.GET.get("year", ""), tag=request.GET.get("tag", ""), adopted=request.GET.get("adopted", ""),
        page=request.GET.get("page", 1),
    ), ["page_obj", "achievements", "filters", "provinces", "types", "years"])
    return render(request, "cms/achievement_list.html", {**context, "cache_content": True})


# --- registration ---------------------------------------------------------------------------------------------


@origin_checked_for_anonymous  # the form sits in anonymous event pages a cache keeps: no token there
@require_POST
def register(request, pk: int):
    event = _event_or_404(request.user, pk)
    form = RegistrationForm(request.POST, questions=event.questions.all())
    if form.is_valid():
        try:
            registration = services.registration_create(
                event_id=event.pk, name=form.cleaned_data["name"], email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"], organisation=form.cleaned_data["organisation"],
                answers=form.answers(), user=request.user,
            )
        except ValidationError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, {
                Registration.CONFIRMED: _("报名成功，确认邮件已发送，附有日历文件。"),
                Registration.PENDING: _("报名已提交，主办方审核后会以邮件通知您。"),
                Registration.WAITLISTED: _("名额已满，您已进入候补名单；有人取消时将自动递补并邮件通知。"),
            }[registration.status])
            return redirect(event.get_url(request) + "#registration")
    return render(request, "cms/event_page.html", {
        "page": event, "self": event, "registration_form": form,
        **selectors.event_detail(event=event, user=request.user),
    }, status=400)


def registration_cancel(request, token):
    registration = get_object_or_404(Registration.objects.select_related("event"), token=token)
    if request.method == "POST":
        try:
            services.registration_cancel(token=token)
        except ValidationError as exc:
            for message in _error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("报名已取消。"))
        return redirect("cms:registration_cancel", token=token)
    return render(request, "cms/registration_cancel.html", {"registration": registration,
                                                            "event": registration.event})


@login_required
def my_registrations(request):
    return render(request, "cms/my_registrations.html", {
        "registrations": selectors.my_registrations(user=request.user),
        "active_statuses": Registration.ACTIVE_STATUSES,
    })


@login_required
@require_POST
def my_registration_cancel(request, pk: int):
    try:
        registration = services.registration_cancel_own(user=request.user, registration_id=pk)
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("已取消“%(title)s”的报名。") % {"title": registration.event.title})
    return redirect("cms:my_registrations")


def _organised_event(user, pk: int) -> EventPage:
    event = get_object_or_404(EventPage.objects.select_related("province"), pk=pk)
    if not selectors.organises(user=user, event=event):
        raise Http404
    return event


@login_required
def registrations(request, pk: int):
    event = _organised_event(request.user, pk)
    rows = list(selectors.registrations_for(user=request.user, event=event))
    from hub.permissions import can

    return render(request, "cms/registrations.html", {
        "event": event, "registrations": rows, "may_decide": can(request.user, "change", event.province),
        "questions": list(event.questions.all()),
    })


@login_required
def registrations_export(request, pk: int, fmt: str):
    _organised_event(request.user, pk)
    filename, content, content_type = services.registrations_export(actor=request.user, event_id=pk, fmt=fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def registration_decide(request, pk: int):
    registration = get_object_or_404(Registration.objects.restrict(request.user, "view"), pk=pk)
    try:
        decided = services.registration_decide(actor=request.user, registration_id=registration.pk,
                                               approve=request.POST.get("decision") == "approve")
    except ValidationError as exc:
        for message in _error_messages(exc):
            messages.error(request, message)
    else:
        text = _("已批准 %(name)s 的报名，已邮件通知。") if decided.status == Registration.CONFIRMED else \
            _("已拒绝 %(name)s 的报名，已邮件通知。")
        messages.success(request, text % {"name": decided.name})
    return redirect("cms:registrations", pk=registration.event_id)


# --- calendars ------------------------------------------------------------------------------------------------


def _ics(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    return response


def _url_for(request):
    return page_url


def ical_all(request):
    events = selectors.feed_events()
    return _ics(calendar.calendar(events, name=_("长三角质协圆桌会议活动"), url_for=_url_for(request)), "roundtable")


def ical_province(request, code: str):
    province = get_object_or_404(Province, code=code.upper())
    events = selectors.feed_events(province=province)
    return _ics(calendar.calendar(events, name=_("%(province)s活动") % {"province": province.name_zh},
                                  url_for=_url_for(request)), f"province-{province.code.lower()}")


def ical_category(request, slug: str):
    category = get_object_or_404(EventCategory, slug=slug)
    events = selectors.feed_events(category=category)
    return _ics(calendar.calendar(events, name=category.name, url_for=_url_for(request)), f"category-{slug}")


def ical_event(request, pk: int):
    event = get_object_or_404(selectors._event_base(selectors.public(EventPage.objects.all())), pk=pk)
    return _ics(calendar.calendar([event], name=event.title, url_for=_url_for(request)), f"event-{pk}")


# --- adoption records -----------------------------------------------------------------------------------------


class AdoptionForm(forms.Form):
    province = forms.ModelChoiceField(label=_("应用省市"), queryset=Province.objects.none())
    organisation = forms.CharField(label=_("应用单位"), max_length=128)
    adopted_on = forms.DateField(label=_("应用日期"), widget=forms.DateInput(attrs={"type": "date"}))
    outcome = forms.CharField(label=_("应用效果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    feedback = forms.CharField(label=_("反馈意见"), max_length=2000, required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, provinces=None, **kwargs):
        super().__init__(*args, **kwargs)
        if provinces is None:
            del self.fields["province"]
        else:
            self.fields["province"].queryset = provinces


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def adoption_create(request, pk: int):
    from cms.achievements import AchievementPage
    from hub.permissions import provinces_for
    from sharing import adoptions

    achievement = get_object_or_404(selectors.visible(AchievementPage.objects.all(), request.user), pk=pk)
    provinces = provinces_for(request.user, "add").exclude(pk=achievement.province_id).order_by("order")
    if not provinces.exists():
        raise PermissionDenied
    form = AdoptionForm(request.POST or None, provinces=provinces, initial={"province": provinces.first()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adoptions.adoption_create(actor=request.user, achievement_id=achievement.pk, province_id=data["province"].pk,
                                      organisation=data["organisation"], adopted_on=data["adopted_on"],
                                      outcome=data["outcome"], feedback=data["feedback"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("推广应用记录已登记。"))
            return redirect(achievement.get_url(request) + "#adoptions")
    return render(request, "cms/adoption_form.html", {"form": form, "achievement": achievement},
                  status=400 if form.errors else 200)


@login_required
def adoption_edit(request, pk: int):
    from sharing import adoptions
    from sharing.models import Adoption

    adoption = get_object_or_404(Adoption.objects.restrict(request.user, "change").select_related("achievement"),
                                 pk=pk)
    form = AdoptionForm(request.POST or None, initial={
        "organisation": adoption.organisation, "adopted_on": adoption.adopted_on, "outcome": adoption.outcome,
        "feedback": adoption.feedback})
    if request.method == "POST" and form.is_valid():
        try:
            adoptions.adoption_update(actor=request.user, adoption_id=adoption.pk, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("推广应用记录已更新。"))
            return redirect(adoption.achievement.get_url(request) + "#adoptions")
    return render(request, "cms/adoption_form.html", {"form": form, "achievement": adoption.achievement,
                                                      "adoption": adoption}, status=400 if form.errors else 200)


@login_required
@require_POST
def adoption_delete(request, pk: int):
    from sharing import adoptions
    from sharing.models import Adoption

    adoption = get_object_or_404(Adoption.objects.restrict(request.user, "delete").select_related("achievement"),
                                 pk=pk)
    adoptions.adoption_delete(actor=request.user, adoption_id=adoption.pk)
    messages.success(request, _("推广应用记录已删除。"))
    return redirect(adoption.achievement.get_url(request) + "#adoptions")
