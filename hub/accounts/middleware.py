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


def websocket_user(scope, load_user=None):
    """The user of a websocket handshake as Channels' ``AuthMiddleware`` (``channels.auth.get_user``) followed by
    ``WebsocketSecondFactorGate`` decide it, in one synchronous call (it queries: run it on a thread). For a consumer
    that resolves the session's user on its own lookup thread together with its other lookups (live notes): one
    thread hop per handshake instead of one for the user and another for the consumer's query.

    ``load_user(user_id)`` stands in for the backend's ``get_user`` when the session's backend is Django's
    ``ModelBackend`` itself, and must answer as it does (the user if an active one has that id, else None): the
    caller's own statement may then fetch the user along with what else it needs."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, get_user_model, load_backend
    from django.contrib.auth import SESSION_KEY as USER_ID_KEY
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import AnonymousUser
    from django.utils.crypto import constant_time_compare

    session = scope.get("session")
    if session is None:
        return AnonymousUser()
    user = None
    try:
        user_id = get_user_model()._meta.pk.to_python(session[USER_ID_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            backend = load_backend(backend_path)
            if load_user is not None and type(backend) is ModelBackend:
                user = load_user(user_id)
            else:
                user = backend.get_user(user_id)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = session.get(HASH_SESSION_KEY)
                if not (session_hash and constant_time_compare(session_hash, user.get_session_auth_hash())):
                    session.flush()
                    user = None
    if user is None or session.get(SESSION_KEY):
        return AnonymousUser()
    return user
