"""The header's unread count is kept per user between pages and forgotten by every write of the user's notices."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub.models import Notification
from hub.notifications.services import notify

pytestmark = pytest.mark.django_db


def header(client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/events/").content.decode()
    return body, [query["sql"] for query in ctx.captured_queries if '"hub_notification"' in query["sql"]]


def test_count_is_kept_and_every_write_reaches_the_next_page(client_for, staff_of, page_cache,
                                                             django_capture_on_commit_callbacks):
    user = staff_of("SH", "editor")
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="action.created", recipients=[user], subject="第一条通知", url="/actions/")
    body, counted = header(client)
    assert ">1</span>" in body and counted
    body, counted = header(client)
    assert ">1</span>" in body and counted == []  # kept: no query for the header's count
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="action.created", recipients=[user], subject="第二条通知", url="/meetings/")
    assert ">2</span>" in header(client)[0]
    first = Notification.objects.get(subject="第一条通知")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/notifications/{first.pk}/open/")
    assert ">1</span>" in header(client)[0]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/notifications/read-all/")
    assert "data-unread-count" not in header(client)[0]
    with django_capture_on_commit_callbacks(execute=True):
        Notification.objects.create(recipient=user, kind="action.created", subject="后台补发的通知")
    assert ">1</span>" in header(client)[0]
