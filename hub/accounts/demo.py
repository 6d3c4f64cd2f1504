"""Demo data of the accounts area: a guessing attempt the secretariat can see and lift at /accounts/lockouts/."""
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django.utils import timezone


def seed_lockouts(ctx):
    AccessAttempt.objects.filter(ip_address="203.0.113.45").delete()
    AccessAttempt.objects.create(
        username="zhangsan", ip_address="203.0.113.45", user_agent="demo", path_info="/accounts/login/",
        http_accept="text/html", get_data="", post_data="", attempt_time=timezone.now(),
        failures_since_start=axes_settings.AXES_FAILURE_LIMIT)
    ctx.say("login lockouts: one guessed account and address, listed for the secretariat at /accounts/lockouts/")
