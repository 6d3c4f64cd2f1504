"""Fill the hub with realistic Chinese demo content: every app's ``demo.seed(ctx)``, in order."""
import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hub.demo import DEMO_EMAIL_DOMAIN

PROJECT_APPS = ("hub", "cms", "sharing", "expert_pool")


class Context:
    """What each app's seed() receives: a way to report, and a shared random source for repeatable data."""

    def __init__(self, command):
        import random

        self.command = command
        self.random = random.Random(20261124)

    def say(self, message: str) -> None:
        self.command.stdout.write(f"  {message}")


def real_content_reasons() -> list[str]:
    """Why the database looks like it holds real (non-demo) data; empty when it is empty or demo only."""
    from wagtail.models import Page

    User = get_user_model()
    reasons = []
    real_users = (User.objects.exclude(email__endswith="@" + DEMO_EMAIL_DOMAIN)
                  .exclude(username="AnonymousUser").values_list("username", flat=True)[:5])
    if real_users:
        reasons.append("accounts that are not demo accounts exist: " + ", ".join(real_users))
    structural = {"wagtailcore.page", "cms.homepage", "cms.provincesectionpage"}
    other_pages = Page.objects.filter(depth__gt=1).exclude(
        owner__email__endswith="@" + DEMO_EMAIL_DOMAIN).select_related("content_type")
    foreign = [p.title for p in other_pages if f"{p.content_type.app_label}.{p.content_type.model}" not in structural]
    if foreign:
        reasons.append("pages not created by the demo exist: " + ", ".join(foreign[:5]))
    return reasons


def demo_present() -> bool:
    return get_user_model().objects.filter(username="secretariat", email__endswith="@" + DEMO_EMAIL_DOMAIN).exists()


class Command(BaseCommand):
    help = "Create demo content for every feature. Refuses on a database with real content unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="seed even though real content exists")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when demo data is already there")

    def handle(self, *args, force=False, if_empty=False, **options):
        if if_empty and demo_present():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        reasons = real_content_reasons()
        if reasons and not force:
            raise CommandError("This database holds real content, so seed_demo will not touch it ("
                               + "; ".join(reasons) + "). Use --force to seed anyway.")
        call_command("setup_roundtable", verbosity=0, stdout=self.stdout)
        modules = []
        for label in PROJECT_APPS:
            app = apps.get_app_config(label)
            # An app may split its demo data over several modules (AppConfig.DEMO_MODULES).
            for name in getattr(app, "DEMO_MODULES", (f"{app.name}.demo",)):
                try:
                    modules.append(importlib.import_module(name))
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
        ctx = Context(self)
        with transaction.atomic():
            for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
                self.stdout.write(f"seeding {module.__name__}")
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Accounts and password: see README."))
