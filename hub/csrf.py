"""CSRF for forms that anonymous visitors post from pages a shared cache keeps.

A ``{% csrf_token %}`` in an anonymous page sets a cookie and makes the page personal, so no cache may share it.
An anonymous form post is checked by its ``Origin`` header instead (every browser sends one with a POST since
2020): a forged cross-site post carries the attacker's origin and is refused. A visitor with a session gets the
token in the page, as everywhere else, and the full check.
"""
from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

REASON_ORIGIN = "Anonymous form post without an Origin header of this site."


def _same_origin(request) -> bool:
    origin = request.META.get("HTTP_ORIGIN")
    if not origin or origin == "null":
        return False
    return origin == f"{request.scheme}://{request.get_host()}" or origin in settings.CSRF_TRUSTED_ORIGINS


def origin_checked_for_anonymous(view):
    """Exempt ``view`` from the token check for anonymous posts of this site's origin; full check otherwise."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        # The test client's switch, honoured as Django's middleware honours it.
        if request.method == "POST" and not getattr(request, "_dont_enforce_csrf_checks", False):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                refused = CsrfViewMiddleware(lambda r: None).process_view(request, view, args, kwargs)
                if refused is not None:
                    return refused
            elif not _same_origin(request):
                from django.views.csrf import csrf_failure

                return csrf_failure(request, reason=REASON_ORIGIN)
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapped)
