"""The live-notes consumer: who may connect, what is applied, stored and relayed, and what closes the socket."""
import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from pycrdt import read_message

from hub.meetings import notes
from hub.meetings.room import registry
from hub.models import Meeting, NoteUpdate, Participant, Province
from hub.routing import websocket_urlpatterns
from tests.conftest import make_user
from tests.hub.meetings.factories import MeetingFactory
from tests.hub.meetings.ywsclient import YClient, step2, update_message

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture(autouse=True)
async def _stop_rooms():
    yield
    for room in list(registry.rooms.values()):
        await registry.discard(room)


class Peer:
    """A pycrdt Yjs client on a WebsocketCommunicator."""

    def __init__(self, communicator, name=""):
        self.ws = communicator
        self.y = YClient(name)

    async def pump(self, quiet: float = 0.15) -> int:
        count = 0
        # receive_output's timeout cancels the application, so wait with receive_nothing instead.
        while not await self.ws.receive_nothing(timeout=quiet, interval=0.01):
            message = await self.ws.receive_output()
            if message["type"] == "websocket.close":
                self.closed = message.get("code")
                return count
            for reply in self.y.handle(message["bytes"]):
                await self.ws.send_to(bytes_data=reply)
            count += 1

    async def hello(self):
        for frame in self.y.hello():
            await self.ws.send_to(bytes_data=frame)
        await self.pump()

    async def type(self, text):
        self.y.append_text(text)
        for frame in self.y.take():
            await self.ws.send_to(bytes_data=frame)


async def closed_within(peer, seconds):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await peer.ws.receive_nothing(timeout=0.1, interval=0.01):
            continue
        message = await peer.ws.receive_output()
        if message["type"] == "websocket.close":
            return message["code"]
    return None


async def connect(meeting, user, *, hello=True):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/notes/{meeting.pk}",
                                         headers=[ORIGIN])
    communicator.scope["user"] = user if user is not None else AnonymousUser()
    connected, code = await communicator.connect(timeout=5)
    peer = Peer(communicator)
    peer.connected, peer.code = connected, code
    if connected and hello:
        await peer.hello()
    return peer


@pytest.fixture
def meeting(db):
    return MeetingFactory()


def stored_lines(meeting):
    doc, _ = notes.build_doc(meeting.pk)
    return notes.blocks_lines(notes.doc_blocks(doc))


async def until_stored(meeting, lines, seconds=5.0):
    """Poll the log (a condition with a deadline, never a fixed sleep); fails with the last value seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (seen := await sync_to_async(stored_lines)(meeting)) != lines and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert seen == lines


def write_text(meeting, text):
    client = YClient()
    client.append_text(text)
    items = [notes.Pending(read_message(frame[2:]), None, frozenset()) for frame in client.take()]
    notes.append_updates(meeting_id=meeting.pk, items=items)


def participant(meeting, role="editor", province="JS"):
    user = make_user(province_code=province, role="member")
    Participant.objects.create(meeting=meeting, user=user, role=role)
    return user


async def test_anonymous_is_refused(meeting):
    peer = await connect(meeting, None)
    assert not peer.connected
    assert peer.code == 4401


async def test_non_participant_is_refused(meeting):
    outsider = await sync_to_async(make_user)(province_code="JS", role="editor")
    peer = await connect(meeting, outsider)
    assert not peer.connected
    assert peer.code == 4403


async def test_unknown_meeting_is_refused(meeting):
    user = await sync_to_async(participant)(meeting)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/notes/{meeting.pk + 999}")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    assert not connected


async def test_editors_converge_and_the_log_holds_every_edit(meeting):
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, province="ZJ")
    a, b = await connect(meeting, alice), await connect(meeting, bob)
    await a.type("上海提出")
    await b.pump()
    await b.type("，浙江补充")
    await a.pump()
    await a.pump()
    assert a.y.text() == b.y.text() == "上海提出，浙江补充"
    await until_stored(meeting, ["上海提出，浙江补充"])
    authors = set(await sync_to_async(lambda: set(NoteUpdate.objects.values_list("author_id", flat=True)))())
    assert authors == {alice.pk, bob.pk}
    await a.ws.disconnect()
    await b.ws.disconnect()


async def test_late_joiner_gets_the_whole_document_from_the_server(meeting):
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting)
    a = await connect(meeting, alice)
    for word in ("第一项", "第二项", "第三项"):
        await a.type(word)
    await a.pump()
    await a.ws.disconnect()
    for room in list(registry.rooms.values()):
        await registry.discard(room)  # nobody left in memory: the document comes from the database alone
    b = await connect(meeting, bob)
    await b.pump()
    assert b.y.text() == "第一项第二项第三项"
    await b.ws.disconnect()


async def test_a_closed_socket_and_its_discarded_room_are_freed_without_the_cycle_collector(meeting):
    import gc
    import weakref

    alice = await sync_to_async(participant)(meeting)
    a = await connect(meeting, alice)
    await a.type("散会前的最后一句")
    await a.pump()
    room = registry.rooms[meeting.pk]
    (conn,) = room.conns
    refs = [weakref.ref(room), weakref.ref(conn), weakref.ref(conn.consumer), weakref.ref(room.doc)]
    del conn
    gc.collect()
    gc.disable()  # from here on, only reference counting may free anything
    try:
        await a.ws.disconnect()
        await registry.discard(room)
        del room
        assert [ref() for ref in refs] == [None] * len(refs)
    finally:
        gc.enable()


async def test_observer_updates_are_dropped(meeting):
    editor, observer = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, "observer")
    e, o = await connect(meeting, editor), await connect(meeting, observer)
    await e.type("正式记录")
    await o.pump()
    assert o.y.text() == "正式记录"
    await o.type("旁听者的修改")
    await e.type("。")  # the witness: stored after anything the observer's update could have caused
    await until_stored(meeting, ["正式记录。"])
    assert e.y.text() == "正式记录。"
    assert await sync_to_async(NoteUpdate.objects.filter(author=observer).count)() == 0
    await e.ws.disconnect()
    await o.ws.disconnect()


@pytest.mark.parametrize("frame", [
    b"\x00\x02\x05\x01\x02\x03\x04\x05",  # an update that is not a Yjs update
    b"\x00\x07\x00",  # unknown sync message
    b"\x09\x00",  # unknown message type
    b"\x00\x02\x20\x01",  # length beyond the frame
    b"\x01\x01\x01\x01\x01\x05notjs",  # awareness state that is not JSON
])
async def test_malformed_frames_close_the_socket_and_leave_the_store_alone(meeting, frame):
    editor = await sync_to_async(participant)(meeting)
    peer = await connect(meeting, editor)
    await peer.type("保留的文字")
    await peer.pump()
    await until_stored(meeting, ["保留的文字"])
    before = await sync_to_async(NoteUpdate.objects.count)()
    await peer.ws.send_to(bytes_data=frame)
    message = await peer.ws.receive_output(timeout=2)
    assert message == {"type": "websocket.close", "code": 4400}
    # Refused before anything is queued; a witness written after it by another editor is stored alone.
    witness = await connect(meeting, await sync_to_async(participant)(meeting))
    await witness.type("。")
    await until_stored(meeting, ["保留的文字。"])
    assert await sync_to_async(NoteUpdate.objects.count)() == before + 1
    await witness.ws.disconnect()


async def test_text_frames_are_refused(meeting):
    peer = await connect(meeting, await sync_to_async(participant)(meeting))
    await peer.ws.send_to(text_data="hello")
    assert (await peer.ws.receive_output(timeout=2))["code"] == 4400


async def test_oversized_frame_closes_the_socket(meeting):
    peer = await connect(meeting, await sync_to_async(participant)(meeting))
    big = YClient()
    big.paragraph("长" * 400_000)  # 1.2 MB of UTF-8 in one otherwise valid update
    frame = big.take()[0]
    assert len(frame) > notes.MAX_FRAME
    await peer.ws.send_to(bytes_data=frame)
    assert (await peer.ws.receive_output(timeout=2))["code"] == 4413
    assert await sync_to_async(NoteUpdate.objects.count)() == 0


async def test_flood_closes_the_socket(meeting):
    peer = await connect(meeting, await sync_to_async(participant)(meeting))
    query = bytes([notes.MSG_QUERY_AWARENESS])
    for _ in range(2000):
        await peer.ws.send_to(bytes_data=query)
    assert await closed_within(peer, 5) == 4429


async def test_an_update_under_another_accounts_client_id_is_refused(meeting):
    alice, mallory = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting)
    a = await connect(meeting, alice)
    await a.type("原文")
    await a.pump()
    m = await connect(meeting, mallory)
    import pycrdt

    forged = pycrdt.Doc(client_id=a.y.doc.client_id)  # pretend to be Alice's client
    forged.apply_update(a.y.doc.get_update())
    before = forged.get_state()
    text = forged.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children[0].children[0]
    text.insert(len(text), "伪造")
    await m.ws.send_to(bytes_data=update_message(forged.get_update(before)))
    assert (await m.ws.receive_output(timeout=2))["code"] == 4400
    await a.ws.disconnect()


async def test_a_sync_reply_cannot_write_under_another_accounts_client_id(meeting):
    alice, mallory = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting)
    a = await connect(meeting, alice)
    await a.type("原文")
    await a.pump()
    m = await connect(meeting, mallory)
    import pycrdt

    forged = pycrdt.Doc(client_id=a.y.doc.client_id)
    forged.apply_update(a.y.doc.get_update())
    before = forged.get_state()
    text = forged.get(notes.FRAGMENT, type=pycrdt.XmlFragment).children[0].children[0]
    text.insert(len(text), "伪造")
    await m.ws.send_to(bytes_data=step2(forged.get_update(before)))
    await m.type("见证")  # sent after the forgery on the same socket: once Alice has it, the forgery was handled
    await a.pump()
    assert "见证" in a.y.text() and "伪造" not in a.y.text()
    stored, _ = await sync_to_async(notes.build_doc)(meeting.pk)
    assert "伪造" not in "".join(notes.blocks_lines(notes.doc_blocks(stored)))
    await a.ws.disconnect()
    await m.ws.disconnect()


def typed_offline(client: YClient, text: str) -> bytes:
    """What the client typed while it had no server, as one update (Yjs sends it in its next sync reply)."""
    import pycrdt

    client.append_text(text)
    return pycrdt.merge_updates(*[read_message(frame[2:]) for frame in client.take()])


def store_as(meeting, user, client: YClient, update: bytes):
    """The log row another worker writes for ``user``'s edit."""
    notes.append_updates(meeting_id=meeting.pk, items=[
        notes.Pending(update, user.pk, frozenset({client.doc.client_id}))])


async def test_a_reconnecting_editor_gets_the_edits_that_followed_its_own_unstored_edit(meeting):
    # Alice's "上海" reached her worker, which relayed it to Bob's worker and died before storing it. Bob typed
    # after it and his edit is stored, so the restarted room holds his edit but cannot place it: pycrdt leaves
    # it out of the sync reply Alice gets. Her own reply supplies what it follows; she must then receive it.
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, province="ZJ")
    alice_y, bob_y = YClient("alice"), YClient("bob")
    unstored = typed_offline(alice_y, "上海")
    bob_y.doc.apply_update(unstored)
    bob_y.take()
    await sync_to_async(store_as)(meeting, bob, bob_y, typed_offline(bob_y, "浙江"))
    a = await connect(meeting, alice, hello=False)
    a.y = alice_y
    await a.hello()
    await a.pump()
    assert a.y.text() == "上海浙江"
    await until_stored(meeting, ["上海浙江"])
    await a.ws.disconnect()


async def test_an_edit_that_follows_an_edit_not_yet_stored_is_stored_once_that_edit_arrives(meeting):
    # Bob's "江" was relayed to Alice's client by a worker that has not stored it yet (PostgreSQL is slow or
    # down); Alice types after it and reconnects here. The room takes only her own content from her sync reply
    # and cannot place it before "江" arrives, which it then does through the log.
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, province="ZJ")
    alice_y, bob_y = YClient("alice"), YClient("bob")
    await sync_to_async(store_as)(meeting, bob, bob_y, typed_offline(bob_y, "浙"))
    later = typed_offline(bob_y, "江")
    alice_y.doc.apply_update(bob_y.doc.get_update())
    alice_y.take()
    typed_offline(alice_y, "上海")
    a = await connect(meeting, alice, hello=False)
    a.y = alice_y
    await a.hello()
    await sync_to_async(store_as)(meeting, bob, bob_y, later)
    await until_stored(meeting, ["浙江上海"])
    await a.ws.disconnect()


@pytest.mark.parametrize("state", [
    b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",  # deeper than Python's recursion limit
    b'{"a":' + b"[" * 40 + b"]" * 40 + b"}",  # deeper than any presence needs
])
async def test_deeply_nested_presence_closes_with_4400(meeting, state):
    peer = await connect(meeting, await sync_to_async(participant)(meeting))
    payload = b"\x01" + pycrdt_var(peer.y.doc.client_id) + b"\x01" + pycrdt_var(len(state)) + state
    await peer.ws.send_to(bytes_data=pycrdt_awareness(payload))
    assert await peer.ws.receive_output(timeout=2) == {"type": "websocket.close", "code": 4400}


def pycrdt_var(n):
    import pycrdt

    return pycrdt.write_var_uint(n)


def pycrdt_awareness(payload):
    import pycrdt

    return pycrdt.create_awareness_message(payload)


async def test_presence_carries_the_server_side_name_and_province_colour(meeting):
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, province="ZJ")
    await sync_to_async(type(alice).objects.filter(pk=alice.pk).update)(first_name="爱丽丝")
    alice.first_name = "爱丽丝"
    a, b = await connect(meeting, alice), await connect(meeting, bob)
    await a.ws.send_to(bytes_data=a.y.presence({"user": {"name": "冒名者", "color": "#000000"}, "cursor": None}))
    await b.pump()
    names = {s["user"]["name"]: s["user"]["color"] for s in b.y.awareness.values() if s}
    assert "冒名者" not in names
    js_colour = await sync_to_async(lambda: Province.objects.get(code="JS").colour)()
    assert names["爱丽丝"] == js_colour
    await a.ws.disconnect()
    await b.ws.disconnect()


async def test_each_joiner_is_told_who_is_present_now(meeting):
    """The presence a joiner gets first is encoded once and kept until presence changes (room.awareness_snapshot):
    a change, an arrival and a departure after one joiner was told must each reach the next joiner."""
    alice, bob, carol = [await sync_to_async(participant)(meeting) for _ in range(3)]

    async def first_presence(user):
        peer = await connect(meeting, user, hello=False)
        await peer.pump()  # the server's opening frames only: this client has not said anything yet
        return peer, {client: (state or {}).get("cursor") for client, state in peer.y.awareness.items() if state}

    a = await connect(meeting, alice)
    await a.ws.send_to(bytes_data=a.y.presence({"cursor": 1}))
    b, seen = await first_presence(bob)
    assert seen == {a.y.doc.client_id: 1}
    await a.ws.send_to(bytes_data=a.y.presence({"cursor": 2}))
    await b.ws.send_to(bytes_data=b.y.presence({"cursor": 7}))
    await b.pump()  # b's own announcement is in before carol comes (it is also what b sees of a's move)
    assert b.y.awareness[a.y.doc.client_id]["cursor"] == 2
    c, seen = await first_presence(carol)
    assert seen == {a.y.doc.client_id: 2, b.y.doc.client_id: 7}
    await a.ws.disconnect()
    await c.pump()  # a's departure reaches c before the next joiner comes
    assert not c.y.awareness.get(a.y.doc.client_id)
    d, seen = await first_presence(alice)
    assert seen == {b.y.doc.client_id: 7}
    for peer in (b, c, d):
        await peer.ws.disconnect()


async def test_a_burst_of_presence_changes_reaches_the_others_in_fewer_frames_and_ends_on_the_last(meeting):
    """Presence leaves at most every PRESENCE_SECONDS per room: a cursor moving 20 times at once costs every other
    socket a few frames, not 20, and the last position is never held back."""
    alice, bob = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting)
    a, b = await connect(meeting, alice), await connect(meeting, bob)
    await b.pump()
    frames = []
    for position in range(20):
        await a.ws.send_to(bytes_data=a.y.presence({"cursor": {"anchor": position, "head": position}}))
    final = {"anchor": 19, "head": 19}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (b.y.awareness.get(a.y.doc.client_id) or {}).get("cursor") != final and loop.time() < deadline:
        if await b.ws.receive_nothing(timeout=0.1, interval=0.01):
            continue
        data = (await b.ws.receive_output())["bytes"]
        if data[0] == 1:  # an awareness message
            frames.append(data)
        b.y.handle(data)
    assert (b.y.awareness.get(a.y.doc.client_id) or {}).get("cursor") == final
    assert 1 <= len(frames) <= 10
    await a.ws.disconnect()
    await b.ws.disconnect()


async def test_removed_participant_is_disconnected_within_seconds(meeting):
    editor = await sync_to_async(participant)(meeting)
    peer = await connect(meeting, editor)
    await sync_to_async(Participant.objects.filter(user=editor).delete)()
    assert await closed_within(peer, 5) == 4403


async def test_deactivated_account_is_disconnected_within_seconds(meeting):
    editor = await sync_to_async(participant)(meeting)
    peer = await connect(meeting, editor)
    await sync_to_async(type(editor).objects.filter(pk=editor.pk).update)(is_active=False)
    assert await closed_within(peer, 5) == 4403


async def test_closed_meeting_is_read_only_for_everyone(meeting):
    editor = await sync_to_async(participant)(meeting)
    await sync_to_async(Meeting.objects.filter(pk=meeting.pk).update)(status=Meeting.Status.CLOSED)
    peer = await connect(meeting, editor)
    await peer.type("会后修改")
    await peer.pump(0.3)
    assert await sync_to_async(NoteUpdate.objects.count)() == 0


async def test_a_closed_meeting_is_readable_and_a_write_attempt_is_told_with_4409(meeting):
    editor = await sync_to_async(participant)(meeting)
    await sync_to_async(write_text)(meeting, "定稿内容")
    await sync_to_async(Meeting.objects.filter(pk=meeting.pk).update)(status=Meeting.Status.CLOSED)
    stored = await sync_to_async(NoteUpdate.objects.count)()
    peer = await connect(meeting, editor)
    await peer.pump(0.3)
    assert peer.y.text() == "定稿内容"
    assert not hasattr(peer, "closed")  # reading (and an empty sync reply) is no write: the socket stays open
    await peer.ws.send_to(bytes_data=step2(peer.y.doc.get_update(
        peer.y.doc.get_state())))  # a reconnecting reader repeats nothing new
    await peer.pump(0.3)
    assert not hasattr(peer, "closed")
    await peer.type("会后修改")
    assert await closed_within(peer, 2) == 4409
    assert await sync_to_async(NoteUpdate.objects.count)() == stored


async def test_closing_the_meeting_closes_every_open_socket_with_4409(meeting, monkeypatch):
    from hub.meetings import services as svc

    monkeypatch.setattr("hub.meetings.room.RECHECK_EVERY_TICKS", 1)
    editor, observer = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting, "observer")
    host = await sync_to_async(make_user)(province_code="SH", role="editor")
    e, o = await connect(meeting, editor), await connect(meeting, observer)
    await e.type("会中")
    await until_stored(meeting, ["会中"])
    await sync_to_async(svc.meeting_close)(actor=host, meeting_id=meeting.pk)
    assert await closed_within(e, 4) == 4409
    assert await closed_within(o, 4) == 4409
    stored, _ = await sync_to_async(notes.build_doc)(meeting.pk)
    assert notes.blocks_lines(notes.doc_blocks(stored)) == ["会中"]


async def test_an_edit_the_log_refuses_at_close_is_told_and_not_served_to_the_next_reader(meeting, monkeypatch):
    monkeypatch.setattr("hub.meetings.room.RECHECK_EVERY_TICKS", 10_000)  # only the log notices the close
    editor, reader = await sync_to_async(participant)(meeting), await sync_to_async(participant)(meeting)
    peer = await connect(meeting, editor)
    await peer.type("会中")
    await until_stored(meeting, ["会中"])
    await sync_to_async(Meeting.objects.filter(pk=meeting.pk).update)(status=Meeting.Status.CLOSED)
    await peer.type("，会后")  # applied by the room, refused by the log
    assert await closed_within(peer, 3) == 4409
    stored, _ = await sync_to_async(notes.build_doc)(meeting.pk)
    assert notes.blocks_lines(notes.doc_blocks(stored)) == ["会中"]
    late = await connect(meeting, reader)
    await late.pump(0.3)
    assert late.y.text() == "会中"  # the room that applied the refused edit is gone; this one read the log
    await late.ws.disconnect()


async def test_closing_during_the_meeting_stops_writes_on_the_open_socket(meeting):
    editor = await sync_to_async(participant)(meeting)
    peer = await connect(meeting, editor)
    await peer.type("会中")
    await peer.pump(0.3)
    await sync_to_async(Meeting.objects.filter(pk=meeting.pk).update)(status=Meeting.Status.CLOSED)
    assert await closed_within(peer, 4) == 4409
    await peer.type("会后")  # into a socket the server closed: nothing can arrive
    stored, _ = await sync_to_async(notes.build_doc)(meeting.pk)
    assert notes.blocks_lines(notes.doc_blocks(stored)) == ["会中"]
    await peer.ws.disconnect()


# --- the full stack: session cookie, Origin check, logout --------------------------------------------------
def session_headers(user, origin=b"http://testserver"):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return key, [(b"origin", origin), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())]


async def full_stack(meeting, headers):
    from hub.asgi import application

    communicator = WebsocketCommunicator(application, f"/ws/notes/{meeting.pk}", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_full_stack_accepts_a_session_from_an_allowed_origin(meeting):
    editor = await sync_to_async(participant)(meeting)
    _key, headers = await sync_to_async(session_headers)(editor)
    communicator, connected, _ = await full_stack(meeting, headers)
    assert connected
    first = await communicator.receive_output()
    assert first["bytes"][:2] == bytes([notes.MSG_SYNC, notes.SYNC_STEP1])
    await communicator.disconnect()


async def test_full_stack_refuses_a_foreign_origin(meeting):
    editor = await sync_to_async(participant)(meeting)
    _key, headers = await sync_to_async(session_headers)(editor, b"https://evil.example")
    _communicator, connected, _ = await full_stack(meeting, headers)
    assert not connected


@pytest.mark.parametrize("host, origin, accepted", [
    (b"127.0.0.1:8123", b"http://127.0.0.1:8123", True),
    (b"127.0.0.1:8123", b"http://127.0.0.1:9999", False),  # another service on the same host
    (b"127.0.0.1:8123", b"http://127.0.0.1", False),
    (b"127.0.0.1:8123", b"https://127.0.0.1:8123", False),
    (None, b"http://testserver:8001", False),
    (b"evil.example:8123", b"http://evil.example:8123", False),  # not an allowed host
])
async def test_full_stack_origin_must_match_scheme_host_and_port(meeting, host, origin, accepted):
    editor = await sync_to_async(participant)(meeting)
    _key, headers = await sync_to_async(session_headers)(editor, origin)
    if host is not None:
        headers.append((b"host", host))
    communicator, connected, _ = await full_stack(meeting, headers)
    assert connected is accepted
    if connected:
        await communicator.disconnect()


async def test_full_stack_refuses_anonymous(meeting):
    _communicator, connected, code = await full_stack(meeting, [ORIGIN])
    assert not connected and code == 4401


async def test_full_stack_resolves_the_session_as_the_auth_middleware_would(meeting):
    """The websocket stack has no AuthMiddleware: the consumer resolves the session's user itself (one thread hop
    with its access query). A session waiting for its second factor, one whose password changed since sign-in
    (hash no longer verified), a deactivated account and an unknown session are anonymous; the same session once
    verified is accepted."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY

    from hub.accounts.middleware import SESSION_KEY

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # cached_db with Redis: through the cache

    editor = await sync_to_async(participant)(meeting)
    key, headers = await sync_to_async(session_headers)(editor)

    def set_in_session(name, value):
        store = SessionStore(key)
        if value is None:
            store.pop(name, None)
        else:
            store[name] = value
        store.save()

    await sync_to_async(set_in_session)(SESSION_KEY, "verify")
    _communicator, connected, code = await full_stack(meeting, headers)
    assert not connected and code == 4401
    await sync_to_async(set_in_session)(SESSION_KEY, None)
    communicator, connected, _ = await full_stack(meeting, headers)
    assert connected
    await communicator.disconnect()

    stale_hash = await sync_to_async(lambda: SessionStore(key)[HASH_SESSION_KEY])()
    await sync_to_async(set_in_session)(HASH_SESSION_KEY, "0" * len(stale_hash))
    _communicator, connected, code = await full_stack(meeting, headers)
    assert not connected and code == 4401

    other_key, other_headers = await sync_to_async(session_headers)(editor)
    editor.is_active = False
    await sync_to_async(editor.save)(update_fields=["is_active"])
    _communicator, connected, code = await full_stack(meeting, other_headers)
    assert not connected and code == 4401

    unknown = [ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}=nosuchsession".encode())]
    _communicator, connected, code = await full_stack(meeting, unknown)
    assert not connected and code == 4401


def test_a_burst_of_handshakes_answers_as_each_alone_with_a_query_per_meeting(meeting, django_assert_num_queries):
    """``handshakes`` (what a burst of joiners costs): each (scope, meeting) gets what its own ``handshake`` gives —
    editor, observer, outsider, deactivated account, unknown session, no cookie, another meeting — from one session
    read and one access statement per meeting."""
    from django.conf import settings

    from hub.meetings.consumers import handshake, handshakes, session_of

    people = [participant(meeting) for _ in range(3)]
    people += [participant(meeting, role="observer"), make_user(province_code="ZJ", role="member")]
    deactivated = participant(meeting)
    headers = [session_headers(person)[1] for person in [*people, deactivated]]
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    headers += [[ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}=nosuchsession".encode())], [ORIGIN]]
    burst = [(h, meeting.pk) for h in headers] + [(headers[0], meeting.pk + 999)]

    def scope(h):
        return {"headers": h, "session": session_of({"headers": h})}

    expected = [handshake(scope=scope(h), meeting_id=m) for h, m in burst]
    assert [e[1]["role"] if e[1] else None for e in expected][:len(people) + 3] == [
        "editor", "editor", "editor", "observer", None, None, None, None]
    assert [e[0].is_authenticated for e in expected] == [True] * 5 + [False] * 3 + [True]
    # The sessions the cache lacks (the unknown one; all of them without Redis) in one query, then a statement for
    # each of the two meetings.
    with django_assert_num_queries(3):
        results = handshakes([(scope(h), m) for h, m in burst])
    assert results == expected


async def test_joiners_arriving_together_each_get_their_own_answer(meeting):
    """Handshakes that wait together are looked up together (``room.HandshakeBatches``): eleven sockets opened at
    once through the full stack, each accepted or refused as it would be alone."""
    from django.conf import settings

    editors = [await sync_to_async(participant)(meeting) for _ in range(8)]
    outsider = await sync_to_async(make_user)(province_code="ZJ", role="member")
    headers = [(await sync_to_async(session_headers)(person))[1] for person in [*editors, outsider]]
    headers += [[ORIGIN], [ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}=nosuchsession".encode())]]
    opened = await asyncio.gather(*(full_stack(meeting, h) for h in headers))
    assert [connected for _c, connected, _code in opened] == [True] * 8 + [False] * 3
    assert [code for _c, connected, code in opened if not connected] == [4403, 4401, 4401]
    for communicator, connected, _code in opened:
        if connected:
            first = await communicator.receive_output()
            assert first["bytes"][:2] == bytes([notes.MSG_SYNC, notes.SYNC_STEP1])
            await communicator.disconnect()


async def test_logging_out_disconnects_within_seconds(meeting):
    from importlib import import_module

    from django.conf import settings

    editor = await sync_to_async(participant)(meeting)
    key, headers = await sync_to_async(session_headers)(editor)
    communicator, connected, _ = await full_stack(meeting, headers)
    assert connected
    # what logout does (request.session.flush()), through the configured engine: the cached copy goes too
    await sync_to_async(import_module(settings.SESSION_ENGINE).SessionStore(key).delete)()
    peer = Peer(communicator)
    assert await closed_within(peer, 5) == 4403


async def test_people_leaving_together_cost_each_remaining_socket_one_presence_frame_or_two(meeting):
    """Departures are batched like arrivals (room._queue_presence): when five people leave at once, the one who
    stays is told in one or two frames, not five, and every departure is in them."""
    users = [await sync_to_async(participant)(meeting) for _ in range(6)]
    stays, *leavers = [await connect(meeting, user) for user in users]
    for peer in leavers:
        await peer.ws.send_to(bytes_data=peer.y.presence({"cursor": 1}))
    gone = {peer.y.doc.client_id for peer in leavers}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not gone <= {c for c, s in stays.y.awareness.items() if s} and loop.time() < deadline:
        stays.y.handle((await stays.ws.receive_output(timeout=10))["bytes"])
    frames = []
    await asyncio.gather(*(peer.ws.disconnect() for peer in leavers))
    while {c for c, s in stays.y.awareness.items() if s} & gone and loop.time() < deadline:
        data = (await stays.ws.receive_output(timeout=10))["bytes"]
        if data[0] == 1:  # an awareness message
            frames.append(data)
        stays.y.handle(data)
    assert not {c for c, s in stays.y.awareness.items() if s} & gone
    assert 1 <= len(frames) <= 2
    await stays.ws.disconnect()
