"""Events and achievements in the hub's navigation, home page, province pages, admin and audit log."""
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpResponseForbidden
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet

from cms.achievements import AchievementType
from cms.events import EventAttachment, EventCategory, EventPage
from hub.permissions import is_unrestricted

register_snippet(EventCategory)
register_snippet(AchievementType)


@hooks.register("hub_main_menu")
def events_menu(request):
    return {"label": pgettext_lazy("main menu", "活动"), "url": reverse("cms:event_list"), "order": 20}


@hooks.register("hub_main_menu")
def achievements_menu(request):
    return {"label": _("成果"), "url": reverse("cms:achievement_list"), "order": 30}


@hooks.register("hub_home_sections")
def home_events(request):
    from cms import selectors

    return {"template": "cms/home_events.html", "order": 20,
            "events": selectors.latest_events(user=request.user, limit=4)}


@hooks.register("hub_home_sections")
def home_achievements(request):
    from cms import selectors

    return {"template": "cms/home_achievements.html", "order": 30,
            "achievements": selectors.latest_achievements(user=request.user, limit=4)}


@hooks.register("hub_province_sections")
def province_events(request, province):
    from cms import selectors

    return {"template": "cms/home_events.html", "order": 20, "province": province,
            "events": selectors.latest_events(user=request.user, limit=4, province=province)}


@hooks.register("hub_province_sections")
def province_achievements(request, province):
    from cms import selectors

    return {"template": "cms/home_achievements.html", "order": 30, "province": province,
            "achievements": selectors.latest_achievements(user=request.user, limit=4, province=province)}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("cms.registrations.export", _("导出报名名单"), _("导出报名名单"))
    actions.register_action("cms.signoff.approve", _("协办省市会签同意"), _("协办省市会签同意"))
    actions.register_action("cms.signoff.reject", _("协办省市退回修改"), _("协办省市退回修改"))
    actions.register_action("sharing.adoption.create", _("登记推广应用"), _("登记推广应用"))
    actions.register_action("sharing.adoption.change", _("修改推广应用"), _("修改推广应用"))
    actions.register_action("sharing.adoption.delete", _("删除推广应用"), _("删除推广应用"))


@hooks.register("register_page_listing_more_buttons")
def registrations_button(page, user, next_url=None):
    if page.specific_class is EventPage:
        from cms.selectors import organises

        event = page.specific
        if organises(user=user, event=event):
            yield Button(_("报名名单"), reverse("cms:registrations", args=[page.pk]), priority=45,
                         icon_name="list-ul")


@hooks.register("hub_file_uses")
def page_attachments():
    """Attachments of events and achievements: readable where their page is (the gate's page rule)."""
    from cms.achievements import AchievementAttachment
    from hub.permissions import read

    def attached_to_readable(model):
        return lambda user: model.objects.filter(page__in=read.readable_pages(user).values("pk"))

    return [("document", EventAttachment, "document", attached_to_readable(EventAttachment)),
            ("document", AchievementAttachment, "document", attached_to_readable(AchievementAttachment))]


@hooks.register("before_serve_document")
def unreadable_documents(document, request):
    """A document the gate's read rule withholds (used only by drafts, members-only pages, non-public texts…) is not
    served. Collection view restrictions are left to Wagtail's serve view, which offers their password form."""
    from hub.permissions import read

    if read.can_read_document(request.user, document, collections=False):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return HttpResponseForbidden(_("您无权下载此文件。"))


def _published_titles_for(user, pages):
    """``pages`` as a queryset whose pages show their published title to a user who may not see their drafts.

    Wagtail's choosers and reports display ``draft_title``, the title of the latest (unpublished) revision. The
    queryset class is swapped for a subclass that rewrites the title as the rows are fetched, so it survives the
    ``.specific()``, ``.filter()`` and search the chooser applies after this hook.
    """
    from hub.permissions import read

    base = type(pages)

    def _fetch_all(self):
        base._fetch_all(self)
        for page in self._result_cache or ():
            if hasattr(page, "draft_title") and not read.page_shows_draft_to(user, page):
                page.draft_title = page.title

    scoped = type(f"PublishedTitles{base.__name__}", (base,), {"_fetch_all": _fetch_all})
    pages = pages.all()
    pages.__class__ = scoped
    return pages


@hooks.register("construct_page_chooser_queryset")
def readable_pages_in_chooser(pages, request):
    """The page chooser (browse and search) offers what the gate lets the user read: published pages they may open
    and the drafts of their own subtrees; never another province's unpublished pages or revision titles. The tree's
    root and home page stay browsable so the chooser can be navigated."""
    from hub.permissions import read

    user = request.user
    if is_unrestricted(user):
        return pages
    pages = pages.filter(Q(pk__in=read.readable_pages(user).values("pk")) | Q(depth__lte=1))
    return _published_titles_for(user, pages)


def _scope_page_types_usage_report():
    """The page-types usage report names the last edited page of each type, drafts of every province included.
    Wagtail offers no hook for it; its decoration step is wrapped so that a page the user may not read is left
    out and a readable one shows its published title."""
    from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView

    original = PageTypesUsageReportView.decorate_paginated_queryset
    if getattr(original, "hub_scoped", False):
        return

    def decorate_paginated_queryset(self, page_types):
        from hub.permissions import read

        page_types = original(self, page_types)
        user = self.request.user
        for item in page_types:
            page = item.last_edited_page
            if page is None or is_unrestricted(user):
                continue
            if not read.readable_pages(user).filter(pk=page.pk).exists():
                item.last_edited_page = None
            elif not read.page_shows_draft_to(user, page):
                page.draft_title = page.title
        return page_types

    decorate_paginated_queryset.hub_scoped = True
    PageTypesUsageReportView.decorate_paginated_queryset = decorate_paginated_queryset


_scope_page_types_usage_report()


@hooks.register("construct_admin_api", order=100)
def readable_files_in_admin_api(router):
    """The admin API's document and image listings (used by the admin's own widgets) list what the user's
    collections hold and what the gate's read rule lets them read, not every file of every province."""
    from wagtail.documents import get_document_model
    from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
    from wagtail.images import get_image_model
    from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
    from wagtail.permissions import policy_registry

    document_policy = policy_registry.get_by_type(get_document_model())
    image_policy = policy_registry.get_by_type(get_image_model())

    from hub.permissions import read

    def scoped(base, policy, readable):
        def get_queryset(self):
            queryset = base.get_queryset(self)
            user = self.request.user
            if is_unrestricted(user):
                return queryset
            own = policy.instances_user_has_any_permission_for(user, ["choose", "change"]).values("pk")
            return queryset.filter(Q(pk__in=own) | Q(pk__in=readable(user).values("pk")))

        return type(f"Readable{base.__name__}", (base,), {"get_queryset": get_queryset})

    router.register_endpoint("documents", scoped(DocumentsAdminAPIViewSet, document_policy, read.readable_documents))
    router.register_endpoint("images", scoped(ImagesAdminAPIViewSet, image_policy, read.readable_images))
