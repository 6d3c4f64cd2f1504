"""Every ``next`` the hub honours passes here: only a path on this site (or an allowed host) is followed."""
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "/") -> str:
    """The ``next`` of the POST or query string if it stays on this site, otherwise ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


def redirect_next(request, default: str = "/"):
    return redirect(safe_next(request, default))
