"""Who is told what about registrations, profiles and loans (借用专家). Everything goes through the hub's one
notification capability (``hub.notifications.services.notify``): an in-site notice always, e-mail as each person
chooses per kind, absolute links, mail sent only after the step commits.

The functions are called inside the service's transaction, so a step that fails leaves no notice behind. Who
coordinates or may request for a province is asked of the permission gate (``users_with``, ``can``), never worked
out from group names here.
"""
from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from hub.notifications import kinds
from hub.notifications.services import notify
from hub.permissions import can, users_with

REGISTRATION_SUBMITTED = kinds.register(
    "expert.registration_submitted", label=_("新的专家登记待审核"),
    audience=_("专家所属省市的专家库管理员"))
PROFILE_CHANGED = kinds.register(
    "expert.profile_changed", label=_("专家资料变更待审核"),
    audience=_("专家所属省市的专家库管理员"))
REGISTRATION_DECIDED = kinds.register(
    "expert.registration_decided", label=_("专家登记审核结果"),
    audience=_("提交登记的专家本人"))
CHANGES_DECIDED = kinds.register(
    "expert.profile_changes_decided", label=_("资料变更审核结果"),
    audience=_("修改资料的专家本人"))
REQUEST_SUBMITTED = kinds.register(
    "expert.request_submitted", label=_("借用专家申请待本省审批"),
    audience=_("被借用专家所属省市的专家库管理员"))
REQUEST_DECIDED = kinds.register(
    "expert.request_decided", label=_("借用专家申请的审批结果"),
    audience=_("同意时：被邀请的专家本人；不同意时：申请人"))
REQUEST_ANSWERED = kinds.register(
    "expert.request_answered", label=_("专家已答复借用邀请"),
    audience=_("申请人（已无申请权限时：申请方省市的专家库管理员）"))
ASSIGNMENT_CONFIRMED = kinds.register(
    "expert.assignment_confirmed", label=_("借用安排已确认"),
    audience=_("专家本人、专家所属省市的专家库管理员"))
ASSIGNMENT_RELEASED = kinds.register(
    "expert.assignment_released", label=_("借用安排已撤回或未能安排"),
    audience=_("申请撤回时：专家本人（尚待审批的则为其所属省市的专家库管理员）；时间冲突时：申请人"))
ASSIGNMENT_COMPLETED = kinds.register(
    "expert.assignment_completed", label=_("借用任务已完成"),
    audience=_("专家本人"))
ANSWER_DUE = kinds.register(
    "expert.answer_due", label=_("借用申请答复即将截止"),
    audience=_("待审批的：专家所属省市的专家库管理员；待答复的：专家本人"))
ASSIGNMENT_STARTING = kinds.register(
    "expert.assignment_starting", label=_("借用任务 3 天内开始"),
    audience=_("专家本人、申请人"))

STARTING_DAYS = 3
ANSWER_DUE_DAYS = 2


def coordinators_of(province) -> list:
    """Users holding ``coordinate`` on the province (superusers are not spammed)."""
    return list(users_with("coordinate", province))


def _requesters(request) -> list:
    """The person who asked, while they may still act for the requesting province; otherwise that province's
    coordinators, so that an answer never lands with someone who left."""
    if request.created_by.is_active and (can(request.created_by, "add", request.requesting_province_id)
                                         or can(request.created_by, "coordinate", request.requesting_province_id)):
        return [request.created_by]
    return coordinators_of(request.requesting_province_id)


def _expert_user(expert) -> list:
    return [expert.user] if expert.user_id else []


def _request_url(request) -> str:
    return reverse("expert_pool:request_detail", args=[request.pk])


def expert_registered(expert) -> None:
    notify(kind=REGISTRATION_SUBMITTED.key, recipients=coordinators_of(expert.province_id),
           url=reverse("expert_pool:profile", args=[expert.pk]),
           subject=_g("新的专家登记待审核：%(name)s") % {"name": expert.name},
           body=_g("%(name)s（%(employer)s）已登记入库，请审核。") % {"name": expert.name,
                                                              "employer": expert.employer})


def profile_changed(expert) -> None:
    notify(kind=PROFILE_CHANGED.key, recipients=coordinators_of(expert.province_id),
           url=reverse("expert_pool:profile", args=[expert.pk]),
           subject=_g("专家资料变更待审核：%(name)s") % {"name": expert.name},
           body=_g("%(name)s 修改了需审核的资料，请处理。") % {"name": expert.name})


def expert_decided(expert) -> None:
    """The applicant learns the outcome of their registration: approved, or not and why."""
    if expert.status == "active":
        notify(kind=REGISTRATION_DECIDED.key, recipients=_expert_user(expert),
               url=reverse("expert_pool:profile", args=[expert.pk]), subject=_g("专家登记已通过审核"),
               body=_g("%(name)s，您好：您的专家登记已通过审核，资料已在长三角质量专家库中公开。")
               % {"name": expert.name})
    else:
        notify(kind=REGISTRATION_DECIDED.key, recipients=_expert_user(expert),
               url=reverse("expert_pool:my_profile"), subject=_g("专家登记未通过审核"),
               body=_g("%(name)s，您好：您的专家登记未通过审核。原因：%(reason)s\n修改资料后可重新提交。")
               % {"name": expert.name, "reason": expert.rejection_reason})


def changes_decided(expert, *, accepted: bool) -> None:
    notify(kind=CHANGES_DECIDED.key, recipients=_expert_user(expert), url=reverse("expert_pool:my_profile"),
           subject=_g("资料变更已通过审核") if accepted else _g("资料变更未通过审核"),
           body=(_g("%(name)s，您好：您修改的资料已通过审核并已生效。") if accepted
                 else _g("%(name)s，您好：您修改的资料未通过审核，仍保留原资料；如有疑问请联系本省专家库管理员。"))
           % {"name": expert.name})


def _loan_body(assignment) -> str:
    request = assignment.request
    body = _g("%(expert)s · %(title)s · %(start)s 至 %(end)s · %(place)s") % {
        "expert": assignment.expert.name, "title": request.title, "start": assignment.start, "end": assignment.end,
        "place": request.place}
    if assignment.answer_note:
        body += "\n" + assignment.answer_note
    return body


def assignment_step(assignment, *, previous: str = "") -> None:
    """Tell whoever must act next, or whom the outcome concerns (``previous``: the status before this step)."""
    status, request, expert = assignment.status, assignment.request, assignment.expert
    values = {"expert": expert.name, "title": request.title, "province": request.requesting_province.name_zh}
    if status == "requested":
        kind, recipients = REQUEST_SUBMITTED, coordinators_of(expert.province_id)
        subject = _g("借用专家待审批：%(province)s申请 %(expert)s 参加“%(title)s”") % values
    elif status == "approved":
        kind, recipients = REQUEST_DECIDED, _expert_user(expert)
        subject = _g("借用邀请，请答复：%(title)s（%(province)s）") % values
    elif status == "refused":
        kind, recipients = REQUEST_DECIDED, _requesters(request)
        subject = _g("专家所属省市不同意借用：%(expert)s · %(title)s") % values
    elif status in ("accepted", "declined"):
        kind, recipients = REQUEST_ANSWERED, _requesters(request)
        subject = (_g("%(expert)s 已接受邀请，请确认安排：%(title)s") if status == "accepted"
                   else _g("%(expert)s 谢绝了邀请：%(title)s")) % values
    elif status == "confirmed":
        kind, recipients = ASSIGNMENT_CONFIRMED, [_expert_user(expert), coordinators_of(expert.province_id)]
        subject = _g("借用安排已确认：%(expert)s · %(title)s") % values
    elif status == "withdrawn":
        # Until the coordinator approved, the expert was never asked: the coordinators' queue loses an item.
        recipients = coordinators_of(expert.province_id) if previous == "requested" else _expert_user(expert)
        kind, subject = ASSIGNMENT_RELEASED, _g("借用申请已撤回：%(title)s（%(province)s）") % values
    elif status == "unavailable":
        kind, recipients = ASSIGNMENT_RELEASED, _requesters(request)
        subject = _g("时间冲突，未能安排：%(expert)s · %(title)s") % values
    elif status == "completed":
        kind, recipients = ASSIGNMENT_COMPLETED, _expert_user(expert)
        subject = _g("借用任务已完成：%(title)s") % values
    else:  # pragma: no cover - every status is listed above
        raise ValueError(status)
    notify(kind=kind.key, recipients=recipients, url=_request_url(request), subject=subject,
           body=_loan_body(assignment))


def loan_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """Remind whoever still has to answer a loan whose answer deadline is within two days, and the expert and the
    requester of a confirmed loan starting within three days; each notice once per assignment and date."""
    from expert_pool.models import Assignment

    today = today or timezone.localdate()
    counts = {"answer_due": 0, "starting": 0}
    waiting = (Assignment.objects.filter(status__in=("requested", "approved"), request__status="open",
                                         request__respond_by__gte=today,
                                         request__respond_by__lte=today + datetime.timedelta(days=ANSWER_DUE_DAYS))
               .select_related("request", "request__requesting_province", "expert"))
    for assignment in waiting:
        request = assignment.request
        recipients = (coordinators_of(assignment.expert.province_id) if assignment.status == "requested"
                      else _expert_user(assignment.expert))
        values = {"title": request.title, "date": f"{request.respond_by:%Y-%m-%d}", "expert": assignment.expert.name}
        sent = notify(kind=ANSWER_DUE.key, recipients=recipients, url=_request_url(request),
                      key=f"assignment:{assignment.pk}:{assignment.status}:{request.respond_by:%Y%m%d}",
                      subject=_g("借用申请 %(date)s 截止答复：%(expert)s · %(title)s") % values,
                      body=_loan_body(assignment))
        counts["answer_due"] += len(sent)
    starting = (Assignment.objects.filter(status="confirmed", start__gte=today,
                                          start__lte=today + datetime.timedelta(days=STARTING_DAYS))
                .select_related("request", "request__requesting_province", "request__created_by", "expert"))
    for assignment in starting:
        values = {"title": assignment.request.title, "date": f"{assignment.start:%Y-%m-%d}",
                  "expert": assignment.expert.name}
        sent = notify(kind=ASSIGNMENT_STARTING.key,
                      recipients=[_expert_user(assignment.expert), _requesters(assignment.request)],
                      url=_request_url(assignment.request),
                      key=f"assignment:{assignment.pk}:starting:{assignment.start:%Y%m%d}",
                      subject=_g("借用任务将于 %(date)s 开始：%(expert)s · %(title)s") % values,
                      body=_loan_body(assignment))
        counts["starting"] += len(sent)
    return counts
