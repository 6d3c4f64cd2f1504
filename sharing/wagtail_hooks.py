"""The standards registry's place in the hub: admin snippet, main menu, home section, site search."""
from functools import wraps

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views.snippets import SnippetViewSet

from hub.models import Province
from hub.permissions import can, province_ids_for
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


#: The province action each admin object view needs (by URL name); anything unlisted needs "change".
VIEW_ACTIONS = {
    "history": "view", "history_results": "view", "usage": "view", "inspect": "view", "revisions_view": "view",
    "revisions_compare": "view", "preview_on_edit": "view", "workflow_history": "view",
    "workflow_history_detail": "view", "workflow_preview": "view",
    "delete": "delete", "copy": "add", "unpublish": "publish", "revisions_unschedule": "publish",
}


def province_gated(view, name):
    @wraps(view)
    def gated(request, *args, **kwargs):
        pk = kwargs.get("pk")
        if pk is not None:
            province_id = (GroupStandard.objects.filter(pk=unquote(str(pk))).values_list("province_id", flat=True)
                           .first())
            if province_id is None:
                raise Http404
            action = VIEW_ACTIONS.get(name, "change")
            if request.method == "POST" and name == "edit" and "action-publish" in request.POST:
                action = "publish"
            if not can(request.user, action, province_id):
                raise PermissionDenied
        return view(request, *args, **kwargs)

    return gated


class ReadableStandardsMixin:
    """Chooser views list and return only the standards the gate's read rule lets the user read: the public
    registry and their own province's at any stage (Wagtail would list every row the model permission allows)."""

    def get_object_list(self):
        from sharing import read_rules as read

        return read.readable_standards(self.request.user)


class GroupStandardChooseView(ReadableStandardsMixin, snippet_chooser.ChooseView):
    pass


class GroupStandardChooseResultsView(ReadableStandardsMixin, snippet_chooser.ChooseResultsView):
    pass


class GroupStandardChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        from sharing import read_rules as read

        return get_object_or_404(read.readable_standards(self.request.user), pk=unquote(str(pk)))


class GroupStandardChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        from sharing import read_rules as read

        return read.readable_standards(self.request.user).filter(pk__in=pks)


class GroupStandardChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = GroupStandardChooseView
    choose_results_view_class = GroupStandardChooseResultsView
    chosen_view_class = GroupStandardChosenView
    chosen_multiple_view_class = GroupStandardChosenMultipleView


class GroupStandardViewSet(SnippetViewSet):
    model = GroupStandard
    chooser_viewset_class = GroupStandardChooserViewSet
    icon = "doc-full"
    menu_label = _("团体标准")
    menu_name = "group_standards"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["number", "title_zh", "province", "status", "publication_date", "live"]
    list_filter = ["status", "province"]
    search_fields = ["number", "title_zh"]
    ordering = ["-year", "province__order", "sequence"]
    edit_handler = ObjectList([
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
    ], base_form_class=GroupStandardForm)

    def get_urlpatterns(self):
        # Wagtail's object views fetch by primary key from the model's manager; every one of them passes the
        # province gate here first, so another province's standard is refused whichever admin URL is used.
        return [URLPattern(p.pattern, province_gated(p.callback, p.name), p.default_args, p.name)
                if isinstance(p, URLPattern) else p for p in super().get_urlpatterns()]

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

    ids = selectors.search_ids(query, limit=limit)
    found = {s.pk: s for s in GroupStandard.objects.public().filter(pk__in=ids).select_related("province__association")}
    results = [{"title": f"{s.number} {s.title_zh}", "url": s.get_absolute_url(),
                "summary": f"{s.province.association.name_zh} · {s.get_status_display()}",
                "text": f"{s.get_status_display()} · {s.scope}" if getattr(s, "scope", "") else "",
                "province": s.province.name_zh}
               for s in (found[i] for i in ids if i in found)]
    return {"key": "standards", "label": _("团体标准"), "results": results}


@hooks.register("hub_file_uses")
def standard_files():
    """Full texts follow the text rule (non-public texts for roundtable staff only); evidence documents follow the
    decision rule (drafts for their province's reviewers only)."""
    from sharing import read_rules as read
    from sharing.models import RecognitionDecision

    return [("document", GroupStandard, "full_text", lambda user: read.readable_standard_texts(user)),
            ("document", RecognitionDecision, "evidence_document", lambda user: read.readable_decisions(user))]


@hooks.register("register_log_actions")
def register_evaluation_log_actions(actions):
    for action, label in (
        ("sharing.evaluation.create", _("新建评价项目")),
        ("sharing.evaluation.draw", _("抽取评审组")),
        ("sharing.evaluation.recuse", _("评审专家回避")),
        ("sharing.evaluation.reopen", _("退回重评")),
        ("sharing.evaluation.consensus", _("录入合议总分")),
        ("sharing.evaluation.announce", _("公示评价结果")),
        ("sharing.evaluation.publish", _("发布评价结果")),
        ("sharing.evaluation.revoke", _("撤销评价结果")),
        ("sharing.evaluation.consensus_session", _("安排合议会议")),
        ("sharing.evaluation.export", _("导出申报与评分")),
        ("sharing.evaluation.edit", _("修改评价项目")),
        ("sharing.evaluation.signoff_reset", _("修改后清除会签")),
        ("sharing.evaluation.criterion_delete", _("删除评价项")),
    ):
        actions.register_action(action, label, label)


@hooks.register("hub_main_menu")
def evaluations_menu(request):
    return {"label": _("质量评价"), "url": reverse("evaluations:list"), "order": 35}


@hooks.register("hub_file_uses")
def evaluation_files():
    """Application attachments: the applicant, the application's organisers and home province, and its assigned
    reviewers who declared no conflict — nobody else, whatever collection the file sits in."""
    from sharing import evaluation_selectors
    from sharing.models import ApplicationAttachment

    return [("document", ApplicationAttachment, "document", evaluation_selectors.readable_attachments)]


@hooks.register("hub_search_groups")
def evaluations_search_group(*, user, query, limit):
    """Public programmes and their announced, published (and revoked, said so) results; nothing else of an
    evaluation is ever searched."""
    from sharing import evaluation_selectors as sel

    results = [{"title": p.title, "url": p.get_absolute_url(),
                "summary": f"{p.province.name_zh} · {p.get_kind_display()} · {p.get_stage_display()}",
                "text": p.summary, "province": p.province.name_zh} for p in sel.search_programmes(query, limit)]
    for r in sel.search_results(query, max(0, limit - len(results))):
        application = r.application
        results.append({
            "title": f"{application.enterprise.name} · {application.title}",
            "url": r.get_absolute_url(),
            "summary": " · ".join(filter(None, [application.programme.title, r.level.name if r.level else "",
                                                r.get_status_display()])),
            "province": application.province.name_zh})
    return {"key": "evaluations", "label": _("质量评价"), "results": results}
