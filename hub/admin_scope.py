"""The Wagtail admin's page-keyed URLs pass the gate's page read rule before Wagtail's own view runs.

Several admin views show a page's (draft) title before they check what the user may do with it — the move
confirmation, the workflow preview's error message, the chooser's header — so another province's unpublished pages
and revision titles leaked through URLs nobody links to. Here every admin URL that names a page answers 404 unless the
page is in a subtree the user's groups hold page permissions on; published pages the user may read stay browsable in
the explorer and the page chooser (linking to another province's published page is ordinary).
"""
from __future__ import annotations

from django.http import Http404

from hub.permissions import is_active, is_unrestricted

#: URL keyword arguments of Wagtail's admin views that name a page.
PAGE_KWARGS = ("page_id", "parent_page_id", "page_to_move_id", "page_pk", "destination_id")
#: Admin URL names (namespace included) that merely browse a published page's children.
BROWSE_VIEWS = {"wagtailadmin_choose_page_child", "wagtailadmin_explore", "wagtailadmin_explore_results"}


class AdminPageScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is None or not (match.route or "").startswith("admin/"):
            return None
        user = getattr(request, "user", None)
        if not is_active(user) or is_unrestricted(user):
            return None
        ids = [view_kwargs[key] for key in PAGE_KWARGS if key in view_kwargs]
        if "pk" in view_kwargs and "wagtailadmin_pages" in match.namespaces:
            ids.append(view_kwargs["pk"])
        if not ids:
            return None
        from wagtail.models import Page

        from hub.permissions import read

        browsing = match.view_name in BROWSE_VIEWS
        for page_id in ids:
            page = Page.objects.filter(pk=page_id).only("pk", "path", "depth", "has_unpublished_changes").first()
            if page is None or read.page_shows_draft_to(user, page):
                continue
            if page.depth <= 2:
                continue  # the tree's root and the home page: every editor's ancestors
            if _acts_in_workflow(user, page_id):
                continue  # a co-organiser signing off a joint event reviews the lead province's draft
            # A browsed page heads the listing with its draft title: only pages without unpublished changes.
            if browsing and not page.has_unpublished_changes and read.readable_pages(user).filter(pk=page.pk).exists():
                continue
            raise Http404
        return None


def _acts_in_workflow(user, page_id) -> bool:
    """Whether the page's current workflow task gives the user something to do (approve or reject)."""
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    task = page.specific.current_workflow_task if page is not None else None
    return bool(task and task.specific.get_actions(page.specific, user))
