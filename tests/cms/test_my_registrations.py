"""我的报名: a member sees their registrations with status and cancels one; hybrid events without registration
show their link; the organiser's decisions answer with a message."""
import pytest
from django.contrib.messages import get_messages

from cms.events import EventPage, Registration
from cms.services import registration_create
from tests.cms import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(staff_of):
    return staff_of("SH", "member")


def test_my_registrations_lists_status_and_cancel_frees_the_seat(client_for, member, user_factory, province):
    event = factories.event(province("SH"), title="精益管理公开课", registration_open=True, capacity=1)
    mine = registration_create(event_id=event.pk, name="王敏", email="wm@example.test", user=member)
    waiting = registration_create(event_id=event.pk, name="李强", email="lq@example.test")
    assert (mine.status, waiting.status) == ("confirmed", "waitlisted")
    c = client_for(member)
    html = c.get("/events/mine/").content.decode()
    assert "精益管理公开课" in html and "已确认" in html and f"/events/mine/{mine.pk}/cancel/" in html

    response = c.post(f"/events/mine/{mine.pk}/cancel/")
    assert response.status_code == 302 and response["Location"] == "/events/mine/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已取消“精益管理公开课”的报名。"]
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, waiting.status) == ("cancelled", "confirmed")
    assert "已取消" in c.get("/events/mine/").content.decode()


def test_nobody_cancels_someone_elses_registration(client_for, member, staff_of, province):
    event = factories.event(province("SH"), registration_open=True)
    theirs = registration_create(event_id=event.pk, name="赵六", email="z6@example.test", user=staff_of("JS", "member"))
    assert client_for(member).post(f"/events/mine/{theirs.pk}/cancel/").status_code == 404
    assert "赵六" not in client_for(member).get("/events/mine/").content.decode()
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"
    assert client_for(None).get("/events/mine/").status_code == 302


def test_a_hybrid_event_without_registration_shows_its_meeting_link(client, province):
    event = factories.event(province("ZJ"), mode=EventPage.HYBRID, meeting_url="https://meeting.example.test/zj-77",
                            registration_open=False)
    html = client.get(event.url).content.decode()
    assert 'href="https://meeting.example.test/zj-77"' in html and "报名确认后可见" not in html


def test_approving_a_registration_says_so(client_for, staff_of, province):
    event = factories.event(province("SH"), registration_open=True, registration_requires_approval=True)
    registration = registration_create(event_id=event.pk, name="钱七", email="q7@example.test")
    assert registration.status == Registration.PENDING
    response = client_for(staff_of("SH", "moderator")).post(
        f"/events/registrations/{registration.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "已批准 钱七 的报名" in response.content.decode()
