"""Availability as a calendar the expert edits, and the coordinator's view of who is free when."""
import pytest
from django.core.exceptions import ValidationError

from expert_pool import services
from expert_pool.models import Availability
from tests.expert_pool.factories import days, make_expert, make_request

pytestmark = pytest.mark.django_db


def test_the_expert_edits_a_range(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    first = services.availability_add(actor=user, start=days(10), end=days(20), mode="onsite")
    changed = services.availability_update(actor=user, availability_id=first.pk, start=days(12), end=days(25),
                                           mode="remote")
    assert list(expert.availability.values_list("start", "end", "mode")) == [(days(12), days(25), "remote")]
    assert changed.pk != first.pk or changed.mode == "remote"


def test_a_refused_edit_leaves_the_range_as_it_was(user_factory):
    user = user_factory()
    expert = make_expert("SH", user=user)
    first = services.availability_add(actor=user, start=days(10), end=days(20), mode="onsite")
    with pytest.raises(ValidationError):
        services.availability_update(actor=user, availability_id=first.pk, start=days(10), end=days(-1),
                                     mode="onsite")
    assert list(expert.availability.values_list("start", "end")) == [(days(10), days(20))]


def test_nobody_edits_another_experts_range(user_factory):
    from django.http import Http404

    owner, other = user_factory(), user_factory()
    make_expert("SH", user=owner)
    make_expert("SH", user=other)
    mine = services.availability_add(actor=owner, start=days(10), end=days(20), mode="onsite")
    with pytest.raises(Http404):
        services.availability_update(actor=other, availability_id=mine.pk, start=days(1), end=days(2),
                                     mode="onsite")
    assert Availability.objects.get(pk=mine.pk).end == days(20)


def test_the_edit_form_changes_a_range_through_the_page(user_factory, client_for):
    user = user_factory()
    expert = make_expert("SH", user=user)
    mine = services.availability_add(actor=user, start=days(10), end=days(20), mode="onsite")
    client = client_for(user)
    page = client.get(f"/experts/me/availability/?edit={mine.pk}").content.decode()
    assert f'name="availability_id" value="{mine.pk}"' in page and days(10).isoformat() in page
    response = client.post("/experts/me/availability/", {"availability_id": mine.pk, "start": days(11),
                                                         "end": days(15), "mode": "onsite"})
    assert response.status_code == 302
    assert list(expert.availability.values_list("start", "end")) == [(days(11), days(15))]


def test_the_month_grid_shows_free_and_booked_days(user_factory, client_for):
    user = user_factory()
    expert = make_expert("SH", user=user, available=(days(5), days(6)))
    request = make_request("JS", expert_ids=[expert.pk], start=40, length=0)
    request.assignments.update(status="confirmed")
    body = client_for(user).get("/experts/me/availability/").content.decode()
    assert f'data-date="{days(5).isoformat()}" data-state="onsite"' in body
    # day 40 always falls within the three months shown (this one and the next two)
    assert f'data-date="{days(40).isoformat()}" data-state="booked"' in body


def test_the_coordinator_sees_who_is_free_when_in_their_pool_only(staff_of, client_for):
    free = make_expert("ZJ", name="有空专家", available=(days(1), days(3)))
    busy = make_expert("ZJ", name="忙碌专家", available=(days(1), days(3)))
    request = make_request("SH", expert_ids=[busy.pk], start=2, length=0)
    request.assignments.update(status="confirmed")
    make_expert("SH", name="外省专家", available=(days(1), days(3)))
    body = client_for(staff_of("ZJ", "coordinator")).get(f"/experts/calendar/?from={days(1)}").content.decode()
    assert "有空专家" in body and "忙碌专家" in body and "外省专家" not in body
    assert f'data-expert="{free.pk}"' in body
    row = body.split(f'data-expert="{busy.pk}"')[1].split("</tr>")[0]
    assert f'data-date="{days(2).isoformat()}" data-state="booked"' in row
    assert f'data-date="{days(1).isoformat()}" data-state="onsite"' in row


def test_the_pool_calendar_is_for_coordinators(staff_of, client_for):
    assert client_for(staff_of("ZJ", "editor")).get("/experts/calendar/").status_code == 403
