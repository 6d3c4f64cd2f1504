"""At sign-in, decide once whether the session must pass the second step (see middleware.py)."""
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY

from hub.accounts.middleware import SESSION_KEY, second_factor_needed


@receiver(user_logged_in, dispatch_uid="hub.accounts.second_factor")
def mark_second_factor(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    needed = None if session.get(DEVICE_ID_SESSION_KEY) else second_factor_needed(user)
    if needed:
        session[SESSION_KEY] = needed
    else:
        session.pop(SESSION_KEY, None)
