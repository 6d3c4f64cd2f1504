"""Reads of the accounts area."""
from __future__ import annotations

from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.db.models import Max, Sum
from django.utils import timezone


def locked(kind: str) -> list[dict]:
    """Accounts (kind "username") or addresses ("ip_address") whose failures in the cool-off window reached the
    limit: [{"key", "failures", "last"}], newest first."""
    since = timezone.now() - axes_settings.AXES_COOLOFF_TIME
    rows = (AccessAttempt.objects.filter(attempt_time__gte=since).exclude(**{kind: None}).values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=axes_settings.AXES_FAILURE_LIMIT).order_by("-last"))
    return [{"key": row[kind], "failures": row["failures"], "last": row["last"]} for row in rows]
