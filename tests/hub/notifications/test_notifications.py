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


def test_scheduling_invites_each_participant_once_and_starting_tells_them(staff_of, user_factory, settings,
                                                                          django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    from hub.roles import ROLES_BY_SLUG, group_name

    settings.HUB_BASE_URL = "https://hub.example.org"
    secretariat = user_factory(role="secretariat")
    zj_editor, zj_member, js_editor = staff_of("ZJ", "editor"), staff_of("ZJ", "member"), staff_of("JS", "editor")
    zj_editors = Group.objects.get(name=group_name("ZJ", ROLES_BY_SLUG["editor"]))
    with django_capture_on_commit_callbacks(execute=True):
        meeting = svc.meeting_create(actor=secretariat, title="第六次圆桌会议", host=Province.objects.get(code="ZJ"),
                                     starts_at=timezone.now() + datetime.timedelta(days=7), place="杭州",
                                     participants=[(zj_editors, "editor"), (zj_member, "observer")])
        svc.participant_add(actor=secretariat, meeting=meeting, who=zj_editor, role="editor")
    assert Notification.objects.filter(recipient=zj_editor, kind="meeting.invited").count() == 1
    invite = Notification.objects.get(recipient=zj_member, kind="meeting.invited")
    assert "第六次圆桌会议" in invite.subject and invite.url == f"https://hub.example.org/meetings/{meeting.pk}/"
    assert any(zj_member.email in m.to and "杭州" in m.body for m in mail.outbox)
    assert kinds_of(js_editor) == set()
    svc.meeting_start(actor=zj_editor, meeting_id=meeting.pk)  # starting is the host's
    assert "meeting.started" in kinds_of(zj_editor) and "meeting.started" in kinds_of(zj_member)
    assert kinds_of(js_editor) == set()


def test_a_settled_action_item_tells_the_deciding_meeting_s_host_and_the_secretariat(staff_of, user_factory):
    zj = Province.objects.get(code="ZJ")
    item = ActionItemFactory(owner_province=zj, meeting=MeetingFactory(host=Province.objects.get(code="JS")))
    js_editor, secretariat, zj_editor = staff_of("JS", "editor"), user_factory(role="secretariat"), staff_of(
        "ZJ", "editor")
    ah_editor = staff_of("AH", "editor")
    svc.action_item_done(actor=zj_editor, item_id=item.pk, evidence="已发布细则")
    for person in (js_editor, secretariat):
        notice = Notification.objects.get(recipient=person, kind="action.done")
        assert "已发布细则" in notice.body and f"#item-{item.pk}" in notice.url
    assert kinds_of(ah_editor) == set()
