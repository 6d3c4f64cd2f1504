"""E-mail to the people a step concerns; the in-app task list (selectors.tasks_for) needs no messages."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils.translation import gettext as _


def coordinators_of(province_id: int) -> list:
    """Users holding ``coordinate`` on the province through their groups (superusers are not spammed)."""
    from guardian.models import GroupObjectPermission

    from hub.models import Province

    group_ids = GroupObjectPermission.objects.filter(
        permission__codename="coordinate_province_data", content_type__app_label="hub",
        content_type__model=Province._meta.model_name, object_pk=str(province_id),
    ).values("group_id")
    return list(get_user_model().objects.filter(groups__in=group_ids, is_active=True).distinct())


def _send(users, subject: str, body: str) -> None:
    # The reserved .invalid domain (demo accounts) can never receive mail; skipping it keeps demo runs quiet.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users
                if u and u.email and not u.email.endswith(".invalid")]
    if messages:
        send_mass_mail(messages, fail_silently=True)


def _request_url(request) -> str:
    return reverse("expert_pool:request_detail", args=[request.pk])


def expert_registered(expert) -> None:
    _send(coordinators_of(expert.province_id), _("新的专家登记待审核：%(name)s") % {"name": expert.name},
          _("%(name)s（%(employer)s）已登记入库，请在“我的待办”中审核。") % {"name": expert.name, "employer": expert.employer})


def profile_changed(expert) -> None:
    _send(coordinators_of(expert.province_id), _("专家资料变更待审核：%(name)s") % {"name": expert.name},
          _("%(name)s 修改了需审核的资料，请在“我的待办”中处理。") % {"name": expert.name})


def assignment_step(assignment) -> None:
    """Tell whoever must act next, or the expert when the outcome concerns them."""
    status = assignment.status
    request = assignment.request
    subject = _("借用专家：%(title)s（%(status)s）") % {"title": request.title, "status": assignment.get_status_display()}
    body = _("%(expert)s · %(title)s · %(start)s 至 %(end)s · %(place)s\n%(url)s") % {
        "expert": assignment.expert.name, "title": request.title, "start": request.start, "end": request.end,
        "place": request.place, "url": _request_url(request)}
    expert_user = [assignment.expert.user] if assignment.expert.user_id else []
    if status == "requested":
        recipients = coordinators_of(assignment.expert.province_id)
    elif status in ("approved", "confirmed", "completed", "withdrawn"):
        recipients = expert_user
    else:  # refused, accepted, declined: the requester decides what next
        recipients = [request.created_by]
    _send(recipients, subject, body)
