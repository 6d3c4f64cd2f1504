"""Notifications: every step of meetings reaches the right people of the right province, in the inbox and by
e-mail as each person chooses, with absolute links; reminders arrive once."""
import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from hub.meetings import services as svc
from hub.models import Notification, Participant, Province
from hub.notifications import kinds
from hub.notifications.services import notify, preferences_set
from tests.hub.meetings.factories import ActionItemFactory, MeetingFactory
from tests.hub.meetings.test_meetings import everyone_participates, write_notes

pytestmark = pytest.mark.django_db


def kinds_of(user):
    return set(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_closing_tells_participants_and_asks_each_province_s_answerers(staff_of, user_factory, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.HUB_BASE_URL = "https://hub.example.org"
    meeting = MeetingFactory()
    everyone_participates(meeting)
    zj_observer, zj_editor, sh_editor = staff_of("ZJ", "member"), staff_of("ZJ", "editor"), staff_of("SH", "editor")
    Participant.objects.create(meeting=meeting, user=zj_observer, role="observer")
    secretariat, bystander = user_factory(role="secretariat"), staff_of("JS", "editor")
    write_notes(meeting)
    with django_capture_on_commit_callbacks(execute=True):
        svc.meeting_close(actor=sh_editor, meeting_id=meeting.pk)
    for person in (zj_observer, zj_editor, sh_editor, secretariat):
        assert "meeting.closed" in kinds_of(person), person
    assert "minutes.confirm_requested" in kinds_of(zj_editor) and "minutes.confirm_requested" in kinds_of(sh_editor)
    assert "minutes.confirm_requested" not in kinds_of(zj_observer)
    assert "minutes.confirm_requested" not in kinds_of(secretariat)
    assert kinds_of(bystander) == set()
    request = Notification.objects.get(recipient=zj_editor, kind="minutes.confirm_requested")
    assert "浙江" in request.subject and request.url == f"https://hub.example.org/meetings/{meeting.pk}/#minutes"
    # the new 督办 item (a checklist line "@浙江 2026-12-31") goes to Zhejiang's staff
    assert "action.created" in kinds_of(zj_editor) and "action.created" not in kinds_of(zj_observer)
    mails = [m for m in mail.outbox if zj_editor.email in m.to]
    assert mails and all("https://hub.example.org/" in m.body for m in mails)


def test_signing_tells_everyone_taking_part(staff_of, user_factory):
    meeting = MeetingFactory()
    everyone_participates(meeting)
    sh_editor, zj_editor, secretariat = staff_of("SH", "editor"), staff_of("ZJ", "editor"), user_factory(
        role="secretariat")
    write_notes(meeting)
    svc.meeting_close(actor=sh_editor, meeting_id=meeting.pk)
    for code, who in (("SH", sh_editor), ("ZJ", zj_editor)):
        svc.minutes_answer(actor=who, meeting_id=meeting.pk, province=Province.objects.get(code=code),
                           decision="confirm")
    for person in (sh_editor, zj_editor, secretariat):
        assert "minutes.signed" in kinds_of(person)


def test_reminders_due_in_three_days_and_overdue_arrive_once(staff_of, user_factory):
    today = timezone.localdate()
    zj = Province.objects.get(code="ZJ")
    zj_editor, zj_member, secretariat = staff_of("ZJ", "editor"), staff_of("ZJ", "member"), user_factory(
        role="secretariat")
    soon = ActionItemFactory(owner_province=zj, due=today + datetime.timedelta(days=2))
    late = ActionItemFactory(owner_province=zj, due=today - datetime.timedelta(days=1))
    ActionItemFactory(owner_province=zj, due=today + datetime.timedelta(days=10))
    call_command("notify_action_items")
    call_command("notify_action_items")
    assert Notification.objects.filter(recipient=zj_editor, kind="action.due_soon").count() == 1
    assert Notification.objects.filter(recipient=zj_editor, kind="action.overdue").count() == 1
    assert Notification.objects.filter(recipient=secretariat, kind="action.overdue").count() == 1
    assert not Notification.objects.filter(recipient=secretariat, kind="action.due_soon").exists()
    assert not Notification.objects.filter(recipient=zj_member).exists()
    assert str(soon.pk) in Notification.objects.get(recipient=zj_editor, kind="action.due_soon").url
    assert str(late.pk) in Notification.objects.get(recipient=zj_editor, kind="action.overdue").url


def test_email_follows_each_person_s_choice_per_kind(staff_of, django_capture_on_commit_callbacks):
    wants, declines = staff_of("SH", "editor"), staff_of("SH", "editor")
    preferences_set(user=declines, email_kinds=[k.key for k in kinds.all_kinds() if k.key != "action.created"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="action.created", recipients=[wants, declines], subject="测试", url="/actions/")
    assert [m.to for m in mail.outbox] == [[wants.email]]
    assert Notification.objects.filter(kind="action.created").count() == 2
    with pytest.raises(ValueError):
        notify(kind="no.such.kind", recipients=[wants], subject="x")


def test_inbox_shows_unread_count_opens_and_marks_read(client_for, staff_of):
    user, other = staff_of("SH", "editor"), staff_of("ZJ", "editor")
    notify(kind="action.created", recipients=[user], subject="第一条通知", url="/actions/")
    notify(kind="action.created", recipients=[user], subject="第二条通知", url="/meetings/")
    theirs = notify(kind="action.created", recipients=[other], subject="别人的通知")[0]
    client = client_for(user)
    page = client.get("/meetings/").content.decode()
    assert 'data-unread-count' in page and ">2</span>" in page
    inbox = client.get("/notifications/").content.decode()
    assert "第一条通知" in inbox and "别人的通知" not in inbox
    first = Notification.objects.get(subject="第一条通知")
    response = client.post(f"/notifications/{first.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/actions/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    client.post("/notifications/read-all/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert 'data-unread-count' not in client.get("/meetings/").content.decode()


def test_preferences_page_lists_every_kind_and_saves(client_for, staff_of):
    user = staff_of("SH", "editor")
    client = client_for(user)
    page = client.get("/notifications/preferences/").content.decode()
    for kind in kinds.all_kinds():
        assert f'value="{kind.key}"' in page
    client.post("/notifications/preferences/", {"email": ["minutes.signed"]})
    from hub.notifications.selectors import preferences

    chosen = {k.key: email for k, email in preferences(user)}
    assert chosen["minutes.signed"] and not chosen["action.created"]
    response = client.post("/notifications/preferences/", {"email": ["bogus.kind"]})
    assert response.status_code == 200 and "未知的通知类型" in response.content.decode()
    assert {k.key: email for k, email in preferences(user)} == chosen
