"""Events and achievements in the hub's navigation, home page, province pages, admin and audit log."""
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet

from cms.achievements import AchievementType
from cms.events import EventCategory, EventPage

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
        from cms.services import organises

        event = page.specific
        if organises(user=user, event=event):
            yield Button(_("报名名单"), reverse("cms:registrations", args=[page.pk]), priority=45,
                         icon_name="list-ul")


@hooks.register("before_serve_document")
def members_only_documents(document, request):
    """A document used by a page the visitor may not open is not served to them either."""
    from cms.selectors import hidden_pages_q
    from cms.services import pages_using_document

    pages = pages_using_document(document)
    if pages is None:
        return None
    hidden = hidden_pages_q(request.user)
    if hidden and pages.filter(hidden).exists():
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return HttpResponseForbidden(_("该文件仅向圆桌会议成员开放。"))
    return None
