"""What the site needs for the roundtable and for each province: the home page, the province's section page (its
editors' subtree, with their page permissions) and its publication workflow. Registered with the core's
provisioning in ``CmsConfig.ready``; idempotent like every provisioning step."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils.text import slugify
from wagtail.models import GroupPagePermission, Page, Site

from hub.links import site_address

#: Page permissions on the province's section subtree, by role.
PAGE_PERMISSIONS = {
    "editor": ("add_page", "change_page"),
    "moderator": ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}


def ensure_home_page(report) -> Page:
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


def provision_site(*, report) -> None:
    ensure_home_page(report)


def provision_section(*, province, groups, report) -> None:
    """The province's section of the site, its editors' and moderators' page permissions there, and its
    publication workflow (the province's moderators, then the co-organisers' sign-off for joint events)."""
    from cms.models import ProvinceSectionPage
    from cms.services import provision_publication_workflow

    home = ensure_home_page(type(report)())
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
                group=groups[role_slug], page=section,
                permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename))
            if created:
                report.note(True, f"page permission {codename} for {groups[role_slug].name}")
    provision_publication_workflow(province=province, section=section, moderators=groups["moderator"], report=report)
    # Its English section (every other content language): the same staff edit their own translations only.
    from cms.translations import provision_section_translations

    provision_section_translations(section=section, groups=groups, page_permissions=PAGE_PERMISSIONS, report=report)
