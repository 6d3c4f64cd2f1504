"""E-mail to the people a step concerns; the in-app task list (selectors.tasks_for) needs no messages.

Every link is absolute (``hub.links.absolute_url``): a mail is read outside the site. Who coordinates a province
is asked of the permission gate (``users_with``), never worked out from group names here.
"""
from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse
from django.utils.translation import gettext as _

from hub.links import absolute_url
from hub.permissions import users_with


def coordinators_of(province_id: int) -> list:
    """Users holding ``coordinate`` on the province (superusers are not spammed)."""
    return list(users_with("coordinate", province_id))


def _send(users, subject: str, body: str) -> None:
    # The reserved .invalid domain (demo accounts) can never receive mail; skipping it keeps demo runs quiet.
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email]) for u in users
                if u and u.email and not u.email.endswith(".invalid")]
    if messages:
        send_mass_mail(messages, fail_silently=True)


def _link(name: str, *args) -> str:
    return absolute_url(reverse(name, args=args))


def expert_registered(expert) -> None:
    _send(coordinators_of(expert.province_id), _("新的专家登记待审核：%(name)s") % {"name": expert.name},
          _("%(name)s（%(employer)s）已登记入库，请审核：\n%(url)s") % {
              "name": expert.name, "employer": expert.employer, "url": _link("expert_pool:profile", expert.pk)})


def profile_changed(expert) -> None:
    _send(coordinators_of(expert.province_id), _("专家资料变更待审核：%(name)s") % {"name": expert.name},
          _("%(name)s 修改了需审核的资料，请处理：\n%(url)s") % {"name": expert.name,
                                                         "url": _link("expert_pool:profile", expert.pk)})


def expert_decided(expert) -> None:
    """The applicant learns the outcome of their registration: approved, or not and why."""
    if not expert.user_id:
        return
    if expert.status == "active":
        subject = _("专家登记已通过审核")
        body = _("%(name)s，您好：您的专家登记已通过审核，资料已在长三角质量专家库中公开。\n%(url)s") % {
            "name": expert.name, "url": _link("expert_pool:profile", expert.pk)}
    else:
        subject = _("专家登记未通过审核")
        body = _("%(name)s，您好：您的专家登记未通过审核。原因：%(reason)s\n修改资料后可重新提交：\n%(url)s") % {
            "name": expert.name, "reason": expert.rejection_reason, "url": _link("expert_pool:my_profile")}
    _send([expert.user], subject, body)


def assignment_step(assignment) -> None:
    """Tell whoever must act next, or the expert when the outcome concerns them."""
    status = assignment.status
    request = assignment.request
    subject = _("借用专家：%(title)s（%(status)s）") % {"title": request.title, "status": assignment.get_status_display()}
    body = _("%(expert)s · %(title)s · %(start)s 至 %(end)s · %(place)s\n%(url)s") % {
        "expert": assignment.expert.name, "title": request.title, "start": request.start, "end": request.end,
        "place": request.place, "url": _link("expert_pool:request_detail", request.pk)}
    if assignment.answer_note:
        body += "\n" + assignment.answer_note
    expert_user = [assignment.expert.user] if assignment.expert.user_id else []
    if status == "requested":
        recipients = coordinators_of(assignment.expert.province_id)
    elif status in ("approved", "confirmed", "completed", "withdrawn"):
        recipients = expert_user
    else:  # refused, accepted, declined, unavailable: the requester decides what next
        recipients = [request.created_by]
    _send(recipients, subject, body)
