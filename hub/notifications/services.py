"""Sending notifications: one entry point, ``notify``, for every feature."""
from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g

from hub.links import absolute_url
from hub.notifications import kinds
from hub.notifications.models import Notification, NotificationPreference
from hub.notifications.selectors import forget_unread


def _users(recipients) -> list:
    """Distinct active users from users, querysets, primary keys or lists of them (None and inactive accounts
    dropped)."""
    User = get_user_model()
    ids, seen = [], set()

    def flat(items):
        for item in items:
            if isinstance(item, (list, tuple, set, frozenset)):
                yield from flat(item)
            else:
                yield item

    for r in flat(recipients):
        if r is None:
            continue
        if hasattr(r, "values_list") and not isinstance(r, User):  # a queryset of users
            for pk in r.values_list("pk", flat=True):
                if pk not in seen:
                    seen.add(pk)
                    ids.append(pk)
            continue
        pk = r.pk if isinstance(r, User) else int(r)
        if pk not in seen:
            seen.add(pk)
            ids.append(pk)
    return list(User.objects.filter(pk__in=ids, is_active=True).exclude(username="AnonymousUser").order_by("pk"))


def wants_email(users: list, kind: str) -> set[int]:
    """Primary keys of the users who get ``kind`` by e-mail (their choice, else the kind's default)."""
    default = kinds.get(kind).email_default
    chosen = dict(NotificationPreference.objects.filter(user__in=users, kind=kind).values_list("user_id", "email"))
    return {u.pk for u in users if chosen.get(u.pk, default) and u.email}


@transaction.atomic
def notify(*, kind: str, recipients: Iterable, subject: str, body: str = "", url: str = "",
           key: str = "") -> list[Notification]:
    """Leave an in-site notice for each recipient and, after commit, e-mail those who want this kind by mail.

    ``recipients`` may mix users, querysets of users and ids; duplicates and inactive accounts are dropped. ``url``
    is a path or URL on this site; notices and mails carry it as an absolute link (``hub.links.absolute_url``).
    With ``key``, a recipient who already has a notice of this kind with this key gets nothing new (reminders).
    """
    kinds.get(kind)  # refuses unregistered kinds
    users = _users(recipients)
    if key:
        already = set(Notification.objects.filter(kind=kind, key=key, recipient__in=users)
                      .values_list("recipient_id", flat=True))
        users = [u for u in users if u.pk not in already]
    if not users:
        return []
    link = absolute_url(url) if url else ""
    created = []
    for user in users:
        notice = Notification(recipient=user, kind=kind, subject=str(subject)[:200], body=str(body), url=link,
                              key=key)
        notice.full_clean(validate_constraints=False)
        created.append(notice)
    created = Notification.objects.bulk_create(created)
    forget_unread(user.pk for user in users)
    mail_to = wants_email(users, kind)
    if mail_to:
        by_pk = {u.pk: u for u in users}
        ids = [n.pk for n in created if n.recipient_id in mail_to]
        messages = [EmailMessage(subject=str(subject), body=_mail_body(body, link), to=[by_pk[n.recipient_id].email],
                                 from_email=settings.DEFAULT_FROM_EMAIL)
                    for n in created if n.recipient_id in mail_to]

        def send():
            get_connection().send_messages(messages)
            Notification.objects.filter(pk__in=ids).update(emailed=True)

        transaction.on_commit(send)
    return created


def _mail_body(body: str, link: str) -> str:
    parts = [body.strip()] if body.strip() else []
    if link:
        parts.append(_g("查看：%(url)s") % {"url": link})
    parts.append(_g("——长三角质协圆桌会议平台（在“通知设置”中可选择哪些通知发送邮件：%(url)s）")
                 % {"url": absolute_url("/notifications/preferences/")})
    return "\n\n".join(parts) + "\n"


@transaction.atomic
def notification_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notices read (all of them when no ids are given); others' notices are never touched."""
    notices = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        notices = notices.filter(pk__in=notification_ids)
    forget_unread([user.pk])
    return notices.update(read_at=timezone.now())


@transaction.atomic
def preferences_set(*, user, email_kinds: Iterable[str]) -> None:
    """Store which kinds the user wants by e-mail: exactly ``email_kinds``, the others in-site only."""
    wanted = set(email_kinds)
    known = {k.key for k in kinds.all_kinds()}
    unknown = wanted - known
    if unknown:
        raise ValidationError(_g("未知的通知类型：%(kinds)s") % {"kinds": "、".join(sorted(unknown))})
    for key in sorted(known):
        NotificationPreference.objects.update_or_create(user=user, kind=key, defaults={"email": key in wanted})
