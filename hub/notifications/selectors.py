"""Reads of the inbox."""
from __future__ import annotations

from hub.notifications import kinds
from hub.notifications.models import Notification, NotificationPreference

#: Seconds the header's unread count is kept per user when nothing forgets it (what no write path reports).
UNREAD_SECONDS = 60


def _unread_key(user_id) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user) -> int:
    """The header's count of unread notices, kept per user in the cache (one query per page before) and forgotten
    by every write of the user's notices (``forget_unread``: the services, and saves and deletes of a notice).
    Kept only while the page caches are on (``HUB_PAGE_CACHE_ENABLED``)."""
    if user is None or not user.is_authenticated:
        return 0
    from django.conf import settings
    from django.core.cache import cache

    if not getattr(settings, "HUB_PAGE_CACHE_ENABLED", True):
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_SECONDS)
    return count


def _notice_written(sender, instance, **kwargs):
    forget_unread([instance.recipient_id])


def connect_signals() -> None:
    """A notice saved or deleted one by one (the admin, a data fix) is counted afresh too."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_notice_written, sender=Notification, dispatch_uid="notifications:unread:save")
    post_delete.connect(_notice_written, sender=Notification, dispatch_uid="notifications:unread:delete")


def forget_unread(user_ids) -> None:
    """After commit: the next page of these users counts their unread notices afresh."""
    from django.core.cache import cache
    from django.db import transaction

    keys = [_unread_key(user_id) for user_id in set(user_ids)]
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


def inbox(user):
    return Notification.objects.filter(recipient=user).order_by("-created", "-pk")


def preferences(user) -> list[tuple[kinds.Kind, bool]]:
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [(k, chosen.get(k.key, k.email_default)) for k in kinds.all_kinds()]
