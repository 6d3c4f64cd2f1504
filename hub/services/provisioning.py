"""Provisioning a province: groups, its collection and the object permissions the gate reads.

The core knows no feature: whatever a feature needs for a province (the site's home page, the province's section
page, its publication workflow) comes from a step the feature registers in its ``AppConfig.ready`` (``register``).
Every step is idempotent: it creates what is missing, leaves what exists alone, and reports both.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.shortcuts import assign_perm, get_perms_for_model
from wagtail.models import Collection, GroupCollectionPermission

from hub.models import Province
from hub.roles import ROLES, SECRETARIAT_ACTIONS, SECRETARIAT_GROUP, group_name
from hub.selectors import province_collection

#: Collection permissions (documents and images) on the province's collection, by role.
COLLECTION_PERMISSIONS = {
    "editor": ("add_document", "change_document", "choose_document", "add_image", "change_image", "choose_image"),
    "moderator": (
        "add_document", "change_document", "delete_document", "choose_document",
        "add_image", "change_image", "delete_image", "choose_image",
    ),
    "reviewer": ("choose_document",),
    "coordinator": ("add_document", "choose_document", "add_image", "choose_image"),
}
#: Roles that may enter the Wagtail admin at all.
ADMIN_ROLES = ("editor", "moderator", "reviewer", "coordinator")


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)

    def note(self, created: bool, what: str) -> None:
        (self.created if created else self.existing).append(what)


def _perm(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


#: Steps registered by feature apps, run in registration order (INSTALLED_APPS order).
_roundtable_steps: list[Callable[..., None]] = []
_province_steps: list[Callable[..., None]] = []


def register(*, roundtable: Callable[..., None] | None = None, province: Callable[..., None] | None = None) -> None:
    """Add a feature's provisioning: ``roundtable(*, report)`` runs once per ``setup_roundtable`` before the
    provinces, ``province(*, province, groups, report)`` for each province (``groups``: role slug → Group).
    Called from the feature's ``AppConfig.ready``; registering the same function twice has no effect."""
    for steps, step in ((_roundtable_steps, roundtable), (_province_steps, province)):
        if step is not None and step not in steps:
            steps.append(step)


@transaction.atomic
def provision_province(province: Province, report: Report) -> None:
    groups = {}
    access_admin = _perm("wagtailadmin", "access_admin")
    for role in ROLES:
        group, created = Group.objects.get_or_create(name=group_name(province.code, role))
        groups[role.slug] = group
        report.note(created, f"group {group.name}")
        if role.slug in ADMIN_ROLES:
            group.permissions.add(access_admin)
        for action in role.actions:
            assign_perm(f"hub.{action}_province_data", group, province)

    # The province's collection for documents and images.
    collection = province_collection(province)
    if collection is None:
        collection = Collection.get_first_root_node().add_child(name=province.name_zh)
        report.note(True, f"collection {collection.name}")
    else:
        report.note(False, f"collection {collection.name}")
    for role_slug, codenames in COLLECTION_PERMISSIONS.items():
        for codename in codenames:
            app_label = "wagtaildocs" if codename.endswith("document") else "wagtailimages"
            _, created = GroupCollectionPermission.objects.get_or_create(
                group=groups[role_slug], collection=collection, permission=_perm(app_label, codename))
            if created:
                report.note(True, f"collection permission {codename} for {groups[role_slug].name}")
    for step in _province_steps:
        step(province=province, groups=groups, report=report)


#: Model permissions of the secretariat: it keeps the list of members (provinces and associations) in the admin.
#: Province groups never hold these; the secretariat is not a province group and edits no province's material.
SECRETARIAT_MODEL_PERMISSIONS = ("view_province", "add_province", "change_province",
                                 "view_association", "add_association", "change_association")


@transaction.atomic
def provision_secretariat(report: Report) -> Group:
    group, created = Group.objects.get_or_create(name=SECRETARIAT_GROUP)
    report.note(created, f"group {group.name}")
    group.permissions.add(_perm("wagtailadmin", "access_admin"))
    group.permissions.add(*(_perm("hub", codename) for codename in SECRETARIAT_MODEL_PERMISSIONS))
    for province in Province.objects.all():
        for action in SECRETARIAT_ACTIONS:
            assign_perm(f"hub.{action}_province_data", group, province)
    return group


def setup_roundtable(*, codes: list[str] | None = None) -> Report:
    """Provision every province (or the given codes); safe to run any number of times."""
    report = Report()
    for step in _roundtable_steps:
        step(report=report)
    provinces = Province.objects.select_related("association").ordered()
    if codes:
        known = set(provinces.values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise LookupError(", ".join(unknown))
        provinces = provinces.filter(code__in=codes)
    for province in provinces:
        provision_province(province, report)
    provision_secretariat(report)
    return report


def model_level_grants_to_province_groups() -> list[tuple[str, str]]:
    """(group, permission) pairs that would open every province at once through guardian's global fallback."""
    province_perms = {f"hub.{p}" for p in get_perms_for_model(Province).values_list("codename", flat=True)}
    scoped_models = _province_owned_content_types()
    offending = []
    names = [group_name(code, role) for code in Province.objects.values_list("code", flat=True) for role in ROLES]
    for group in Group.objects.filter(name__in=names).prefetch_related("permissions__content_type"):
        for perm in group.permissions.all():
            label = f"{perm.content_type.app_label}.{perm.codename}"
            if label in province_perms or perm.content_type_id in scoped_models:
                offending.append((group.name, label))
    return offending


def _province_owned_content_types() -> set[int]:
    from django.apps import apps

    from hub.permissions import ProvinceScopedQuerySet

    ids = set()
    for model in apps.get_models():
        if isinstance(model._default_manager.all(), ProvinceScopedQuerySet):
            ids.add(ContentType.objects.get_for_model(model).pk)
    return ids
