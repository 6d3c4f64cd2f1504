"""Reads of the inbox."""
from __future__ import annotations

from hub.notifications import kinds
from hub.notifications.models import Notification, NotificationPreference


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user):
    return Notification.objects.filter(recipient=user).order_by("-created", "-pk")


def preferences(user) -> list[tuple[kinds.Kind, bool]]:
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [(k, chosen.get(k.key, k.email_default)) for k in kinds.all_kinds()]
