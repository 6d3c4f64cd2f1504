"""Scheduled publishing fires: a page approved with a go-live time goes live, an expiring page comes down."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, Revision

from tests.cms.factories import content_page

pytestmark = pytest.mark.django_db


def test_scheduled_page_goes_live_when_its_time_has_come(province, client):
    section = province("SH").section_page
    page = content_page(section, "定时发布的通知", publish=False)
    page.go_live_at = timezone.now() + timedelta(hours=1)
    page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live and page.approved_schedule
    assert client.get(page.url or f"{section.url}{page.slug}/").status_code == 404

    # Time passes: the approved go-live moment is now behind us.
    past = timezone.now() - timedelta(minutes=1)
    revision = Revision.objects.get(object_id=str(page.pk), approved_go_live_at__isnull=False)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    call_command("run_scheduler", "--once")

    page.refresh_from_db()
    assert page.live
    assert client.get(page.url).status_code == 200


def test_scheduled_unpublish_takes_the_page_down(province, client):
    page = content_page(province("JS").section_page, "限时公示")
    page.expire_at = timezone.now() + timedelta(hours=1)
    page.save_revision().publish()
    url = page.url
    assert client.get(url).status_code == 200

    Page.objects.filter(pk=page.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    call_command("run_scheduler", "--once")

    page.refresh_from_db()
    assert not page.live and page.expired
    assert client.get(url).status_code == 404


def test_make_run_starts_the_scheduler_beside_the_server():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "run_scheduler" in run_recipe and "runserver" in run_recipe


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_running_scheduler_publishes_and_unpublishes_on_a_real_schedule(province, live_server):
    """The loop `make run` starts, as its own process against the same database, with go-live and expiry a few
    seconds ahead: nothing is backdated; the page appears and disappears on the site by itself."""
    import os
    import subprocess
    import sys
    import time

    import requests
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("needs a database a second process can share")
    section = province("SH").section_page
    coming = content_page(section, "五秒后上线的通知", publish=False)
    coming.go_live_at = timezone.now() + timedelta(seconds=4)
    coming.save_revision().publish()
    going = content_page(section, "五秒后下线的公示")
    going.expire_at = timezone.now() + timedelta(seconds=4)
    going.save_revision().publish()
    coming_url = f"{live_server.url}{section.url}{coming.slug}/"
    going_url = live_server.url + going.url
    assert requests.get(coming_url, timeout=10).status_code == 404
    assert requests.get(going_url, timeout=10).status_code == 200

    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url}
    scheduler = subprocess.Popen([sys.executable, "manage.py", "run_scheduler", "--interval", "1"], env=env,
                                 cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
    states = None
    try:
        deadline = time.monotonic() + 180  # the second process starts Django first; slow on a loaded machine
        while time.monotonic() < deadline and scheduler.poll() is None:
            states = (requests.get(coming_url, timeout=10).status_code, requests.get(going_url, timeout=10).status_code)
            if states == (200, 404):
                break
            time.sleep(0.5)  # polling interval, not a stand-in for the condition
    finally:
        scheduler.terminate()
        _, errors = scheduler.communicate(timeout=30)
    assert states == (200, 404), f"(go-live page, expiring page) answered {states}; scheduler: {errors.decode()[-2000:]}"
    assert b"failed" not in errors
