"""The second step of sign-in: an account with a TOTP device is not signed in until its code was entered."""
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from hub.permissions import is_unrestricted

#: Session key set at sign-in: "verify" (has a device) or "enrol" (a superuser in production without one).
SESSION_KEY = "hub_second_factor"
EXEMPT_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/healthz", "/i18n/")


class SecondFactorMiddleware:
    """Holds a signed-in but unverified session at the verify (or enrolment) step, whatever login page it used.

    The decision is taken once at sign-in (``hub.accounts.signals``) and kept in the session, so ordinary
    requests cost no extra query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pending = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if pending and not request.path.startswith(EXEMPT_PREFIXES):
            user = request.user
            if user.is_authenticated and not user.is_verified():
                name = "two_factor_verify" if pending == "verify" else "two_factor_setup"
                return redirect(reverse(name) + "?" + urlencode({"next": request.get_full_path()}))
            request.session.pop(SESSION_KEY, None)
        return self.get_response(request)


def second_factor_needed(user) -> str | None:
    from django_otp import user_has_device

    if user_has_device(user, confirmed=True):
        return "verify"
    if settings.HUB_SUPERUSER_2FA_REQUIRED and is_unrestricted(user):
        return "enrol"
    return None


class WebsocketSecondFactorGate:
    """Channels: a session still waiting for its second factor is anonymous on websockets too (live notes)."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        from channels.db import database_sync_to_async
        from django.contrib.auth.models import AnonymousUser

        session = scope.get("session")
        if session is not None:
            # The auth middleware has read the session already (``accessed``): then no thread hop and no query
            # per handshake; otherwise the session is loaded off the event loop.
            pending = (session.get(SESSION_KEY) if session.accessed
                       else await database_sync_to_async(session.get)(SESSION_KEY))
            if pending:
                scope = dict(scope, user=AnonymousUser())
        return await self.inner(scope, receive, send)


def websocket_user(scope):
    """The user of a websocket handshake as Channels' ``AuthMiddleware`` followed by ``WebsocketSecondFactorGate``
    decide it, in one synchronous call (it queries: run it on a thread). For a consumer that resolves the session's
    user on its own lookup thread together with its other lookups (live notes): one thread hop per handshake
    instead of one for the user and another for the consumer's query."""
    from channels.auth import get_user
    from django.contrib.auth.models import AnonymousUser

    if "session" not in scope:
        return AnonymousUser()
    user = get_user.func(scope)  # Channels' own rule (session hash verified), without its thread hop
    if scope["session"].get(SESSION_KEY):
        return AnonymousUser()
    return user
