"""Thin views of the accounts area: the site's login, lockout page, two-factor steps, the secretariat's unlock."""
from __future__ import annotations

import segno
from axes.conf import settings as axes_settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from hub.accounts import selectors, services
from hub.accounts.middleware import SESSION_KEY
from hub.links import absolute_url
from hub.permissions import is_secretariat
from hub.redirects import redirect_next, safe_next


class LoginView(auth_views.LoginView):
    template_name = "hub/login.html"
    redirect_authenticated_user = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members_only"] = self.request.GET.get("reason") == "members"
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset: the same answer whether or not an account has the address; links from HUB_BASE_URL."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self):
        return {"base_url": absolute_url("/").rstrip("/")}


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer on both login pages: 429 and a Chinese page in the site's layout."""
    minutes = int(axes_settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"minutes": minutes}, status=429)


@login_required
def two_factor_setup(request):
    """Enrolment: a QR code drawn here (no outside service) and the first code from the app confirms it."""
    if not services.may_use_two_factor(request.user):
        raise PermissionDenied
    enrolled = user_has_device(request.user, confirmed=True)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "disable":
                services.totp_disable(user=request.user, token=request.POST.get("token", ""))
                messages.success(request, _("已关闭两步验证。"))
                return redirect("two_factor_setup")
            device = services.totp_confirm(user=request.user, token=request.POST.get("token", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.get_full_path())
        otp_login(request, device)
        request.session.pop(SESSION_KEY, None)
        messages.success(request, _("两步验证已开启。以后登录时，输入密码后还需输入验证器 App 中的 6 位数字。"))
        return redirect(safe_next(request, reverse("two_factor_setup")))
    context = {"enrolled": enrolled, "next": safe_next(request, "")}
    if not enrolled:
        device = services.totp_device_pending(user=request.user)
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
        context["secret"] = _base32(device.bin_key)
    return render(request, "hub/accounts/two_factor_setup.html", context)


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@login_required
def two_factor_verify(request):
    """The step after the password for an account with two-factor sign-in."""
    if request.method == "POST":
        device = match_token(request.user, (request.POST.get("token") or "").strip())
        if device is not None:
            otp_login(request, device)
            request.session.pop(SESSION_KEY, None)
            return redirect_next(request, "/")
        messages.error(request, services.WRONG_CODE)
    return render(request, "hub/accounts/two_factor_verify.html", {"next": safe_next(request, "")})


@login_required
def lockouts(request):
    """The secretariat's list of locked accounts and addresses, each with an unlock button."""
    if not is_secretariat(request.user):
        raise PermissionDenied
    return render(request, "hub/accounts/lockouts.html", {
        "accounts": selectors.locked("username"), "addresses": selectors.locked("ip_address"),
        "limit": axes_settings.AXES_FAILURE_LIMIT,
        "minutes": int(axes_settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    })


@login_required
@require_POST
def lockout_release(request):
    username, address = request.POST.get("username", ""), request.POST.get("ip_address", "")
    try:
        services.lockout_release(actor=request.user, username=username, ip_address=address)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已解锁：%(who)s") % {"who": username or address})
    return redirect("lockouts")
