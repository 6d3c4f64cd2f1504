"""seed_demo refuses to touch a database with real content, and --if-empty makes it safe to run at every start."""
import email
import io
from email import policy
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.models import Page

from hub.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD

User = get_user_model()


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_accounts():
    return User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).count()


@pytest.mark.django_db
def test_it_refuses_a_database_with_a_real_account(user_factory):
    user_factory(username="wang.li")
    with pytest.raises(CommandError, match="wang.li"):
        seed()
    assert demo_accounts() == 0


@pytest.mark.django_db
def test_force_seeds_anyway(user_factory):
    user_factory(username="wang.li")
    seed("--force")
    assert User.objects.filter(username="sh-editor").exists()
    assert User.objects.filter(username="wang.li").exists()


@pytest.mark.django_db(transaction=True)  # the notifications sent on commit only go out when seeding really commits
@pytest.mark.slow
def test_if_empty_seeds_once_then_does_nothing_and_keeps_the_notifications_as_files(settings):
    """``make run``'s seeding (``--if-empty``) on an empty database, then again; one real seed for both checks (a
    seed costs about 20 s): its notifications are kept as files, never sent, and the second run changes nothing."""
    from django.core import mail

    out = seed("--if-empty")
    accounts, pages = demo_accounts(), Page.objects.count()
    assert accounts > 0
    demo_users = User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN)
    assert all(user.check_password(DEMO_PASSWORD) for user in demo_users)  # one hash shared by every account
    assert "already present" in seed("--if-empty")
    assert (demo_accounts(), Page.objects.count()) == (accounts, pages)
    files = sorted(Path(settings.DEMO_MAIL_DIR).glob("*.eml"))
    assert files and not mail.outbox  # nothing reached the configured backend
    assert f"{len(files)} notification e-mails of the demo data kept, not sent" in out
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert all(m["Subject"] and address.endswith("@" + DEMO_EMAIL_DOMAIN)
               for m in messages for address in m.get_all("To", []))
    assert any("请会签联合活动" in m["Subject"] for m in messages)  # the hub's own mail, not only Wagtail's
