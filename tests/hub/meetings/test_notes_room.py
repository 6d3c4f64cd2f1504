"""Rooms of two server processes sharing Redis and PostgreSQL: the fast path, its confirmation, and what happens
when a message is dropped or a process dies between relaying an edit and storing it.

Two ``Room`` objects for the same meeting in one event loop stand for two processes: each has its own
subscription on the real Redis pub/sub layer and its own token, exactly as in two workers."""
import asyncio
import itertools
import random
import time
import uuid

import pycrdt
import pytest
from asgiref.sync import sync_to_async

from bench.bench_node import repeated_edits
from hub.meetings import notes
from hub.meetings.link import close_link
from hub.meetings.room import Connection, Room, close_db
from hub.models import NoteUpdate, Participant
from tests.conftest import make_user
from tests.hub.meetings.factories import MeetingFactory
from tests.hub.meetings.ywsclient import YClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.postgres]


class Socket:
    """The consumer side of a Connection: what the room sent to this browser."""

    def __init__(self):
        self.sent: list[bytes] = []

    async def send(self, bytes_data):
        self.sent.append(bytes_data)

    async def base_send(self, message):  # the ASGI send the room writes relayed frames to
        self.sent.append(message["bytes"])

    async def close(self, code):
        self.closed = code


def editor(meeting):
    user = make_user(province_code="SH", role="member")
    Participant.objects.create(meeting=meeting, user=user, role="editor")
    return user


_opened = itertools.count()


async def open_room(meeting_id, user) -> tuple[Room, Connection]:
    """A started room with one editor. Rooms opened earlier have smaller tokens, so the first one opened is the
    meeting's writer (``Room.writes_for_peers``) once they know of each other."""
    room = Room(meeting_id)
    room.token = f"{next(_opened):08d}-{uuid.uuid4().hex}"
    await room.start()
    conn = Connection(consumer=Socket(), user_id=user.pk, session_key=None, role="editor", name="x",
                      colour="#000", province="上海")
    await room.add(conn)
    return room, conn


async def stop(*rooms):
    for room in rooms:
        await room._stop_publishing(timeout=2)
        for task in room.tasks:
            task.cancel()
        await asyncio.gather(*room.tasks, return_exceptions=True)
        if room.layer is not None and room.channel:
            await room.layer.group_discard(f"notes.{room.meeting_id}", room.channel)
    await close_db()
    await close_link()


async def writer_and_other(meeting_id, alice, bob):
    """Two processes' rooms that know of each other; A, opened first, writes for both (``writes_for_peers``)."""
    a, a_conn = await open_room(meeting_id, alice)
    b, b_conn = await open_room(meeting_id, bob)
    if not await until(lambda: a.peers and b.peers, 3):
        await stop(a, b)
        raise AssertionError("the two rooms never heard of each other")
    return a, a_conn, b, b_conn


def never_writes(room) -> None:
    """The room's write loop stops: the room relays but never stores, as a process that dies before its write."""
    for task in room.tasks:
        if task.get_coro().__name__ == "_write_loop":
            task.cancel()


def received_text(conn) -> str:
    client = YClient()
    for frame in conn.consumer.sent:
        client.handle(frame)
    return client.text()


async def until(predicate, seconds=5.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


def typed(text: str) -> tuple[bytes, int]:
    """A browser's edit: one Yjs update holding ``text``, and the client id it was written under."""
    client = YClient()
    client.append_text(text)
    return client.doc.get_update(), client.doc.client_id


def stored_authors(meeting_id) -> list[int]:
    return list(NoteUpdate.objects.filter(meeting_id=meeting_id).values_list("author_id", flat=True))


def stored_rows(meeting_id) -> list[bytes]:
    return [bytes(d) for d in NoteUpdate.objects.filter(meeting_id=meeting_id).values_list("data", flat=True)]


@pytest.fixture
def meeting(db):
    meeting = MeetingFactory()
    return meeting, editor(meeting), editor(meeting)


async def test_an_edit_crosses_processes_before_it_is_stored_and_is_stored_once(meeting):
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        a.last_flush = time.monotonic() + 0.5  # A's next write waits 0.6 s: only the fast path can deliver sooner
        update, _client = typed("江苏补充意见")
        await a.receive_update(a_conn, update, step2=False)
        assert await until(lambda: received_text(b_conn) == "江苏补充意见", 2)
        assert await sync_to_async(stored_rows)(meeting.pk) == []  # relayed, not yet stored
        # A stores it and says so; B, which already has it, needs no row read and writes nothing itself.
        assert await until(lambda: a.last_seq == 1 and b.last_seq == 1 and not b.unconfirmed, 5)
        assert len(await sync_to_async(stored_rows)(meeting.pk)) == 1
    finally:
        await stop(a, b)


@pytest.mark.parametrize("link_host", ["127.0.0.1", ""], ids=["direct-link", "redis-only"])
async def test_rooms_send_their_edits_to_each_other_not_back_to_themselves(meeting, settings, link_host):
    """Once two processes' rooms know of each other (a hello on start, answered), each edit goes to the other's
    channel only, over the direct link between the processes when they announced one (else through Redis): no
    process reads its own edits back. A room that is discarded says goodbye, and a peer that went quiet (its
    process died) is forgotten."""
    import msgpack

    from hub.meetings import room as room_module

    settings.HUB_NOTES_LINK_HOST = link_host
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    b, b_conn = await open_room(meeting.pk, bob)
    layer = a.layer
    by_redis: list[tuple[str, dict]] = []
    by_link: list[tuple[str, dict]] = []
    receive = layer.receive

    async def recording_receive(channel):
        message = await receive(channel)
        by_redis.append((channel, message))
        return message

    layer.receive = recording_receive  # the rooms' receive loops call it again for every message
    if link_host:
        assert a.link is b.link and a.link_address  # one link per process, announced by both rooms
        send = a.link.send

        async def recording_send(address, channel, packed):
            by_link.append((channel, msgpack.unpackb(packed)))
            return await send(address, channel, packed)

        a.link.send = recording_send
    else:
        assert a.link_address is None
    try:
        assert await until(lambda: a.peers.keys() == {b.channel} and b.peers.keys() == {a.channel}, 3)
        update, _client = typed("两地互认")
        await a.receive_update(a_conn, update, step2=False)
        assert await until(lambda: received_text(b_conn) == "两地互认", 2)

        def edits(seen):
            return [(channel, m["origin"]) for channel, m in seen if m.get("type") == "notes.batch"
                    and any(item.get("type") == "notes.edit" for item in m["messages"])]

        assert (b.channel, a.token) in edits(by_link if link_host else by_redis)
        assert edits(by_redis if link_host else by_link) == []
        assert all(channel != a.channel for channel, origin in edits(by_redis + by_link) if origin == a.token)
    finally:
        layer.receive = receive
    b._forget_quiet_peers()
    assert a.channel in b.peers  # heard from recently
    b.peers[a.channel].heard -= room_module.PEER_SECONDS + 1
    b._forget_quiet_peers()
    assert not b.peers
    c, _c_conn = await open_room(meeting.pk, bob)
    try:
        assert await until(lambda: c.channel in a.peers, 3)
        await room_module.registry.discard(c)
        assert await until(lambda: c.channel not in a.peers, 3)  # its goodbye
    finally:
        await stop(a, b, c)


async def test_the_writer_stores_the_other_processes_edits_and_names_them_in_its_notice(meeting):
    """One room per meeting writes: B's editor's edit is relayed to A, stored by A under B's editor's account, and
    A's "stored" notice tells B it is in. B writes nothing itself."""
    meeting, alice, bob = meeting
    a, _a_conn, b, b_conn = await writer_and_other(meeting.pk, alice, bob)
    try:
        assert a.writes_for_peers() and not b.writes_for_peers()
        a.last_flush = time.monotonic() + 0.5  # A's next write waits: B's edit is seen waiting first
        update, _client = typed("长三角质量协同")
        await b.receive_update(b_conn, update, step2=False)
        assert len(b.awaiting) == 1 and not b.pending  # B keeps it until A says it is stored
        assert await until(lambda: a.last_seq == 1 and b.last_seq == 1 and not b.awaiting, 5)
        assert not b.pending and not a.unconfirmed
        rows = await sync_to_async(stored_authors)(meeting.pk)
        assert rows == [bob.pk]
    finally:
        await stop(a, b)


async def test_own_edits_the_writer_never_confirms_are_stored_by_their_room(meeting):
    meeting, alice, bob = meeting
    a, _a_conn, b, b_conn = await writer_and_other(meeting.pk, alice, bob)
    try:
        never_writes(a)  # the writer "dies" after B's edit reached it: it never writes
        update, _client = typed("江西的补充")
        await b.receive_update(b_conn, update, step2=False)
        assert await until(lambda: a.pending, 2)  # A took it to store
        b._adopt_awaiting(older_than=10)
        assert b.awaiting and not b.pending  # not yet: younger than the bound
        b._adopt_awaiting(older_than=0)  # what B's tick does once it is UNSTORED_SECONDS old
        assert not b.awaiting
        await b._flush_pending()
        assert b.last_seq == 1
        rows = await sync_to_async(stored_authors)(meeting.pk)
        assert rows == [bob.pk]
        # Until A confirms something again, B stores its own edits at once rather than each a second late.
        assert b.writes_for_peers()
        later, _client = typed("又一条")
        await b.receive_update(b_conn, later, step2=False)
        assert not b.awaiting and len(b.pending) == 1
        await b._flush_pending()
        await a._flush_pending()  # the writer stores them too after all: still one row each
        assert len(await sync_to_async(stored_rows)(meeting.pk)) == 2
        assert await until(lambda: not b.writes_for_peers(), 3)  # A's notice: A is the writer again
    finally:
        await stop(a, b)


async def test_own_edits_waiting_for_the_writer_hold_editors_back_until_it_confirms_them(meeting):
    from hub.meetings import room as room_module

    meeting, alice, bob = meeting
    a, _a_conn, b, b_conn = await writer_and_other(meeting.pk, alice, bob)
    try:
        a.last_flush = time.monotonic() + 0.5
        update, _client = typed("互认结果")
        await b.receive_update(b_conn, update, step2=False)
        assert not b.backlogged()
        edit_id, (at, item) = next(iter(b.awaiting.items()))
        b.awaiting[edit_id] = (at - room_module.UNSTORED_SECONDS - 1, item)  # as if it had waited that long
        assert b.backlogged()
        held = asyncio.ensure_future(b.room_for_more())
        assert await until(lambda: not b.awaiting, 5)  # A's notice names it
        await asyncio.wait_for(held, 2)  # and the editor may go on
        assert not b.backlogged()
    finally:
        await stop(a, b)


async def test_an_edit_relayed_by_a_process_that_dies_before_storing_it_is_stored_by_a_peer(meeting):
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        never_writes(a)  # A "dies" after relaying: it never writes
        update, _client = typed("浙江的结论")
        await a.receive_update(a_conn, update, step2=False)
        assert await until(lambda: received_text(b_conn) == "浙江的结论", 2)
        assert b.unconfirmed
        b._adopt_unconfirmed(older_than=0)  # what B's tick does after ADOPT_SECONDS without a "stored" notice
        await b._flush_pending()
        rows = await sync_to_async(stored_authors)(meeting.pk)
        assert rows == [alice.pk]  # stored once, under the account that wrote it
        doc, _ = await sync_to_async(notes.build_doc)(meeting.pk)
        assert notes.blocks_lines(notes.doc_blocks(doc)) == ["浙江的结论"]
    finally:
        await stop(a, b)


async def test_a_dropped_edit_is_read_from_the_log_when_its_stored_notice_arrives(meeting):
    meeting, alice, bob = meeting
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        # Another process stored an edit whose fast-path message never reached B.
        update, _client = typed("安徽的补充")
        seqs = await sync_to_async(notes.append_updates)(
            meeting_id=meeting.pk, items=[notes.Pending(update, alice.pk, frozenset())])
        await b._on_message({"type": "notes.stored", "origin": "elsewhere", "seqs": seqs, "ids": [1]})
        assert await until(lambda: received_text(b_conn) == "安徽的补充", 3)
        assert b.last_seq == seqs[0]
    finally:
        await stop(b)


async def test_a_writers_lost_notice_is_settled_by_the_log_without_storing_again(meeting):
    meeting, alice, bob = meeting
    a, _a_conn, b, b_conn = await writer_and_other(meeting.pk, alice, bob)
    try:
        a.publishing = False  # A stores B's edit but its notice reaches no one
        update, _client = typed("通知丢失")
        await b.receive_update(b_conn, update, step2=False)
        assert await until(lambda: a.last_seq == 1, 5)
        assert b.awaiting
        await b._catch_up()  # the once-a-second read of the log finds the row
        assert not b.awaiting and b.last_seq == 1
        b._adopt_awaiting(older_than=0)
        assert not b.pending
    finally:
        await stop(a, b)


async def test_a_lost_stored_notice_is_settled_by_the_log_without_a_duplicate_row(meeting):
    meeting, alice, bob = meeting
    b, _b_conn = await open_room(meeting.pk, bob)
    try:
        update, client_id = typed("江西的意见")
        await b._on_message({"type": "notes.edit", "origin": "elsewhere", "id": 7, "data": update,
                             "user": alice.pk, "clients": [client_id]})
        assert b.unconfirmed
        await sync_to_async(notes.append_updates)(meeting_id=meeting.pk,
                                                  items=[notes.Pending(update, alice.pk, frozenset())])
        await b._catch_up()  # the once-a-second read of the log finds the row
        assert not b.unconfirmed
        b._adopt_unconfirmed(older_than=0)
        assert not b.pending
        assert len(await sync_to_async(stored_rows)(meeting.pk)) == 1
    finally:
        await stop(b)


async def test_edits_arriving_together_are_each_confirmed_to_the_peer(meeting):
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    carol = await sync_to_async(editor)(meeting)
    a_conn2 = Connection(consumer=Socket(), user_id=carol.pk, session_key=None, role="editor", name="y",
                         colour="#000", province="上海")
    await a.add(a_conn2)
    b, _b_conn = await open_room(meeting.pk, bob)
    try:
        (first, _c1), (second, _c2) = typed("甲"), typed("乙")
        # Both publish at once: each stored notice must name the edit it stored, not whichever came last.
        await asyncio.gather(a.receive_update(a_conn, first, step2=False),
                             a.receive_update(a_conn2, second, step2=False))
        assert await until(lambda: b.last_seq == 2 and not b.unconfirmed, 3)
        b._adopt_unconfirmed(older_than=0)
        assert not b.pending
        assert len(await sync_to_async(stored_rows)(meeting.pk)) == 2
    finally:
        await stop(a, b)


async def test_edits_read_in_one_turn_leave_for_a_peer_as_one_batch(meeting, settings):
    import msgpack

    settings.HUB_NOTES_LINK_HOST = "127.0.0.1"
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    carol = await sync_to_async(editor)(meeting)
    a_conn2 = Connection(consumer=Socket(), user_id=carol.pk, session_key=None, role="editor", name="y",
                         colour="#000", province="上海")
    await a.add(a_conn2)
    b, b_conn = await open_room(meeting.pk, bob)
    sent: list[dict] = []
    send = a.link.send

    async def recording_send(address, channel, packed):
        sent.append(msgpack.unpackb(packed))
        return await send(address, channel, packed)

    a.link.send = recording_send
    try:
        assert await until(lambda: a.peers and b.peers, 3)
        (first, _c1), (second, _c2) = typed("甲方"), typed("乙方")
        # Two sockets read in the same turn of the event loop.
        await asyncio.gather(a.receive_update(a_conn, first, step2=False),
                             a.receive_update(a_conn2, second, step2=False))
        assert await until(lambda: set("甲方乙方") <= set(received_text(b_conn)), 3), received_text(b_conn)
        batches = [[item["type"] for item in m["messages"]] for m in sent
                   if any(item["type"] == "notes.edit" for item in m["messages"])]
        assert batches == [["notes.edit", "notes.edit"]]
        # B wrote both to its socket in one frame.
        assert len([f for f in b_conn.consumer.sent if f[:2] == bytes([0, 2])]) == 1
    finally:
        a.link.send = send
        await stop(a, b)


async def test_a_peers_batch_carries_all_its_clients_presence_and_one_bad_message_drops_no_other(meeting):
    """Another process's room relays every presence change of its clients in one message (a meeting filling up on
    that worker: more than a client may send in one frame), and a message of the batch that cannot be taken does
    not take the batch's edits with it."""
    from hub.meetings import protocol

    meeting, alice, bob = meeting
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        many = [protocol.AwarenessEntry(1000 + i, 1, {"cursor": i}) for i in range(80)]
        update, client_id = typed("另一进程的意见")
        b._on_batch({"type": "notes.batch", "origin": "elsewhere", "channel": "notes-room.elsewhere", "link": None,
                     "messages": [
                         {"type": "notes.awareness", "data": protocol.encode_awareness(many)},
                         {"type": "notes.edit", "id": 1},  # malformed: no data
                         {"type": "notes.edit", "id": 2, "data": update, "user": alice.pk, "clients": [client_id]},
                     ]})
        assert {1000 + i for i in range(80)} <= set(b.awareness)
        assert received_text(b_conn) == "另一进程的意见"
    finally:
        await stop(b)


async def test_two_flushes_at_once_store_a_batch_once(meeting):
    meeting, alice, _bob = meeting
    a, _a_conn = await open_room(meeting.pk, alice)
    try:
        never_writes(a)
        update, client_id = typed("上海的纪要")
        a._queue(notes.Pending(update, alice.pk, frozenset({client_id})), None)
        # The write loop and a discarding registry flush the same room at the same moment.
        await asyncio.gather(a._flush_pending(), a._flush_pending())
        assert len(await sync_to_async(stored_rows)(meeting.pk)) == 1
        assert a.last_seq == 1 and not a.pending
    finally:
        await stop(a)


async def test_a_discarded_room_is_freed(meeting):
    import gc
    import weakref

    from hub.meetings.room import registry

    meeting, alice, _bob = meeting
    conn = Connection(consumer=Socket(), user_id=alice.pk, session_key=None, role="editor", name="x",
                      colour="#000", province="上海")
    room = await registry.join(meeting.pk, conn)
    update, _client = typed("会议结束")
    await room.receive_update(conn, update, step2=False)
    await room.remove(conn)
    await registry.discard(room)  # returns once the room's tasks have ended
    assert len(await sync_to_async(stored_rows)(meeting.pk)) == 1  # stored before it went
    later, _client = typed("散会")
    room.doc.apply_update(later)
    assert room._effective == []  # nothing observes the document any more, so pycrdt can free it natively
    freed = weakref.ref(room)
    # Reference counting alone must free it: the cycle collector runs rarely and counts the native document
    # as one small object, so a room left to it keeps its whole document in memory for a long time (that was
    # the soak's RSS slope).
    gc.disable()
    try:
        del room
        assert freed() is None
    finally:
        gc.enable()
    assert meeting.pk not in registry.rooms and meeting.pk not in registry.locks


def received_edits(conn) -> list:
    client = YClient()
    for frame in conn.consumer.sent:
        client.handle(frame)
    return client.doc.get("edits", type=pycrdt.Array).to_py()


def three_typists_edits(seed=49, count=20) -> list[bytes]:
    """Real updates of three Yjs clients appending to one array, each seeing most of the others' edits."""
    rnd = random.Random(seed)
    docs = [pycrdt.Doc(client_id=100 + i) for i in range(3)]
    updates = []
    for step in range(count):
        i = rnd.randrange(3)
        before = docs[i].get_state()
        docs[i].get("edits", type=pycrdt.Array).append(f"{i}:{step}")
        update = docs[i].get_update(before)
        updates.append(update)
        for j in range(3):
            if j != i and rnd.random() < 0.7:
                docs[j].apply_update(update)
    return updates


async def test_edits_that_came_before_the_edits_they_follow_all_reach_the_clients(meeting):
    """After an outage a room receives edits whose dependencies arrive later (from the log). pycrdt (yrs) loses
    some pending content when several pending updates pile up (this order loses 5 of 20 edits in plain pycrdt
    0.14); the room applies those updates again once it can, so its clients get every edit."""
    meeting, alice, bob = meeting
    updates = three_typists_edits()
    arrival = [0, 1, 2, 3, 6, 7, 9, 10, 12, 13, 14, 15, 16, 17, 19, 4, 5, 8, 11, 18]
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        for k in arrival:
            await b._on_message({"type": "notes.edit", "origin": "elsewhere", "id": k, "data": updates[k],
                                 "user": alice.pk, "clients": []})
        everything = pycrdt.Doc()
        everything.apply_update(pycrdt.merge_updates(*updates))
        expected = everything.get("edits", type=pycrdt.Array).to_py()
        assert len(expected) == 20
        assert await until(lambda: received_edits(b_conn) == expected, 5), (len(received_edits(b_conn)), expected)
        assert await until(lambda: not b.parked, 3)
    finally:
        await stop(b)


async def test_a_resync_repeating_edits_a_dead_process_stored_stores_each_edit_once(meeting):
    """Worker A stores an edit and dies before its relay reaches B; the client reconnects to B, whose sync reply
    carries that edit again with new ones. The log holds each edit in one row."""
    meeting, alice, bob = meeting
    a, a_conn = await open_room(meeting.pk, alice)
    b, b_conn = await open_room(meeting.pk, bob)
    try:
        for task in b.tasks:
            if task.get_coro().__name__ == "_receive_loop":
                task.cancel()  # B hears nothing of A (the relay was lost with A)
        client = YClient()
        client.append_text("上海的意见")
        first = client.doc.get_update()
        await a.receive_update(a_conn, first, step2=False)
        await a._flush_pending()
        assert await sync_to_async(stored_rows)(meeting.pk) == [first]
        await stop(a)  # A dies
        before = client.doc.get_state()
        client.append_text("，江苏补充")
        later = client.doc.get_update(before)
        # The reconnecting client's sync reply: everything B's document lacks, stored by A or not.
        await b.receive_update(b_conn, pycrdt.merge_updates(first, later), step2=True)
        await b._flush_pending()
        rows = await sync_to_async(stored_rows)(meeting.pk)
        assert len(rows) == 2 and repeated_edits(rows) == 0
        doc, _last = await sync_to_async(notes.build_doc)(meeting.pk)
        stored = YClient()
        stored.doc.apply_update(doc.snapshot())
        assert stored.text() == "上海的意见，江苏补充"
    finally:
        await stop(b)


async def test_handshakes_waiting_together_are_looked_up_in_one_call_each_failing_alone():
    """``HandshakeBatches``: while the handshake thread is busy, joiners wait; the next call takes all of them (not
    one whose socket went away meanwhile), one result or error each; another function's items get a call of their
    own, and a call that fails as a whole fails each of its items."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from hub.meetings.room import HandshakeBatches

    executor = ThreadPoolExecutor(max_workers=1)
    batches = HandshakeBatches([executor])
    calls, started, release = [], threading.Event(), threading.Event()

    def lookup(items):
        calls.append(list(items))
        if items == ["first"]:
            started.set()
            release.wait(10)
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    def broken(items):
        calls.append(list(items))
        raise RuntimeError("database away")

    loop = asyncio.get_running_loop()
    first = asyncio.ensure_future(batches.run(lookup, "first"))
    assert await loop.run_in_executor(None, started.wait, 10)
    waiting = {item: asyncio.ensure_future(batches.run(lookup, item)) for item in ("a", "bad", "gone", "b")}
    waiting.update({item: asyncio.ensure_future(batches.run(broken, item)) for item in ("x", "y")})
    deadline = loop.time() + 10
    while len(batches.waiting) < 6 and loop.time() < deadline:  # every joiner queued behind the busy thread
        await asyncio.sleep(0)
    assert len(batches.waiting) == 6
    waiting["gone"].cancel()
    release.set()
    assert await first == "FIRST"
    assert [await waiting["a"], await waiting["b"]] == ["A", "B"]
    with pytest.raises(ValueError):
        await waiting["bad"]
    with pytest.raises(asyncio.CancelledError):
        await waiting["gone"]
    for item in ("x", "y"):
        with pytest.raises(RuntimeError):
            await waiting[item]
    assert calls == [["first"], ["a", "bad", "b"], ["x", "y"]]
    assert batches.waiting == [] and batches.busy == [False]
    executor.shutdown()


def test_handshake_batches_start_afresh_on_a_new_event_loop():
    """A batch whose event loop closed before it reported back must not leave its thread marked busy for the next
    loop (the tests run one loop per test; a worker restarting its loop would hang every handshake otherwise)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from hub.meetings.room import HandshakeBatches

    executor = ThreadPoolExecutor(max_workers=1)
    batches = HandshakeBatches([executor])
    started, release = threading.Event(), threading.Event()

    def stuck(items):
        started.set()
        release.wait(10)
        return list(items)

    async def abandon():
        task = asyncio.ensure_future(batches.run(stuck, "first"))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()  # the loop ends with its batch still running

    asyncio.run(abandon())
    assert batches.busy == [True]
    release.set()

    async def again():
        return await asyncio.wait_for(batches.run(lambda items: [item.upper() for item in items], "next"), 10)

    assert asyncio.run(again()) == "NEXT"
    executor.shutdown()


async def test_a_layer_call_is_tried_once_more_before_its_failure_counts():
    """After Redis restarts, the first call on a connection kept from before fails although Redis is back: the
    retry keeps that from being logged as a second outage. A call that fails twice still fails."""
    from hub.meetings.room import layer_call

    calls = []

    async def stale_then_fine(channel):
        calls.append(channel)
        if len(calls) == 1:
            raise ConnectionError("Connection closed by server.")
        return {"type": "notes.hello"}

    assert await layer_call(stale_then_fine, "notes-room.x") == {"type": "notes.hello"}
    assert calls == ["notes-room.x", "notes-room.x"]

    async def down(channel):
        calls.append(channel)
        raise ConnectionError("Connection refused.")

    calls.clear()
    with pytest.raises(ConnectionError):
        await layer_call(down, "notes-room.y")
    assert len(calls) == 2
