"""The update log under real concurrency: writers on separate connections get gapless, unique sequence numbers."""
import threading

import pytest
from django.db import connection, connections

from hub.meetings import notes
from hub.models import NoteUpdate
from tests.hub.meetings.factories import MeetingFactory
from tests.hub.meetings.ywsclient import YClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_writers_get_gapless_unique_sequence_numbers():
    assert connection.vendor == "postgresql", "row locks are what this test is about: run it on PostgreSQL"
    meeting = MeetingFactory()
    errors, barrier = [], threading.Barrier(4)

    def writer(n):
        try:
            client = YClient()
            barrier.wait()
            for i in range(15):
                client.append_text(f"{n}-{i}")
                items = [notes.Pending(notes.parse_frame(frame).payload, None, frozenset()) for frame in client.take()]
                notes.append_updates(meeting_id=meeting.pk, items=items)
        except Exception as exc:  # collected and asserted below: a thread's exception must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(NoteUpdate.objects.filter(meeting=meeting).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 60
    meeting.refresh_from_db()
    assert meeting.last_seq == len(seqs)
