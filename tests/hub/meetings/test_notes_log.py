"""The update log: gapless numbers under real concurrency, and snapshots that never drop content."""
import threading

import pycrdt
import pytest
from django.db import connection, connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.meetings import notes, protocol
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
                items = [notes.Pending(pycrdt.read_message(frame[2:]), None, frozenset()) for frame in client.take()]
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


# --- snapshots and compaction never drop content ------------------------------------------------------------
def real_updates(ops) -> list[bytes]:
    """The updates two Yjs clients produce for ``ops`` (type, delete, or sync with the other client)."""
    docs = [pycrdt.Doc(), pycrdt.Doc()]
    updates = []
    for n, (who, op) in enumerate(ops):
        doc, other = docs[who], docs[1 - who]
        text = doc.get("t", type=pycrdt.Text)
        before = doc.get_state()
        if op == "sync":
            doc.apply_update(other.get_update(doc.get_state()))
            continue
        if op == "delete" and len(text):
            del text[len(text) // 2]
        else:
            text.insert(len(text) // 2 if n % 3 else len(text), f"<{n}>")
        updates.append(doc.get_update(before))
    return updates


def plain(updates) -> str:
    doc = pycrdt.Doc()
    for update in updates:
        doc.apply_update(update)
    return str(doc.get("t", type=pycrdt.Text))


def test_a_snapshot_keeps_an_update_whose_dependency_is_not_stored_yet(monkeypatch):
    monkeypatch.setattr("hub.meetings.log.SNAPSHOT_EVERY", 1)
    hello, world = real_updates([(0, "type"), (0, "type")])
    meeting = MeetingFactory()
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(world, None, frozenset())])
    assert notes.compact(meeting_id=meeting.pk) is not None  # taken while "world" waits for "hello"
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(hello, None, frozenset())])
    doc, _last = notes.build_doc(meeting.pk)
    assert str(doc.get("t", type=pycrdt.Text)) == plain([hello, world])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["type", "type", "delete", "sync"])),
                    min_size=1, max_size=14),
       data=st.data())
def test_log_snapshots_and_compaction_equal_plain_yjs_for_any_arrival_order(monkeypatch, ops, data):
    monkeypatch.setattr("hub.meetings.log.SNAPSHOT_EVERY", 2)
    updates = real_updates(ops)
    if not updates:
        return
    arrival = data.draw(st.permutations(updates))
    arrival += data.draw(st.lists(st.sampled_from(updates), max_size=3))  # retried writes
    meeting = MeetingFactory()
    for update in arrival:
        notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(update, None, frozenset())])
        notes.compact(meeting_id=meeting.pk)
        if data.draw(st.booleans()):
            notes.load_room(meeting_id=meeting.pk)  # a cold load also writes snapshots
    expected = plain(updates)
    doc, _last = notes.build_doc(meeting.pk)
    assert str(doc.get("t", type=pycrdt.Text)) == expected
    loaded = pycrdt.Doc()
    loaded.apply_update(notes.load_room(meeting_id=meeting.pk).state)
    assert str(loaded.get("t", type=pycrdt.Text)) == expected


def test_a_retried_write_stores_each_edit_once_and_keeps_numbers_gapless():
    meeting = MeetingFactory()
    one, two, three = real_updates([(0, "type"), (0, "type"), (0, "type")])
    batch = [notes.Pending(one, None, frozenset()), notes.Pending(two, None, frozenset())]
    first = notes.append_updates(meeting_id=meeting.pk, items=batch)
    # The commit went through but its answer was lost: the room retries the same batch, with a new edit after it.
    again = notes.append_updates(meeting_id=meeting.pk, items=[*batch, notes.Pending(three, None, frozenset())])
    assert first == [1, 2] and again == [1, 2, 3]
    assert list(NoteUpdate.objects.filter(meeting=meeting).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    doc, last = notes.build_doc(meeting.pk)
    assert last == 3 and str(doc.get("t", type=pycrdt.Text)) == plain([one, two, three])


def test_a_write_binds_its_clients_to_their_authors_once_even_when_it_stores_nothing_new():
    """Who wrote with which client id (``NoteClient``, the minutes' attribution): bound with the first edit; a
    repeat that stores no row still binds a client id seen for the first time; ids the room says are bound already
    (``known_clients``) are not written again; a closed meeting's log writes nothing at all."""
    from hub.meetings.log import bindings_for
    from hub.models import Meeting
    from tests.conftest import make_user

    meeting = MeetingFactory()
    alice, bob = make_user(province_code="SH", role="member"), make_user(province_code="JS", role="member")
    one, two = real_updates([(0, "type"), (0, "type")])
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(one, alice.pk, frozenset({11}))]) == [1]
    assert bindings_for(meeting.pk) == {11: alice.pk}
    # The same edit again (a resync), now also under a second client id of bob's: nothing new, a new binding.
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(one, bob.pk, frozenset({11, 12}))],
                                known_clients=frozenset({11})) == [1]
    assert bindings_for(meeting.pk) == {11: alice.pk, 12: bob.pk}
    assert NoteUpdate.objects.filter(meeting=meeting).count() == 1
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CLOSED)
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(two, bob.pk, frozenset({13}))]) is None
    assert bindings_for(meeting.pk) == {11: alice.pk, 12: bob.pk}
    assert NoteUpdate.objects.filter(meeting=meeting).count() == 1


def test_the_rows_after_a_number_come_oldest_first_as_bytes_and_only_this_meetings():
    meeting, other = MeetingFactory(), MeetingFactory()
    one, two, three = real_updates([(0, "type"), (0, "type"), (0, "type")])
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(u, None, frozenset()) for u in (one, two, three)])
    notes.append_updates(meeting_id=other.pk, items=[notes.Pending(one, None, frozenset())])
    assert notes.updates_after(meeting_id=meeting.pk, seq=0) == [(1, one), (2, two), (3, three)]
    assert notes.updates_after(meeting_id=meeting.pk, seq=1) == [(2, two), (3, three)]  # rebound, not the first
    assert notes.updates_after(meeting_id=meeting.pk, seq=3) == []
    assert notes.updates_after(meeting_id=meeting.pk, seq=0, limit=2) == [(1, one), (2, two)]
    assert notes.updates_after(meeting_id=other.pk, seq=0) == [(1, one)]


def test_a_document_rebuilt_in_chunks_holds_every_row_up_to_the_version_asked(monkeypatch):
    from hub.meetings import log as notes_log

    monkeypatch.setattr(notes_log, "REPLAY_CHUNK", 2)  # five rows: three chunks, the last one short
    meeting = MeetingFactory()
    updates = real_updates([(0, "type")] * 5)
    notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(u, None, frozenset()) for u in updates])
    doc, last = notes.build_doc(meeting.pk)
    assert last == 5 and str(doc.get("t", type=pycrdt.Text)) == plain(updates)
    for upto in (1, 2, 3, 4):  # ends inside a chunk and at a chunk's end
        doc, last = notes.build_doc(meeting.pk, upto)
        assert last == upto and str(doc.get("t", type=pycrdt.Text)) == plain(updates[:upto])


# --- one row per edit ------------------------------------------------------------------------------------------
def edits_in_two_rows(meeting_id: int) -> int:
    """Edits (client, clock of an item; deletions by the item they delete) that more than one log row holds."""
    count: dict[tuple, int] = {}
    for data in NoteUpdate.objects.filter(meeting_id=meeting_id).values_list("data", flat=True):
        items, deleted, _end = protocol.update_ranges(bytes(data))
        for kind, ranges in (("item", items), ("delete", deleted)):
            for client, spans in ranges.items():
                for start, end in spans:
                    for clock in range(start, end):
                        count[kind, client, clock] = count.get((kind, client, clock), 0) + 1
    return sum(1 for n in count.values() if n > 1)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.integers(0, 1), st.sampled_from(["type", "type", "delete", "sync"])),
                    min_size=2, max_size=14),
       data=st.data())
def test_resyncs_and_retries_store_each_edit_once(ops, data):
    """What reaches the log after a worker died: every edit in order, plus sync replies (a merge of any run of
    earlier edits, partly stored, partly not) and retried batches, anywhere later. The log holds each edit
    (item or deletion) in one row and replays to what plain Yjs makes of the edits."""
    updates = real_updates(ops)
    if not updates:
        return
    arrival = [[u] for u in updates]
    for _ in range(data.draw(st.integers(1, 4))):
        first = data.draw(st.integers(0, len(updates) - 1))
        last = data.draw(st.integers(first, len(updates) - 1))
        # Anywhere after the edits it follows (Yjs's own pending handling is not what this test is about).
        after = arrival.index([updates[first - 1]]) + 1 if first else 0
        at = data.draw(st.integers(after, len(arrival)))
        arrival.insert(at, [pycrdt.merge_updates(*updates[first:last + 1])])
    for _ in range(data.draw(st.integers(0, 2))):
        arrival.append(list(data.draw(st.sampled_from(arrival))))
    meeting = MeetingFactory()
    for batch in arrival:
        notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(u, None, frozenset()) for u in batch])
    assert edits_in_two_rows(meeting.pk) == 0
    doc, last = notes.build_doc(meeting.pk)
    assert str(doc.get("t", type=pycrdt.Text)) == plain(updates)
    assert list(NoteUpdate.objects.filter(meeting=meeting).values_list("seq", flat=True)) == list(range(1, last + 1))


def test_a_resync_that_overlaps_the_log_stores_only_the_new_part_and_a_full_repeat_nothing():
    meeting = MeetingFactory()
    one, two, three = real_updates([(0, "type"), (0, "type"), (0, "type")])
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(one, None, frozenset())]) == [1]
    # A reconnecting client's sync reply carries "one" (already stored by a worker that died) and "two".
    resync = pycrdt.merge_updates(one, two)
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(resync, None, frozenset())]) == [2]
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(resync, None, frozenset()),
                                                              notes.Pending(three, None, frozenset())]) == [None, 3]
    assert edits_in_two_rows(meeting.pk) == 0
    assert plain([bytes(d) for d in NoteUpdate.objects.filter(meeting=meeting).order_by("seq")
                  .values_list("data", flat=True)]) == plain([one, two, three])


def test_two_processes_storing_the_same_edits_at_once_store_each_once():
    """Two workers that both hold the same edits (one relayed them, the other received them again in a resync)
    race to store them: the meeting's row lock orders them and the second stores only what the first did not."""
    assert connection.vendor == "postgresql", "row locks are what this test is about: run it on PostgreSQL"
    meeting = MeetingFactory()
    updates = real_updates([(0, "type")] * 40)
    errors, barrier = [], threading.Barrier(2)

    def writer(step):
        try:
            barrier.wait()
            for i in range(0, len(updates), step):
                chunk = updates[i:i + step]
                notes.append_updates(meeting_id=meeting.pk, items=[
                    notes.Pending(pycrdt.merge_updates(*chunk), None, frozenset())])
        except Exception as exc:  # collected and asserted below: a thread's exception must fail the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(step,)) for step in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert edits_in_two_rows(meeting.pk) == 0
    doc, _last = notes.build_doc(meeting.pk)
    assert str(doc.get("t", type=pycrdt.Text)) == plain(updates)


def test_a_resync_across_a_hole_in_the_log_stores_only_what_the_log_lacks():
    """A process stored a client's later edit before an earlier one (relayed by a worker that died, adopted later):
    a sync reply spanning the hole and what follows it stores the hole and the rest, not the edit in between."""
    meeting = MeetingFactory()
    one, two, three, four = real_updates([(0, "type")] * 4)
    for update in (one, three):
        notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(update, None, frozenset())])
    resync = pycrdt.merge_updates(one, two, three, four)
    assert notes.append_updates(meeting_id=meeting.pk, items=[notes.Pending(resync, None, frozenset())]) == [3]
    assert edits_in_two_rows(meeting.pk) == 0
    rows = [bytes(d) for d in NoteUpdate.objects.filter(meeting=meeting).order_by("seq").values_list("data", flat=True)]
    assert plain([pycrdt.merge_updates(*rows)]) == plain([one, two, three, four])
