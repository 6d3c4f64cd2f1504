"""The permission gate: the only place that turns a user into the provinces they may act on.

Province groups receive guardian object permissions ``hub.<action>_province_data`` on Province rows (granted by
``setup_roundtable``). Everything province-owned is fetched through ``restrict(user, action)``: rows outside the
user's scope simply do not exist for them (404), and a write outside scope is refused (403).

``accept_global_perms=False`` is deliberate: with guardian's default, a single model-level permission would open
every province at once.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet

from hub.roles import ACTIONS


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown province action {action!r}; known: {', '.join(ACTIONS)}")


def province_ids_for(user, action: str) -> frozenset[int]:
    """Primary keys of the provinces on which ``user`` may ``action``; memoised on the user object per request."""
    _check_action(action)
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cache = user.__dict__.setdefault("_province_scope_cache", {})
    if action not in cache:
        from hub.models import Province

        if user.is_superuser:
            cache[action] = frozenset(Province.objects.values_list("pk", flat=True))
        else:
            from guardian.shortcuts import get_objects_for_user

            cache[action] = frozenset(
                get_objects_for_user(
                    user, f"hub.{action}_province_data", klass=Province,
                    accept_global_perms=False, with_superuser=False,
                ).values_list("pk", flat=True)
            )
    return cache[action]


def provinces_for(user, action: str) -> QuerySet:
    """Provinces on which the user may ``action`` province data (object permissions only)."""
    from hub.models import Province

    return Province.objects.filter(pk__in=province_ids_for(user, action))


def can(user, action: str, province) -> bool:
    """Whether ``user`` may ``action`` data of ``province`` (a Province or its primary key)."""
    if province is None:
        return False
    province_id = province if isinstance(province, int) else province.pk
    return province_id in province_ids_for(user, action)


def require(user, action: str, province) -> None:
    """Raise PermissionDenied unless ``user`` may ``action`` data of ``province``."""
    if not can(user, action, province):
        raise PermissionDenied


def users_with(action: str, province, *, include_superusers: bool = False) -> QuerySet:
    """Active users who may ``action`` data of ``province``: the reverse of ``can``/``require``.

    Answers "which users may" from the same object permissions ``can`` reads, so notifications, reviewer queues
    and "who must sign" never parse group names. Superusers may do everything but are left out unless asked for:
    nobody wants every administrator in every province's mail.
    """
    _check_action(action)
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from hub.models import Province

    province_id = province if isinstance(province, int) else province.pk
    codename = f"{action}_province_data"
    object_pk = str(province_id)
    content_filter = {
        "permission__codename": codename,
        "permission__content_type__app_label": "hub",
        "content_type__model": Province._meta.model_name,
        "object_pk": object_pk,
    }
    group_ids = GroupObjectPermission.objects.filter(**content_filter).values("group_id")
    user_ids = UserObjectPermission.objects.filter(**content_filter).values("user_id")
    condition = Q(groups__in=group_ids) | Q(pk__in=user_ids)
    if include_superusers:
        condition |= Q(is_superuser=True)
    return get_user_model().objects.filter(condition, is_active=True).distinct()


def secretariat_users() -> QuerySet:
    """Active members of the roundtable secretariat."""
    from django.contrib.auth import get_user_model

    from hub.roles import SECRETARIAT_GROUP

    return get_user_model().objects.filter(groups__name=SECRETARIAT_GROUP, is_active=True).distinct()


def is_secretariat(user) -> bool:
    """The roundtable secretariat keeps the meeting rotation; it is a roundtable-wide group, not a province role."""
    from hub.roles import SECRETARIAT_GROUP

    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=SECRETARIAT_GROUP).exists()


def forget(user) -> None:
    """Drop the memoised scope, e.g. after group membership changed during a request or a test."""
    if user is not None:
        user.__dict__.pop("_province_scope_cache", None)


class ProvinceScopedQuerySet(models.QuerySet):
    """QuerySet of a province-owned model. ``province_field`` names the lookup to the owning Province."""

    province_field = "province"

    def restrict(self, user, action: str = "view"):
        _check_action(action)
        if user is not None and user.is_active and user.is_superuser:
            return self
        ids = province_ids_for(user, action)
        if not ids:
            return self.none()
        return self.filter(**{f"{self.province_field}__in": ids})


def scoped_queryset(province_field: str):
    """A ProvinceScopedQuerySet subclass for models whose province is reached through ``province_field``."""
    return type("ScopedQuerySet", (ProvinceScopedQuerySet,), {"province_field": province_field})


# The read side of the gate: who may read each kind of non-public material (hub/read_rules.py).
from hub import read_rules as read  # noqa: E402,F401
