"""Online registration: seats, waitlist, approval, cancellation, e-mail with .ics, exports and the audit log."""
import csv
import io
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone
from icalendar import Calendar

from cms import services
from cms.events import EventQuestion, Registration
from tests.cms import factories

pytestmark = pytest.mark.django_db


def register(event, n, **extra):
    return services.registration_create(event_id=event.pk, name=f"报名人{n}", email=f"p{n}@example.test", **extra)


@pytest.fixture
def event(province):
    return factories.event(province("SH"), registration_open=True, capacity=2, co_organisers=[province("ZJ")])


def test_seats_then_waitlist(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third = (register(event, i) for i in range(3))
    assert [first.status, second.status, third.status] == ["confirmed", "confirmed", "waitlisted"]
    assert len(mail.outbox) == 3
    assert "候补" in mail.outbox[2].subject


def test_confirmation_mail_carries_a_parseable_ics_and_cancel_link(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, 1)
    message = mail.outbox[0]
    assert message.to == ["p1@example.test"]
    assert registration.cancel_url() in message.body
    (name, content, mimetype), = message.attachments
    assert name == "event.ics" and mimetype.startswith("text/calendar")
    vevent, = Calendar.from_ical(content).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == event.title
    assert vevent.decoded("DTSTART") == event.starts_at


def test_cancel_through_the_link_moves_the_waitlist_up(client, event, django_capture_on_commit_callbacks):
    first, _second, third = (register(event, i) for i in range(3))
    url = f"/events/registration/{first.token}/cancel/"
    assert "确认取消报名" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == "cancelled" and third.status == "confirmed"
    promoted = [m for m in mail.outbox if m.to == ["p2@example.test"]]
    assert promoted and "候补转正" in promoted[0].subject and promoted[0].attachments
    with pytest.raises(ValidationError):
        services.registration_cancel(token=first.token)


def test_same_email_cannot_register_twice_but_may_again_after_cancelling(event):
    first = register(event, 1)
    with pytest.raises(ValidationError):
        services.registration_create(event_id=event.pk, name="重复", email="P1@example.test")
    services.registration_cancel(token=first.token)
    assert register(event, 1).status == "confirmed"


def test_deadline_and_closed_registration_are_refused(province):
    closed = factories.event(province("SH"), registration_open=False)
    with pytest.raises(ValidationError):
        register(closed, 1)
    late = factories.event(province("SH"), registration_open=True,
                           registration_deadline=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as exc:
        register(late, 1)
    assert "截止" in exc.value.messages[0]
    assert not Registration.objects.exists()


def test_approval_by_the_organising_province(province, staff_of, django_capture_on_commit_callbacks):
    event = factories.event(province("SH"), registration_open=True, capacity=1,
                            registration_requires_approval=True)
    pending, waiting = register(event, 1), register(event, 2)
    assert (pending.status, waiting.status) == ("pending", "waitlisted")
    with pytest.raises(Http404):
        services.registration_decide(actor=staff_of("ZJ", "moderator"), registration_id=pending.pk, approve=True)
    with pytest.raises(Http404):
        services.registration_decide(actor=staff_of("SH", "member"), registration_id=pending.pk, approve=True)
    with pytest.raises(PermissionDenied):
        services.registration_decide(actor=staff_of("SH", "reviewer"), registration_id=pending.pk, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_decide(actor=staff_of("SH", "editor"), registration_id=pending.pk, approve=False)
    pending.refresh_from_db()
    waiting.refresh_from_db()
    assert pending.status == "rejected" and waiting.status == "pending"
    services.registration_decide(actor=staff_of("SH", "moderator"), registration_id=waiting.pk, approve=True)
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"


def test_custom_questions_are_asked_and_answered(client, province):
    event = factories.event(province("SH"), registration_open=True)
    EventQuestion.objects.create(page=event, label="所在部门", kind="text", required=True)
    EventQuestion.objects.create(page=event, label="用餐", kind="choice", choices="需要、不需要", required=True)
    response = client.post(f"/events/{event.pk}/register/", {"name": "张三", "email": "z@example.test"})
    assert response.status_code == 400 and not Registration.objects.exists()
    q1, q2 = event.questions.all()
    response = client.post(f"/events/{event.pk}/register/", {
        "name": "张三", "email": "z@example.test", f"q_{q1.pk}": "质量部", f"q_{q2.pk}": "需要"})
    assert response.status_code == 302
    assert Registration.objects.get().answers == {"所在部门": "质量部", "用餐": "需要"}


def test_registrant_data_only_for_organising_provinces(client_for, staff_of, event):
    register(event, 1)
    assert Registration.objects.restrict(staff_of("SH", "editor")).count() == 1
    assert Registration.objects.restrict(staff_of("ZJ", "editor")).count() == 1, "co-organiser"
    assert Registration.objects.restrict(staff_of("JS", "moderator")).count() == 0
    assert Registration.objects.restrict(staff_of("SH", "member")).count() == 0
    assert "p1@example.test" in client_for(staff_of("ZJ", "editor")).get(f"/events/{event.pk}/registrations/").content.decode()
    assert client_for(staff_of("JS", "moderator")).get(f"/events/{event.pk}/registrations/").status_code == 404
    assert "p1@example.test" not in client_for(None).get(event.url).content.decode()


def test_exports_are_formula_safe_and_audited(client_for, staff_of, event):
    from openpyxl import load_workbook
    from wagtail.models import PageLogEntry

    services.registration_create(event_id=event.pk, name="=HYPERLINK(\"http://x\",\"点我\")",
                                 email="evil@example.test", organisation="+SUM(1,2)", phone="-1")
    client = client_for(staff_of("SH", "editor"))
    response = client.get(f"/events/{event.pk}/registrations/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0].startswith("'=") and rows[1][3].startswith("'+") and rows[1][2].startswith("'-")
    response = client.get(f"/events/{event.pk}/registrations/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(2, 1).value.startswith("'=") and sheet.cell(2, 1).data_type == "s"
    entries = PageLogEntry.objects.filter(page=event, action="cms.registrations.export")
    assert sorted(e.data["format"] for e in entries) == ["csv", "xlsx"]
    assert client_for(staff_of("JS", "editor")).get(f"/events/{event.pk}/registrations/export.csv").status_code == 404
    assert entries.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_never_overbook(province):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: run with DATABASE_URL=postgres://…")
    event = factories.event(province("SH"), registration_open=True, capacity=5)
    barrier = threading.Barrier(12)
    errors = []

    def attempt(n):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            register(event, n)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    statuses = list(Registration.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("confirmed") == 5 and statuses.count("waitlisted") == 7

    cancelled = Registration.objects.filter(event=event, status="confirmed").first()
    barrier = threading.Barrier(4)
    threads = [threading.Thread(target=attempt, args=(100 + n,)) for n in range(3)]

    def cancel():
        from django.db import connection as thread_connection

        barrier.wait()
        services.registration_cancel(token=cancelled.token)
        thread_connection.close()

    threads.append(threading.Thread(target=cancel))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Registration.objects.filter(event=event, status__in=["confirmed", "pending"]).count() == 5
