"""The double-booking guarantee on PostgreSQL: real concurrent connections, and the constraint on its own."""
import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg.errors import DeadlockDetected

from expert_pool import services
from expert_pool.models import Assignment
from tests.conftest import make_user
from tests.expert_pool.factories import make_expert, make_request

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only"),
]


def accepted_twice():
    """One expert who accepted two overlapping requests from two provinces."""
    expert_user = make_user()
    expert = make_expert("ZJ", user=expert_user)
    coordinator = make_user(province_code="ZJ", role="coordinator")
    pairs = []
    for code, start in (("SH", 30), ("JS", 31)):
        requester = make_user(province_code=code, role="editor")
        request = make_request(code, actor=requester, expert_ids=[expert.pk], start=start)
        assignment = request.assignments.get()
        services.assignment_approve(actor=coordinator, assignment_id=assignment.pk, approve=True)
        services.assignment_answer(actor=expert_user, assignment_id=assignment.pk, accept=True)
        pairs.append((requester, assignment))
    return expert, pairs


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait()
            job()
            outcomes[index] = "ok"
        except ValidationError:
            outcomes[index] = "ValidationError"
        except IntegrityError:
            outcomes[index] = "IntegrityError"
        except OperationalError as exc:
            if not isinstance(exc.__cause__, DeadlockDetected):
                raise
            outcomes[index] = "DeadlockDetected"
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_concurrent_confirmations_book_the_expert_once():
    expert, pairs = accepted_twice()
    outcomes = run_together(*[
        (lambda r=requester, a=assignment: services.assignment_confirm(actor=r, assignment_id=a.pk))
        for requester, assignment in pairs])
    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert Assignment.objects.filter(expert=expert, status="confirmed").count() == 1


def test_the_database_refuses_overlap_even_without_the_service_lock():
    expert, pairs = accepted_twice()

    def confirm_raw(pk):
        with transaction.atomic():
            Assignment.objects.filter(pk=pk).update(status="confirmed")

    outcomes = run_together(*[(lambda pk=a.pk: confirm_raw(pk)) for _r, a in pairs])
    # The constraint refuses one of them: with a conflict error, or, when both rows reached the exclusion check
    # before either committed and each waits on the other, by PostgreSQL aborting one as a deadlock (40P01).
    assert sorted(outcomes) in (["IntegrityError", "ok"], ["DeadlockDetected", "ok"])
    assert Assignment.objects.filter(expert=expert, status="confirmed").count() == 1


def test_sharing_a_last_day_is_an_overlap_but_the_next_day_is_free():
    expert, pairs = accepted_twice()
    first, second = pairs[0][1], pairs[1][1]
    Assignment.objects.filter(pk=second.pk).update(start=first.end, end=first.end + datetime.timedelta(days=2))
    Assignment.objects.filter(pk=first.pk).update(status="confirmed")
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Assignment.objects.filter(pk=second.pk).update(status="confirmed")
    later = first.end + datetime.timedelta(days=1)
    Assignment.objects.filter(pk=second.pk).update(start=later, end=later, status="confirmed")
    assert Assignment.objects.filter(expert=expert, status="confirmed").count() == 2


# ---------------------------------------------------------------- refused early, quoting the existing booking

def booked_and_asked_again():
    """An expert asked by SH (days 30–32) and by JS for overlapping dates (days 31–33), then confirmed for SH
    while JS's request waits for the coordinator (a request naming an expert already booked is refused at once)."""
    expert_user = make_user()
    expert = make_expert("ZJ", user=expert_user)
    coordinator = make_user(province_code="ZJ", role="coordinator")
    sh = make_user(province_code="SH", role="editor")
    first = make_request("SH", actor=sh, expert_ids=[expert.pk], start=30, title="上海质量奖现场评审").assignments.get()
    js = make_user(province_code="JS", role="editor")
    second = make_request("JS", actor=js, expert_ids=[expert.pk], start=31, title="江苏QC成果发表").assignments.get()
    services.assignment_approve(actor=coordinator, assignment_id=first.pk, approve=True)
    services.assignment_answer(actor=expert_user, assignment_id=first.pk, accept=True)
    services.assignment_confirm(actor=sh, assignment_id=first.pk)
    first.refresh_from_db()
    return expert_user, coordinator, js, first, second


def test_the_coordinator_cannot_approve_dates_already_booked_and_is_told_which_booking():
    _expert_user, coordinator, _js, first, second = booked_and_asked_again()
    with pytest.raises(ValidationError) as caught:
        services.assignment_approve(actor=coordinator, assignment_id=second.pk, approve=True)
    message = caught.value.messages[0]
    assert f"{first.start} 至 {first.end}" in message and "上海质量奖现场评审" in message
    assert str(second.start) not in message.replace(str(first.end), "")  # the new dates are not quoted
    second.refresh_from_db()
    assert second.status == "requested"
    services.assignment_approve(actor=coordinator, assignment_id=second.pk, approve=False)  # not stuck: refusable
    second.refresh_from_db()
    assert second.status == "refused"


def test_a_booking_won_elsewhere_releases_the_accepted_assignment_instead_of_sticking():
    expert, pairs = accepted_twice()
    (sh, first), (js, second) = pairs
    services.assignment_confirm(actor=sh, assignment_id=first.pk)
    first.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.assignment_confirm(actor=js, assignment_id=second.pk)
    assert f"{first.start} 至 {first.end}" in caught.value.messages[0]
    second.refresh_from_db()
    assert second.status == "unavailable" and first.request.title in second.answer_note
    from expert_pool import selectors

    assert second in selectors.tasks_for(js)["replace"]
