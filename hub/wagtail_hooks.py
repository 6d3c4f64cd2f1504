"""The roundtable core's contributions to navigation and the home page."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("hub_main_menu")
def meetings_menu_item(request):
    if request is None or not request.user.is_authenticated:
        return None
    return {"label": _("圆桌会议"), "url": reverse("meeting_list"), "order": 15}


@hooks.register("hub_home_sections")
def meetings_home_section(request):
    if not request.user.is_authenticated:
        return None
    from hub import selectors_meetings as sel

    meeting = sel.next_meeting(request.user)
    items = list(sel.open_action_items(request.user)[:5])
    if meeting is None and not items:
        return None
    return {"template": "hub/meetings/home_section.html", "order": 15, "next_meeting": meeting, "open_items": items}
