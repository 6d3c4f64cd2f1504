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
from django.db.models import Q, QuerySet

from hub.roles import ACTIONS


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown province action {action!r}; known: {', '.join(ACTIONS)}")


def is_active(user) -> bool:
    """A signed-in, active account (an anonymous visitor or a deactivated account acts on nothing)."""
    return user is not None and user.is_authenticated and user.is_active


def is_unrestricted(user) -> bool:
    """Superusers act on every province and read everything. This is the one place that says so: code outside the
    gate asks ``can``/``restrict``/the read rules, or this, and never looks at ``is_superuser`` itself."""
    return is_active(user) and user.is_superuser


def province_ids_for(user, action: str) -> frozenset[int]:
    """Primary keys of the provinces on which ``user`` may ``action``; memoised on the user object per request."""
    _check_action(action)
    if not is_active(user):
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


def may_condition(action: str, user, province) -> Q:
    """``can`` inside a query, for deciding many rows (or a whole handshake) in one statement: true where ``user``
    (an expression naming a user's primary key, e.g. ``OuterRef("pk")``) may ``action`` data of ``province`` (an
    expression naming the province's primary key). It reads the same object permissions as ``can`` (granted to the
    user or to one of their groups); superusers are the caller's to add (``is_unrestricted``), as in ``users_with``.
    """
    _check_action(action)
    from django.db.models import CharField, Exists
    from django.db.models.functions import Cast
    from guardian.models import GroupObjectPermission, UserObjectPermission

    object_pk = Cast(province, CharField())
    via_group = _province_grants(GroupObjectPermission, action, nested=True).filter(object_pk=object_pk,
                                                                                    group__user=user)
    direct = _province_grants(UserObjectPermission, action, nested=True).filter(object_pk=object_pk, user=user)
    return Q(Exists(via_group)) | Q(Exists(direct))


def province_ids_condition(action: str, user) -> Q:
    """``province_ids_for`` inside a query: a condition on Province rows, true for those on which ``user`` (an
    expression naming a user's primary key) may ``action``, from the same object permissions (superusers aside).
    Unlike ``may_condition`` on every province row, the grants are looked up once for the user."""
    _check_action(action)
    from django.db.models import IntegerField
    from django.db.models.functions import Cast
    from guardian.models import GroupObjectPermission, UserObjectPermission

    def ids(rows):
        return rows.annotate(province_id_=Cast("object_pk", IntegerField())).values("province_id_")

    return (Q(pk__in=ids(_province_grants(GroupObjectPermission, action, nested=True).filter(group__user=user)))
            | Q(pk__in=ids(_province_grants(UserObjectPermission, action, nested=True).filter(user=user))))


def unrestricted_condition() -> Q:
    """``is_unrestricted`` inside a query: a condition on user rows (active ones are the caller's to filter)."""
    return Q(is_superuser=True)


def secretariat_condition(user) -> Q:
    """``is_secretariat`` inside a query: a condition on user rows, ``user`` naming the row's primary key from within
    the group subquery (``OuterRef("pk")``)."""
    from django.contrib.auth.models import Group
    from django.db.models import Exists

    from hub.roles import SECRETARIAT_GROUP

    return unrestricted_condition() | Q(Exists(Group.objects.filter(name=SECRETARIAT_GROUP, user=user)))


def require(user, action: str, province) -> None:
    """Raise PermissionDenied unless ``user`` may ``action`` data of ``province``."""
    if not can(user, action, province):
        raise PermissionDenied


def _province_grants(model, action: str, province=None, *, nested: bool = False) -> QuerySet:
    """guardian's object-permission rows granting ``hub.<action>_province_data`` (on one province, or any).

    ``nested``: for a subquery run per outer row (``may_condition``): the permission and the content type are
    named by uncorrelated subqueries, which PostgreSQL evaluates once and then finds the rows by index, instead
    of joining both tables for every grant row (8 ms instead of <1 ms for a handshake's statement)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from hub.models import Province

    if nested:
        permission = Permission.objects.filter(codename=f"{action}_province_data", content_type__app_label="hub")
        kind = ContentType.objects.filter(app_label="hub", model=Province._meta.model_name)
        rows = model.objects.filter(permission__in=permission.values("pk"), content_type__in=kind.values("pk"))
    else:
        rows = model.objects.filter(permission__codename=f"{action}_province_data",
                                    permission__content_type__app_label="hub",
                                    content_type__app_label="hub", content_type__model=Province._meta.model_name)
    if province is not None:
        rows = rows.filter(object_pk=str(province if isinstance(province, int) else province.pk))
    return rows


def province_groups(province) -> QuerySet:
    """The province's own groups (its roles): those granted anything on it, the roundtable-wide secretariat aside."""
    from django.contrib.auth.models import Group
    from guardian.models import GroupObjectPermission

    from hub.roles import SECRETARIAT_GROUP

    group_ids = _province_grants(GroupObjectPermission, "participate", province).values("group_id")
    return Group.objects.filter(pk__in=group_ids).exclude(name=SECRETARIAT_GROUP)


def roundtable_groups() -> QuerySet:
    """Every group that takes part in the roundtable: each province's groups and the secretariat."""
    from django.contrib.auth.models import Group
    from guardian.models import GroupObjectPermission

    return Group.objects.filter(pk__in=_province_grants(GroupObjectPermission, "participate").values("group_id"))


def member_province_ids(user_ids) -> frozenset[int]:
    """Provinces in whose own groups (``province_groups``) any of the given users is: where they belong, as opposed
    to what they may act on (the secretariat takes part everywhere but belongs to no province)."""
    from guardian.models import GroupObjectPermission

    from hub.roles import SECRETARIAT_GROUP

    rows = (_province_grants(GroupObjectPermission, "participate").filter(group__user__in=list(user_ids))
            .exclude(group__name=SECRETARIAT_GROUP).values_list("object_pk", flat=True))
    return frozenset(int(pk) for pk in rows)


def users_with(action: str, province, *, include_superusers: bool = False) -> QuerySet:
    """Active users who may ``action`` data of ``province`` (``None``: of some province): the reverse of
    ``can``/``require``.

    Answers "which users may" from the same object permissions ``can`` reads, so notifications, reviewer queues
    and "who must sign" never parse group names. Superusers may do everything but are left out unless asked for:
    nobody wants every administrator in every province's mail.
    """
    _check_action(action)
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from guardian.models import GroupObjectPermission, UserObjectPermission

    group_ids = _province_grants(GroupObjectPermission, action, province).values("group_id")
    user_ids = _province_grants(UserObjectPermission, action, province).values("user_id")
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

    if not is_active(user):
        return False
    return is_unrestricted(user) or user.groups.filter(name=SECRETARIAT_GROUP).exists()


def forget(user) -> None:
    """Drop the memoised scope, e.g. after group membership changed during a request or a test."""
    if user is not None:
        user.__dict__.pop("_province_scope_cache", None)


class ProvinceScopedQuerySet(models.QuerySet):
    """QuerySet of a province-owned model. ``province_field`` names the lookup to the owning Province.

    ``restrict`` is the gate's preamble (superusers see everything, anonymous and inactive accounts nothing) around
    ``scope(user, action, province_ids)``, the one hook a model overrides when its rows are also reachable another
    way (an expert reads their own profile, an event is read by its co-organisers). No queryset repeats the preamble.
    """

    province_field = "province"

    def restrict(self, user, action: str = "view"):
        _check_action(action)
        if is_unrestricted(user):
            return self
        if not is_active(user):
            return self.none()
        return self.scope(user, action, province_ids_for(user, action))

    def scope(self, user, action: str, province_ids: frozenset[int]):
        """The rows an active, non-superuser ``user`` may ``action``; by default those of their provinces."""
        if not province_ids:
            return self.none()
        return self.filter(**{f"{self.province_field}__in": province_ids})


def scoped_queryset(province_field: str):
    """A ProvinceScopedQuerySet subclass for models whose province is reached through ``province_field``."""
    return type("ScopedQuerySet", (ProvinceScopedQuerySet,), {"province_field": province_field})


# The read side of the gate: who may read each kind of non-public material (hub/read_rules.py).
from hub import read_rules as read  # noqa: E402,F401
