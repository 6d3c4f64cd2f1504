"""The standards registry's place in the hub: admin snippet, main menu, home section, site search."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permissions import register_permission_policy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from hub.models import Province
from hub.permissions import province_ids_for
from sharing.models import GroupStandard
from sharing.permissions import ProvincePermissionPolicy


class GroupStandardForm(WagtailAdminModelForm):
    """Only provinces the user may add to (new) or change (existing) are offered as issuer."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if "province" in self.fields and for_user is not None:
            action = "change" if self.instance.pk else "add"
            self.fields["province"].queryset = Province.objects.filter(pk__in=province_ids_for(for_user, action))
        if "replaced_by" in self.fields and for_user is not None:
            self.fields["replaced_by"].queryset = GroupStandard.objects.exclude(pk=self.instance.pk)


class GroupStandardViewSet(SnippetViewSet):
    model = GroupStandard
    icon = "doc-full"
    menu_label = _("团体标准")
    menu_name = "group_standards"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["number", "title_zh", "province", "status", "publication_date", "live"]
    list_filter = ["status", "province"]
    search_fields = ["number", "title_zh"]
    ordering = ["-year", "province__order", "sequence"]
    base_form_class = GroupStandardForm
    panels = [
        FieldRowPanel([FieldPanel("province"), FieldPanel("number")]),
        FieldPanel("title_zh"),
        FieldPanel("title_en"),
        FieldRowPanel([FieldPanel("ics_codes"), FieldPanel("ccs_code")]),
        MultiFieldPanel([
            FieldPanel("status"),
            FieldRowPanel([FieldPanel("approved_on"), FieldPanel("comment_deadline")]),
            FieldRowPanel([FieldPanel("publication_date"), FieldPanel("implementation_date"),
                           FieldPanel("withdrawal_date")]),
            FieldPanel("replaced_by"),
        ], heading=_("状态与日期")),
        FieldPanel("scope"),
        FieldPanel("drafting_organisations"),
        MultiFieldPanel([FieldPanel("full_text"), FieldPanel("text_public")], heading=_("全文")),
    ]

    def get_queryset(self, request):
        # Editors see their own province's standards (drafts included); other provinces' are on the public site.
        return GroupStandard.objects.restrict(request.user, "view").select_related("province")


register_permission_policy(GroupStandard, ProvincePermissionPolicy(GroupStandard))
register_snippet(GroupStandardViewSet)


@hooks.register("hub_main_menu")
def standards_menu(request):
    return {"label": _("团体标准"), "url": reverse("standards:registry"), "order": 30}


@hooks.register("hub_main_menu")
def matrix_menu(request):
    return {"label": _("互认矩阵"), "url": reverse("standards:matrix"), "order": 31}


@hooks.register("hub_home_sections")
def standards_home_section(request):
    from sharing import selectors

    latest = list(GroupStandard.objects.public().select_related("province__association")
                  .order_by("-publication_date", "-pk")[:5])
    if not latest:
        return None
    return {"template": "sharing/home_section.html", "order": 30, "latest": latest,
            "region_wide": selectors.region_wide_count()}


@hooks.register("hub_search_groups")
def standards_search_group(*, user, query, limit):
    from sharing import selectors

    ids = selectors.search_ids(query)[:limit]
    found = {s.pk: s for s in GroupStandard.objects.public().filter(pk__in=ids).select_related("province__association")}
    results = [{"title": f"{s.number} {s.title_zh}", "url": s.get_absolute_url(),
                "summary": f"{s.province.association.name_zh} · {s.get_status_display()}"}
               for s in (found[i] for i in ids if i in found)]
    return {"key": "standards", "label": _("团体标准"), "results": results}
