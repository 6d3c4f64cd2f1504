"""The roundtable core's Wagtail hooks: province sections are structure, not content; meetings in menu and home."""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from hub.permissions import is_unrestricted

SECTION_IS_STRUCTURE = _("省市栏目页由系统统一设置，只能修改内容，不能删除、移动、复制或下线。如需调整请联系系统管理员。")


def _is_section(page) -> bool:
    # Page types that provisioning creates and the province's permissions hang on say so (cms: ProvinceSectionPage).
    return bool(getattr(page.specific_class, "provisioned_structure", False))


def _refuse(request, page):
    messages.error(request, SECTION_IS_STRUCTURE)
    return redirect(reverse("wagtailadmin_explore", args=[page.pk]))


def _guard_section(request, page, *args):
    # A province section is provisioned by setup_roundtable and anchors the province's page permissions;
    # removing or moving it would strand every editor of that province.
    if _is_section(page) and not is_unrestricted(request.user):
        return _refuse(request, page)
    return None


for _hook in ("before_delete_page", "before_move_page", "before_copy_page", "before_unpublish_page"):
    hooks.register(_hook, _guard_section)


@hooks.register("before_bulk_action")
def guard_sections_in_bulk(request, action_type, objects, action_class_instance):
    from wagtail.models import Page

    if is_unrestricted(request.user) or action_type not in ("delete", "move", "unpublish"):
        return None
    for page in objects:
        if isinstance(page, Page) and _is_section(page):
            return _refuse(request, page)
    return None


@hooks.register("hub_main_menu")
def meetings_menu_item(request):
    if request is None or not request.user.is_authenticated:
        return None
    return {"label": gettext_lazy("圆桌会议"), "url": reverse("meeting_list"), "order": 15}


@hooks.register("hub_home_sections")
def meetings_home_section(request):
    if not request.user.is_authenticated:
        return None
    from hub.meetings import selectors as sel

    meeting = sel.next_meeting(request.user)
    items = list(sel.open_action_items(request.user)[:5])
    if meeting is None and not items:
        return None
    return {"template": "hub/meetings/home_section.html", "order": 15, "next_meeting": meeting, "open_items": items}


@hooks.register("register_admin_viewset")
def register_roundtable_members():
    from hub.viewsets import RoundtableViewSetGroup

    return RoundtableViewSetGroup()


@hooks.register("register_log_actions")
def register_account_log_actions(actions):
    actions.register_action("hub.lockout.release", gettext_lazy("解除登录锁定"), gettext_lazy("解除登录锁定"))


class _SecretariatMenuItem(MenuItem):
    def is_shown(self, request):
        from hub.permissions import is_secretariat

        return is_secretariat(request.user)


@hooks.register("register_admin_menu_item")
def lockouts_menu_item():
    return _SecretariatMenuItem(gettext_lazy("登录锁定"), reverse("lockouts"), icon_name="lock", order=9000)


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {"url": reverse("two_factor_setup"), "label": gettext_lazy("两步验证"), "help_text":
            gettext_lazy("登录时除密码外再输入验证器 App 中的 6 位数字。")}
