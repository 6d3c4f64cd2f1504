"""Thin views of meetings, live notes, minutes and action items: fetch through the gate, call a service, render."""
from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hub import permissions
from hub.meetings import export as minutes_export
from hub.meetings import selectors as sel
from hub.meetings import services as svc
from hub.models import ActionItem, Meeting, MinutesAnswer, NoteClient, Participant, Province
from hub.redirects import redirect_next


def _meeting(request, pk):
    try:
        return sel.meeting_for(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def meeting_list(request):
    meetings = sel.visible_meetings(request.user).order_by("-starts_at")
    can_schedule = permissions.is_secretariat(request.user) or bool(permissions.province_ids_for(request.user, "change"))
    return render(request, "hub/meetings/list.html", {"meetings": meetings, "can_schedule": can_schedule,
                                                      "is_secretariat": permissions.is_secretariat(request.user)})


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议名称"), max_length=200)
    host = forms.ModelChoiceField(label=_("轮值主办省市"), queryset=Province.objects.none())
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    online_link = forms.URLField(label=_("线上会议链接"), required=False, assume_scheme="https")
    agenda = forms.CharField(label=_("议程（每行一项）"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        hosts = Province.objects.filter(is_member=True) if permissions.is_secretariat(user) else permissions.provinces_for(
            user, "change")
        self.fields["host"].queryset = hosts.ordered()
        default = svc.next_host()
        if default is not None and hosts.filter(pk=default.pk).exists():
            self.fields["host"].initial = default.pk


@login_required
def meeting_create(request):
    form = MeetingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = svc.meeting_create(
                actor=request.user, title=data["title"], host=data["host"], starts_at=data["starts_at"],
                place=data["place"], online_link=data["online_link"],
                agenda=[line.strip() for line in data["agenda"].splitlines() if line.strip()])
        except ValidationError as exc:
            _errors(request, exc)
        else:
            return redirect("meeting_detail", pk=meeting.pk)
    if not form.fields["host"].queryset.exists():
        raise PermissionDenied
    return render(request, "hub/meetings/form.html", {"form": form})


@login_required
def meeting_detail(request, pk):
    meeting, role = _meeting(request, pk)
    minutes = getattr(meeting, "minutes", None) if not meeting.notes_writable else None
    province = sel.user_province(request.user)
    context = {
        "meeting": meeting, "role": role, "minutes": minutes,
        "is_admin": sel.can_administer(request.user, meeting),
        "manages_participants": sel.can_manage_participants(request.user, meeting),
        "participants": sel.participant_users(meeting),
        "ws_path": "/ws/notes", "province": province,
        "colour": sel.person_colour(request.user.pk),
        "closed_status": Meeting.Status.CLOSED,  # what the page's header shows once the notes freeze under it
    }
    if minutes is not None:
        answered = {a.province_id: a for a in minutes.answers.select_related("province", "answered_by")}
        provinces = sel.participating_provinces(meeting)
        context["answers"] = [(p, answered.get(p.pk)) for p in provinces]
        context["can_answer"], context["answer_refused"] = [], []
        for p in provinces:
            if p.pk in answered or not permissions.can(request.user, "participate", p):
                continue
            allowed, reason = sel.minutes_answer_allowed(user=request.user, meeting=meeting, province=p, role=role)
            if allowed:
                context["can_answer"].append(p)
            elif meeting.status == Meeting.Status.CLOSED:
                context["answer_refused"].append((p, reason))
        context["action_items"] = meeting.action_items.select_related("owner_province", "owner_user")
        context["addenda"] = minutes.addenda.select_related("author")
    return render(request, "hub/meetings/detail.html", context)


@login_required
def meeting_authors(request, pk):
    """Yjs client id → the account the server bound it to, for the authorship view."""
    meeting, _role = _meeting(request, pk)
    rows = NoteClient.objects.filter(meeting=meeting).select_related("user")
    provinces = {}
    for row in rows:
        if row.user_id not in provinces:
            provinces[row.user_id] = sel.user_province(row.user)
    return JsonResponse({str(r.client_id): {"name": r.user.get_full_name() or r.user.username,
                                            "province": provinces[r.user_id].name_zh if provinces[r.user_id] else "",
                                            "color": sel.person_colour(r.user_id)} for r in rows})


@login_required
def notes_stored(request, pk):
    """The stored notes as one binary Yjs update, for anyone who may open the meeting: after the meeting closes the
    editor compares its own copy with it to tell the user whether their last edits were refused."""
    meeting, _role = _meeting(request, pk)
    response = HttpResponse(svc.stored_notes(meeting.pk), content_type="application/octet-stream")
    response["Cache-Control"] = "no-store"
    return response


def _post_service(request, pk, call, success):
    _meeting(request, pk)
    try:
        call()
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, success)
    return redirect("meeting_detail", pk=pk)


@login_required
@require_POST
def meeting_start(request, pk):
    return _post_service(request, pk, lambda: svc.meeting_start(actor=request.user, meeting_id=pk), _("会议已开始。"))


@login_required
@require_POST
def meeting_close(request, pk):
    return _post_service(request, pk, lambda: svc.meeting_close(actor=request.user, meeting_id=pk),
                         _("会议已结束，记录已定稿为会议纪要，请各省市确认。"))


@login_required
@require_POST
def minutes_answer(request, pk):
    province = get_object_or_404(Province, pk=request.POST.get("province"))
    decision = request.POST.get("decision", "")
    if decision not in MinutesAnswer.Decision.values:
        raise PermissionDenied
    return _post_service(request, pk, lambda: svc.minutes_answer(
        actor=request.user, meeting_id=pk, province=province, decision=decision,
        note=request.POST.get("note", "")), _("已记录本省意见。"))


@login_required
@require_POST
def addendum_add(request, pk):
    return _post_service(request, pk, lambda: svc.addendum_add(actor=request.user, meeting_id=pk,
                                                               text=request.POST.get("text", "")), _("已追加补充说明。"))


@login_required
@require_POST
def checkpoint_create(request, pk):
    _post_service(request, pk, lambda: svc.checkpoint_create(actor=request.user, meeting_id=pk,
                                                             label=request.POST.get("label", "")),
                  _("已保存检查点。"))
    return redirect("meeting_history", pk=pk)


@login_required
def meeting_history(request, pk):
    meeting, role = _meeting(request, pk)
    versions = svc.history_versions(meeting.pk)
    diff, old, new = None, None, None
    if versions:
        seqs = [v["seq"] for v in versions]
        try:
            old = int(request.GET.get("a", seqs[-2] if len(seqs) > 1 else 0))
            new = int(request.GET.get("b", seqs[-1]))
        except ValueError:
            raise Http404 from None
        diff = svc.notes_diff(meeting_id=meeting.pk, old_seq=old, new_seq=new)
    return render(request, "hub/meetings/history.html", {
        "meeting": meeting, "role": role, "versions": versions, "diff": diff, "old": old, "new": new})


@login_required
def notes_restore(request, pk):
    """Restore in two steps: GET shows what the notes would become (a rich diff from the current version) and asks
    for confirmation; only a POST with ``confirm`` writes."""
    meeting, role = _meeting(request, pk)
    seq = _int(request.POST.get("seq") if request.method == "POST" else request.GET.get("seq"))
    if seq is None or seq < 0:
        raise Http404
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        _post_service(request, pk, lambda: svc.notes_restore(actor=request.user, meeting_id=pk, upto_seq=seq,
                                                             confirmed=True),
                      _("已恢复该版本（作为一次新的修改，历史版本全部保留）。"))
        return redirect("meeting_history", pk=pk)
    if role != sel.EDITOR or not meeting.notes_writable:
        raise PermissionDenied
    versions = svc.history_versions(meeting.pk)
    current = versions[-1]["seq"] if versions else 0
    version = next((v for v in versions if v["seq"] == seq), None)
    return render(request, "hub/meetings/restore_confirm.html", {
        "meeting": meeting, "seq": seq, "version": version, "current": current,
        "diff": svc.notes_diff(meeting_id=meeting.pk, old_seq=current, new_seq=seq)})


@login_required
def participants(request, pk):
    """The host's participant list and picker: search people and groups by name or province, add with a role."""
    meeting, _role = _meeting(request, pk)
    if not sel.can_manage_participants(request.user, meeting):
        raise PermissionDenied
    if request.method == "POST":
        User = get_user_model()
        role = request.POST.get("role", "")
        who = None
        if request.POST.get("user"):
            who = User.objects.filter(pk=_int(request.POST["user"]), is_active=True).first()
        elif request.POST.get("group"):
            who = Group.objects.filter(pk=_int(request.POST["group"])).first()
        if who is None:
            messages.error(request, _("找不到该用户或用户组。"))
        elif role not in Participant.Role.values:
            messages.error(request, _("请选择角色。"))
        else:
            try:
                svc.participant_add(actor=request.user, meeting=meeting, who=who, role=role)
            except ValidationError:
                messages.error(request, _("%(who)s 已在参会人名单中。") % {"who": who})
            else:
                messages.success(request, _("已添加参会人：%(who)s") % {"who": who})
        return redirect(request.get_full_path())
    query = request.GET.get("q", "")[:100]
    province = Province.objects.filter(code=request.GET.get("province", "").upper()).first()
    users, groups = sel.participant_candidates(query=query, province=province)
    taken_users = set(meeting.participants.exclude(user=None).values_list("user_id", flat=True))
    taken_groups = set(meeting.participants.exclude(group=None).values_list("group_id", flat=True))
    rows = meeting.participants.select_related("user", "group")
    return render(request, "hub/meetings/participants.html", {
        "meeting": meeting, "rows": rows, "query": query, "province": province,
        "provinces": Province.objects.filter(is_member=True).ordered(), "roles": Participant.Role.choices,
        "users": [(u, p, u.pk in taken_users) for u, p in users],
        "groups": [(g, g.pk in taken_groups) for g in groups], "searched": bool(query or province)})


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def participant_remove(request, pk, participant_id):
    meeting, _role = _meeting(request, pk)
    get_object_or_404(Participant, pk=participant_id, meeting=meeting)
    svc.participant_remove(actor=request.user, participant_id=participant_id)
    messages.success(request, _("已移除参会人；其打开的会议记录连接将在数秒内断开。"))
    return redirect("meeting_participants", pk=pk)


EXPORTS = {
    "md": ("text/markdown; charset=utf-8", minutes_export.to_markdown),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", minutes_export.to_docx),
    "pdf": ("application/pdf", minutes_export.to_pdf),
}


@login_required
def minutes_export_view(request, pk, fmt):
    meeting, _role = _meeting(request, pk)
    minutes = getattr(meeting, "minutes", None)
    if minutes is None or fmt not in EXPORTS:
        raise Http404
    content_type, render_fn = EXPORTS[fmt]
    response = HttpResponse(render_fn(minutes), content_type=content_type)
    filename = f"minutes-{meeting.pk}-{datetime.date.today():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def action_items(request, code=None):
    """The cross-province 督办 board: every province's staff read all items, filtered by province, owner, due."""
    if not sel.can_read_board(request.user):
        raise Http404
    code = code or request.GET.get("province", "")
    province = get_object_or_404(Province, code=code.upper()) if code else None
    owner_id = _int(request.GET.get("owner"))
    due = request.GET.get("due", "")
    status = request.GET.get("status", ActionItem.Status.OPEN)
    items = sel.action_board(request.user, province=province, owner_id=owner_id, due=due, status=status)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "hub/meetings/action_items.html", {
        "page": page, "province": province, "owner_id": owner_id, "due": due, "status": status,
        "provinces": Province.objects.filter(is_member=True).ordered(), "owners": sel.action_board_owners(),
        "statuses": ActionItem.Status.choices, "today": timezone.localdate(),
        "changeable": permissions.province_ids_for(request.user, "change")})


@login_required
@require_POST
def action_item_done(request, item_id):
    item = get_object_or_404(ActionItem.objects.restrict(request.user, "participate"), pk=item_id)
    try:
        svc.action_item_done(actor=request.user, item_id=item.pk, evidence=request.POST.get("evidence", ""))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("事项已办结。"))
    return redirect_next(request, reverse("action_items"))


@login_required
def rotation(request):
    if not permissions.is_secretariat(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            svc.rotation_set(actor=request.user, codes=request.POST.getlist("code"))
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("轮值顺序已保存。"))
            return redirect("meeting_rotation")
    from hub.models import RotationSlot

    slots = list(RotationSlot.objects.select_related("province"))
    order = [s.province for s in slots] or list(Province.objects.filter(is_member=True).ordered())
    return render(request, "hub/meetings/rotation.html", {"order": order, "next_host": svc.next_host()})
