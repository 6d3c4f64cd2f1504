"""Fill the hub with realistic Chinese demo content: every app's ``demo.seed(ctx)``, in order."""
import importlib
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.conf import settings
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


@contextmanager
def mail_kept_back():
    """Collect every e-mail sent inside the block instead of sending it; the list is filled when the block ends.

    Demo data triggers dozens of notifications (registrations, sign-off requests, expert requests, Wagtail's
    workflow mail) to .invalid demo addresses: the development console backend would bury seed_demo's own report
    under them, and a configured SMTP relay would only bounce them. The in-memory backend replaces whichever is
    configured for the block; on_commit mail is included when the block holds the outermost transaction.
    """
    from django.core import mail
    from django.test.utils import override_settings

    kept: list = []
    previous = getattr(mail, "outbox", None)  # a test run's outbox is left as it was
    mail.outbox = []
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield kept
        kept.extend(mail.outbox)
    finally:
        if previous is None:
            del mail.outbox
        else:
            mail.outbox = previous


def write_eml(messages, directory: Path) -> None:
    """One .eml file per message (any mail client opens them), replacing those of an earlier seeding."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.eml"):
        old.unlink()
    for n, message in enumerate(messages, start=1):
        to = message.to[0].split("@")[0] if message.to else "bcc"
        (directory / f"{n:03d}-{to}.eml").write_bytes(message.message().as_bytes())


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
        with mail_kept_back() as mails, transaction.atomic():
            for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
                self.stdout.write(f"seeding {module.__name__}")
                module.seed(ctx)
        directory = Path(settings.DEMO_MAIL_DIR)
        write_eml(mails, directory)
        shown = directory.relative_to(settings.BASE_DIR) if directory.is_relative_to(settings.BASE_DIR) else directory
        self.stdout.write(f"{len(mails)} notification e-mails of the demo data kept, not sent: {shown}/*.eml")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Accounts and password: see README."))
