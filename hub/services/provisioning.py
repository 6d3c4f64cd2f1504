"""Provisioning a province: groups, its section page, its collection and the object permissions the gate reads.

Every function here is idempotent: it creates what is missing, leaves what exists alone, and reports both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, get_perms_for_model
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
)

from hub.links import site_address
from hub.models import Province
from hub.roles import ROLES, SECRETARIAT_ACTIONS, SECRETARIAT_GROUP, group_name

#: Page permissions on the province's section subtree, by role.
PAGE_PERMISSIONS = {
    "editor": ("add_page", "change_page"),
    "moderator": ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}
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


def ensure_home_page(report: Report) -> Page:
    """The roundtable home page at the root of the default site, replacing Wagtail's welcome page."""
    from cms.models import HomePage

    home = HomePage.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(title="长三角质量协会圆桌会议", slug="roundtable", intro=(
            "<p>上海、江苏、浙江、安徽、江西五省市质量协会共建的合作平台：质量创新成果分享、质量专业人才共享、"
            "质量团体标准互认、质量评价认证协同。</p>"))
        root.add_child(instance=home)
        report.note(True, "home page")
    else:
        report.note(False, "home page")
    site = Site.objects.filter(is_default_site=True).first()
    hostname, port = site_address()
    if site is None:
        Site.objects.create(hostname=hostname, port=port, root_page=home, is_default_site=True,
                            site_name="长三角质量协会圆桌会议")
        report.note(True, "default site")
        return home
    if (site.hostname, site.port) != (hostname, port):
        # Wagtail builds full URLs (admin previews, "view live", notification mails) from this record.
        # save(), not update(): its signal clears Wagtail's cached site root paths.
        site.hostname, site.port = hostname, port
        site.save(update_fields=["hostname", "port"])
        report.note(True, f"default site address {hostname}:{port} (HUB_BASE_URL)")
    if site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "长三角质量协会圆桌会议"
        site.save()
        report.note(True, "default site points at the home page")
        if old_root.specific_class is Page and old_root.depth == 2 and not old_root.get_children().exists():
            old_root.delete()  # Wagtail's "Welcome to your new Wagtail site!" placeholder
    else:
        report.note(False, "default site")
    return home


@transaction.atomic
def provision_province(province: Province, report: Report) -> None:
    from cms.models import ProvinceSectionPage

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

    # The province's section of the site: its editors' and moderators' subtree.
    home = ensure_home_page(Report())
    section = ProvinceSectionPage.objects.filter(province=province).first()
    if section is None:
        section = ProvinceSectionPage(
            title=f"{province.name_zh}", slug=slugify(province.code.lower()) or province.code.lower(),
            province=province, seo_title=f"{province.association.name_zh}" if hasattr(province, "association") else "",
        )
        home.add_child(instance=section)
        section.save_revision().publish()
        report.note(True, f"section page {section.title}")
    else:
        report.note(False, f"section page {section.title}")
    for role_slug, codenames in PAGE_PERMISSIONS.items():
        for codename in codenames:
            _, created = GroupPagePermission.objects.get_or_create(
                group=groups[role_slug], page=section, permission=_perm("wagtailcore", codename))
            if created:
                report.note(True, f"page permission {codename} for {groups[role_slug].name}")
    # Publication goes through the province's moderators, then the co-organisers' sign-off (joint events).
    from cms.services import provision_publication_workflow

    provision_publication_workflow(province=province, section=section, moderators=groups["moderator"], report=report)
    # Its English section (every other content language): the same staff edit their own translations only.
    from cms.translations import provision_section_translations

    provision_section_translations(section=section, groups=groups, page_permissions=PAGE_PERMISSIONS, report=report)

    # The province's collection for documents and images.
    collection = Collection.objects.filter(name=province.name_zh, depth=2).first()
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


def province_collection(province: Province) -> Collection | None:
    return Collection.objects.filter(name=province.name_zh, depth=2).first()


def setup_roundtable(*, codes: list[str] | None = None) -> Report:
    """Provision every province (or the given codes); safe to run any number of times."""
    report = Report()
    ensure_home_page(report)
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
