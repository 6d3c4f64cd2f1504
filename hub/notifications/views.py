"""The inbox, marking read and the e-mail preferences: thin views over the notification services."""
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hub.notifications import selectors, services
from hub.notifications.models import Notification


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "hub/notifications/inbox.html", {"page": page, "unread": selectors.unread_count(
        request.user)})


@login_required
@require_POST
def open_notice(request, pk):
    """Mark one notice read and follow its link (always a path on this site, never another host)."""
    notice = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(user=request.user, notification_ids=[notice.pk])
    if notice.url:
        parts = urlsplit(notice.url)
        return redirect(parts.path + (f"?{parts.query}" if parts.query else "") + (
            f"#{parts.fragment}" if parts.fragment else ""))
    return redirect("notification_inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = services.notification_mark_read(user=request.user)
    messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": count})
    return redirect("notification_inbox")


@login_required
def preferences(request):
    if request.method == "POST":
        try:
            services.preferences_set(user=request.user, email_kinds=request.POST.getlist("email"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notification_preferences")
    return render(request, "hub/notifications/preferences.html", {"rows": selectors.preferences(request.user)})
