"""Rules of events, registrations, sign-off and achievement visibility. Keyword-only, atomic, validated."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from wagtail.models import TaskState

from cms import selectors
from cms.events import EventPage, Registration
from hub import permissions, spreadsheets
from hub.links import page_url
from hub.permissions import is_unrestricted, province_ids_for

logger = logging.getLogger("hub.cms")

REGISTRATION_CLOSED = _("该活动目前不接受报名。")
REGISTRATION_DEADLINE = _("报名已截止。")
ALREADY_REGISTERED = _("该邮箱已报名此活动，如需修改请先通过确认邮件中的链接取消。")
ALREADY_CANCELLED = _("该报名已取消或未通过，无需再次取消。")
NOT_PENDING = _("该报名不在待审核状态。")
REASON_REQUIRED = _("退回修改时请填写理由。")

# --- registration ----------------------------------------------------------------------------------------------


def _lock_event(event_id: int) -> EventPage:
    # Locks only the event's own row: every registration change for one event queues here, so seat counting
    # and waitlist promotion see a settled state (PostgreSQL row lock; SQLite serialises writers anyway).
    return EventPage.objects.select_for_update(of=("self",)).select_related("province").get(pk=event_id)


def _seats_taken(event: EventPage) -> int:
    return Registration.objects.filter(event=event, status__in=Registration.SEAT_STATUSES).count()


def _seat_status(event: EventPage) -> str:
    return Registration.PENDING if event.registration_requires_approval else Registration.CONFIRMED


@transaction.atomic
def registration_create(*, event_id: int, name: str, email: str, phone: str = "", organisation: str = "",
                        answers: dict | None = None, user=None) -> Registration:
    """Register for a live event: a seat if one is free (pending when the organiser approves), else the waitlist."""
    event = _lock_event(event_id)
    if not event.live:
        raise ValidationError(REGISTRATION_CLOSED)
    state = event.registration_state()
    if state == "closed":
        raise ValidationError(REGISTRATION_CLOSED)
    if state == "deadline":
        raise ValidationError(REGISTRATION_DEADLINE)
    email = email.strip().lower()
    if Registration.objects.filter(event=event, email=email, status__in=Registration.ACTIVE_STATUSES).exists():
        raise ValidationError(ALREADY_REGISTERED)
    has_seat = event.capacity is None or _seats_taken(event) < event.capacity
    registration = Registration(
        event=event, name=name.strip(), email=email, phone=phone.strip(), organisation=organisation.strip(),
        answers=answers or {}, user=user if user is not None and user.is_authenticated else None,
        status=_seat_status(event) if has_seat else Registration.WAITLISTED,
    )
    registration.full_clean()
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise ValidationError(ALREADY_REGISTERED) from exc
    transaction.on_commit(lambda: registration_mail(registration_id=registration.pk, reason="created"))
    return registration


def _promote_waitlist(event: EventPage, *, actor=None) -> list[Registration]:
    """Fill free seats from the waitlist, first come first served. The caller holds the event lock."""
    promoted = []
    free = None if event.capacity is None else event.capacity - _seats_taken(event)
    waiting = Registration.objects.filter(event=event, status=Registration.WAITLISTED).order_by("created_at", "pk")
    for registration in waiting:
        if free is not None and free <= 0:
            break
        registration.status = _seat_status(event)
        registration.save(update_fields=["status", "updated_at"])
        promoted.append(registration)
        if free is not None:
            free -= 1
    for registration in promoted:
        pk = registration.pk
        transaction.on_commit(lambda pk=pk: registration_mail(registration_id=pk, reason="promoted"))
    return promoted


@transaction.atomic
def registration_cancel(*, token) -> Registration:
    """The registrant cancels through the link in their e-mail; the first on the waitlist moves up."""
    registration = get_object_or_404(Registration.objects.only("pk", "event_id"), token=token)
    event = _lock_event(registration.event_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status not in Registration.ACTIVE_STATUSES:
        raise ValidationError(ALREADY_CANCELLED)
    registration.status = Registration.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    _promote_waitlist(event)
    transaction.on_commit(lambda: registration_mail(registration_id=registration.pk, reason="cancelled"))
    return registration


@transaction.atomic
def registration_cancel_own(*, user, registration_id: int) -> Registration:
    """A signed-in member cancels one of their own registrations (from 我的报名); anyone else's is a 404."""
    if not user.is_authenticated:
        raise PermissionDenied
    registration = get_object_or_404(Registration.objects.only("pk", "token"), pk=registration_id, user=user)
    return registration_cancel(token=registration.token)


@transaction.atomic
def registration_decide(*, actor, registration_id: int, approve: bool) -> Registration:
    """The lead province approves or turns down a pending registration; a refusal frees the seat for the waitlist."""
    registration = get_object_or_404(Registration.objects.restrict(actor, "view"), pk=registration_id)
    if registration.event.province_id not in province_ids_for(actor, "change") and not is_unrestricted(actor):
        raise PermissionDenied
    event = _lock_event(registration.event_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status != Registration.PENDING:
        raise ValidationError(NOT_PENDING)
    registration.status = Registration.CONFIRMED if approve else Registration.REJECTED
    registration.decided_by = actor
    registration.save(update_fields=["status", "decided_by", "updated_at"])
    if not approve:
        _promote_waitlist(event, actor=actor)
    reason = "approved" if approve else "rejected"
    transaction.on_commit(lambda: registration_mail(registration_id=registration.pk, reason=reason))
    return registration


SUBJECTS = {
    ("created", Registration.CONFIRMED): _("报名成功：{title}"),
    ("created", Registration.PENDING): _("报名已收到，等待主办方审核：{title}"),
    ("created", Registration.WAITLISTED): _("名额已满，您已进入候补名单：{title}"),
    ("promoted", Registration.CONFIRMED): _("候补转正，报名成功：{title}"),
    ("promoted", Registration.PENDING): _("候补转正，等待主办方审核：{title}"),
    ("approved", Registration.CONFIRMED): _("报名审核通过：{title}"),
    ("rejected", Registration.REJECTED): _("报名未通过审核：{title}"),
    ("cancelled", Registration.CANCELLED): _("报名已取消：{title}"),
}


def registration_mail(*, registration_id: int, reason: str) -> None:
    """E-mail the registrant; a confirmed seat comes with the event as an .ics attachment."""
    from cms.calendar import registration_invite

    registration = Registration.objects.select_related("event", "event__province").get(pk=registration_id)
    subject = SUBJECTS.get((reason, registration.status))
    if subject is None:
        return
    event = registration.event
    body = render_to_string("cms/email/registration.txt", {
        "registration": registration, "event": event, "reason": reason, "cancel_url": registration.cancel_url(),
        "event_url": page_url(event),
    })
    message = EmailMessage(subject=str(subject).format(title=event.title), body=body,
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[registration.email])
    if registration.status == Registration.CONFIRMED:
        message.attach("event.ics", registration_invite(registration), "text/calendar; charset=utf-8; method=PUBLISH")
    message.send(fail_silently=False)


# --- export ---------------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    ("name", _("姓名")), ("email", _("电子邮箱")), ("phone", _("手机号码")), ("organisation", _("单位")),
    ("status", _("状态")), ("created_at", _("报名时间")),
)


def _export_rows(event: EventPage, registrations) -> tuple[list[str], list[list[str]]]:
    questions = list(event.questions.all())
    header = [str(label) for _key, label in EXPORT_COLUMNS] + [q.label for q in questions]
    rows = []
    for r in registrations:
        row = [r.name, r.email, r.phone, r.organisation, r.get_status_display(),
               timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M")]
        row += [r.answers.get(q.label, "") for q in questions]
        rows.append(["" if v is None else str(v) for v in row])
    return header, rows


@transaction.atomic
def registrations_export(*, actor, event_id: int, fmt: str) -> tuple[str, bytes, str]:
    """The organising provinces' staff export an event's registrations; every export is written to the audit log."""
    event = get_object_or_404(EventPage.objects.select_related("province"), pk=event_id)
    registrations = Registration.objects.restrict(actor, "view").filter(event=event).order_by("created_at", "pk")
    if not selectors.organises(user=actor, event=event):
        raise PermissionDenied
    header, rows = _export_rows(event, registrations)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        content = spreadsheets.csv_bytes(header, rows)
        filename, content_type = f"registrations-{event.pk}-{stamp}.csv", spreadsheets.CSV_TYPE
    elif fmt == "xlsx":
        content = spreadsheets.xlsx_bytes([spreadsheets.Sheet("报名", header, rows)])
        filename, content_type = f"registrations-{event.pk}-{stamp}.xlsx", spreadsheets.XLSX_TYPE
    else:
        raise ValidationError(_("不支持的导出格式。"))
    spreadsheets.audit_export(actor=actor, instance=event, action="cms.registrations.export",
                              what=f"registrations of {event.title}", count=len(rows), format=fmt,
                              title=event.title, columns=header)
    return filename, content, content_type


# --- achievements ---------------------------------------------------------------------------------------------


def roundtable_groups():
    """Every province group (members, staff) and the secretariat: who may read members-only content."""
    return permissions.roundtable_groups()


def achievement_store_visibility(*, page) -> None:
    """An achievement's visibility in its stored form: a Wagtail view restriction to the roundtable's groups for a
    members-only achievement, none for a public one. Runs whenever a version of the page goes live (publish,
    scheduled publish, revert and publish, a live copy; cms/apps.py connects it to Wagtail's ``page_published``):
    a draft's visibility never changes who may read the live page."""
    from wagtail.models import PageViewRestriction

    restrictions = PageViewRestriction.objects.filter(page=page, restriction_type=PageViewRestriction.GROUPS)
    if page.visibility == page.MEMBERS:
        restriction = restrictions.first()
        if restriction is None:
            restriction = PageViewRestriction(page=page, restriction_type=PageViewRestriction.GROUPS)
            restriction.save()
        restriction.groups.set(roundtable_groups())
    else:
        for restriction in restrictions:
            restriction.delete()


# --- co-organiser sign-off ------------------------------------------------------------------------------------


@transaction.atomic
def signoff_decide(*, task_state, user, approve: bool, comment: str = "") -> None:
    """A co-organising province's moderator approves for their province(s), or sends the event back for everyone."""
    from cms.signoff import CoOrganiserSignOff, log_signoff, require_pending

    # Two co-organisers approving at once must not both see the other as pending: serialise on the task state.
    task_state = TaskState.objects.select_for_update().get(pk=task_state.pk).specific
    task = task_state.task.specific
    province_ids = require_pending(task, task_state, user)
    if not approve and not comment.strip():
        raise ValidationError(REASON_REQUIRED)
    page = task_state.revision.as_object()
    now = timezone.now()
    rows = list(CoOrganiserSignOff.objects.select_related("province")
                .filter(task_state=task_state, province_id__in=province_ids, decided_at__isnull=True))
    for row in rows:
        row.approved, row.decided_by, row.decided_at, row.comment = approve, user, now, comment
        row.save()
        log_signoff(page=page, task_state=task_state, user=user, province=row.province, approved=approve,
                    comment=comment)
    if not approve:
        task_state.reject(user=user, comment=comment)
        return
    if not CoOrganiserSignOff.objects.filter(task_state=task_state, decided_at__isnull=True).exists():
        summary = "；".join(
            f"{row.province.name_zh}：{row.comment or _g('同意')}"
            for row in CoOrganiserSignOff.objects.select_related("province").filter(task_state=task_state))
        task_state.approve(user=user, comment=summary)


def signoff_notify_submitted(*, task_state_id: int) -> None:
    """E-mail the moderators of the co-organising provinces whose sign-off is open (and no one else)."""
    from cms.signoff import CoOrganiserSignOff

    task_state = TaskState.objects.select_related("revision").get(pk=task_state_id)
    province_ids = CoOrganiserSignOff.objects.filter(task_state=task_state, decided_at__isnull=True).values_list(
        "province_id", flat=True)
    recipients = sorted({email for province_id in province_ids for email in permissions.users_with(
        "publish", province_id).exclude(email="").values_list("email", flat=True)})
    if not recipients:
        return
    page = task_state.revision.as_object()
    body = render_to_string("cms/email/signoff_submitted.txt", {
        "page": page, "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/",
    })
    EmailMessage(subject=_g("请会签联合活动：%(title)s") % {"title": page.title}, body=body,
                 from_email=settings.DEFAULT_FROM_EMAIL, to=recipients).send(fail_silently=False)


# --- provisioning ---------------------------------------------------------------------------------------------

SIGNOFF_TASK_NAME = "协办省市会签"


def provision_publication_workflow(*, province, section, moderators, report=None):
    """The province's publication workflow on its section: its moderators approve, then co-organisers sign off.

    Idempotent; called by ``cms.provisioning.provision_section``.
    """
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowPage, WorkflowTask

    from cms.signoff import CoOrganiserSignOffTask

    signoff = CoOrganiserSignOffTask.objects.filter(name=SIGNOFF_TASK_NAME).first()
    if signoff is None:
        signoff = CoOrganiserSignOffTask.objects.create(name=SIGNOFF_TASK_NAME)
    review_name = f"{province.name_zh}审核发布"
    review = GroupApprovalTask.objects.filter(name=review_name).first()
    if review is None:
        review = GroupApprovalTask.objects.create(name=review_name)
    review.groups.add(moderators)
    workflow_name = f"{province.name_zh}发布流程"
    workflow, created = Workflow.objects.get_or_create(name=workflow_name)
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=review, sort_order=0)
        WorkflowTask.objects.create(workflow=workflow, task=signoff, sort_order=1)
    if report is not None:
        report.note(created, f"workflow {workflow_name}")
    WorkflowPage.objects.update_or_create(page=section, defaults={"workflow": workflow})
    return workflow


def pages_using_document(document):
    """Pages that attach or reference ``document`` (attachments and Wagtail's reference index), or None."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex

    from cms.achievements import AchievementAttachment
    from cms.events import EventAttachment

    ids = set(AchievementAttachment.objects.filter(document=document).values_list("page_id", flat=True))
    ids |= set(EventAttachment.objects.filter(document=document).values_list("page_id", flat=True))
    page_type = ContentType.objects.get_for_model(Page)
    ids |= {int(pk) for pk in ReferenceIndex.get_references_to(document)
            .filter(base_content_type=page_type).values_list("object_id", flat=True) if str(pk).isdigit()}
    if not ids:
        return None
    return Page.objects.filter(pk__in=ids)
