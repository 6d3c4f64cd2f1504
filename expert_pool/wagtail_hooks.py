from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from expert_pool import selectors
from expert_pool.models import Expert, Qualification, Specialism, joined


class SpecialismViewSet(SnippetViewSet):
    """The shared taxonomy; only superusers (or groups given the model permission) edit it — it is not
    province data."""

    model = Specialism
    icon = "tag"
    menu_label = _("专家专业领域")
    list_display = ["name", "order"]


class QualificationViewSet(SnippetViewSet):
    model = Qualification
    icon = "tag"
    menu_label = _("专家资格")
    list_display = ["name", "order"]


register_snippet(SpecialismViewSet)
register_snippet(QualificationViewSet)


@hooks.register("hub_main_menu")
def expert_menu(request):
    return {"label": _("专家库"), "url": reverse("expert_pool:directory"), "order": 50}


@hooks.register("hub_home_sections")
def expert_home_section(request):
    from hub.models import Province

    rows = list(Province.objects.ordered().annotate(
        n=Count("experts", filter=Q(experts__status=Expert.Status.ACTIVE))).values("pk", "name_zh", "colour", "n"))
    return {"template": "expert_pool/home_section.html", "order": 50, "by_province": rows,
            "active_count": sum(row["n"] for row in rows)}


@hooks.register("hub_province_sections")
def expert_province_section(request, province):
    count = Expert.objects.active().filter(province=province).count()
    return {"template": "expert_pool/province_section.html", "order": 50, "province": province, "count": count}


@hooks.register("hub_search_groups")
def expert_search_group(*, user, query, limit):
    """Only experts the user may find, matched only on fields the user may read."""
    experts = list(selectors.directory_search(user, selectors.DirectoryFilters(q=query))[:limit])
    from expert_pool import visibility

    results = []
    for expert in experts:
        fields = visibility.visible_fields(user, expert)
        summary = " · ".join(filter(None, [expert.province.name, expert.title,
                                           expert.employer if "employer" in fields else "",
                                           joined(s.label for s in expert.specialisms.all())]))
        results.append({"title": expert.name, "url": reverse("expert_pool:profile", args=[expert.pk]),
                        "summary": summary, "province": expert.province.name})
    return {"key": "experts", "label": _("专家"), "results": results}


@hooks.register("register_log_actions")
def register_log_actions(actions):
    actions.register_action("expert_pool.draw", _("随机抽取专家"), _("随机抽取专家"))
    actions.register_action("expert_pool.expert.merge", _("合并重复的专家记录"), _("合并重复的专家记录"))
    actions.register_action("expert_pool.experts.export", _("导出专家名单"), _("导出专家名单"))
