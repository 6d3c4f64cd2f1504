"""Websocket consumers. Live notes speak the standard y-websocket protocol at /ws/notes/<meeting id>."""
from __future__ import annotations

import logging
import time
from importlib import import_module

from django.conf import settings
from django.http.cookie import parse_cookie

from hub.accounts.middleware import websocket_user
from hub.accounts.sessions import load_many
from hub.meetings import protocol, selectors
from hub.meetings.room import Connection, handshake_db, registry

log = logging.getLogger("hub.notes")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_MALFORMED = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_FLOOD = 4429
#: The notes became read-only (the host closed the meeting) while the socket was open, or a client wrote to
#: read-only notes: its edits are not stored. Clients should stop reconnecting.
CLOSE_NOTES_CLOSED = protocol.CLOSE_NOTES_CLOSED
#: Per connection: a steady 120 messages a second with bursts of 400 is far above fast typing plus cursor moves.
RATE_PER_SECOND = 120.0
RATE_BURST = 400.0


def handshakes(items: list[tuple[dict, object]]) -> list:
    """(user, identity) of each (scope, meeting id) of a burst of handshakes, on a handshake thread
    (``room.handshake_db`` batches them). Each user as Channels' auth middleware and the second-factor gate decide
    it (``accounts.middleware.websocket_user``) from the scope's session, unless a middleware resolved it already
    (in-process tests); the identity (``notes_identity``) only for a signed-in user. For the whole burst: one
    session read (``accounts.sessions.load_many``) and, per meeting, one access statement that loads the users too
    (``selectors.notes_users_and_identities``). A failure is that item's result, not the others'."""
    from django.contrib.auth import SESSION_KEY as USER_ID_KEY
    from django.contrib.auth import get_user_model

    pending = [scope["session"] for scope, _m in items if "user" not in scope and scope.get("session") is not None]
    load_many(pending)
    wanted: dict[object, set] = {}
    for scope, meeting_id in items:
        session = scope.get("session") if "user" not in scope else None
        if session is not None and session.get(USER_ID_KEY) is not None:
            try:  # the id as ``websocket_user`` will ask for it; only a hint: an id not read ahead is read alone
                wanted.setdefault(meeting_id, set()).add(get_user_model()._meta.pk.to_python(session[USER_ID_KEY]))
            except Exception:  # noqa: BLE001 - websocket_user decides what a malformed session means
                pass
    found = {meeting_id: (ids, selectors.notes_users_and_identities(user_ids=ids, meeting_id=meeting_id))
             for meeting_id, ids in wanted.items()}
    results = []
    for scope, meeting_id in items:
        try:
            results.append(handshake(scope=scope, meeting_id=meeting_id, read_ahead=found.get(meeting_id)))
        except Exception as exc:  # noqa: BLE001 - this handshake fails (its socket is refused), not the burst
            results.append(exc)
    return results


def handshake(*, scope, meeting_id, read_ahead=None) -> tuple[object, dict | None]:
    """(user, identity) of one handshake. ``read_ahead``: (user ids, their ``notes_users_and_identities``) read for
    a burst of handshakes; a user id outside it is read here."""
    user = scope.get("user")
    if user is None:
        found = {}

        def load_user(user_id):
            if read_ahead is not None and user_id in read_ahead[0]:
                loaded, found["identity"] = read_ahead[1].get(user_id, (None, None))
            else:
                loaded, found["identity"] = selectors.notes_user_and_identity(user_id=user_id, meeting_id=meeting_id)
            return loaded

        user = websocket_user(scope, load_user=load_user)
        if user.is_authenticated and "identity" in found:
            return user, found["identity"]
    if not user.is_authenticated:
        return user, None
    return user, selectors.notes_identity(user=user, meeting_id=meeting_id)


def session_of(scope):
    """The handshake's session (not loaded until read), from the session cookie as Django reads it on a request;
    None without the cookie. Channels' session middleware does this too, but also wraps the consumer's ``send``
    to check the lazy session on every outgoing frame: the notes socket reads the session once, in its handshake,
    and never writes it."""
    cookies = b"; ".join(value for name, value in scope.get("headers") or () if name == b"cookie")
    key = parse_cookie(cookies.decode("latin1")).get(settings.SESSION_COOKIE_NAME) if cookies else None
    return import_module(settings.SESSION_ENGINE).SessionStore(key) if key else None


class NotesConsumer:
    """One live-notes socket, as a plain ASGI application: authenticate, authorise through ``notes_role``, then
    hand every validated frame to the meeting's room.

    Not a Channels consumer: ``AsyncConsumer`` waits for each incoming frame with a new task and an
    ``asyncio.wait`` (it listens to the channel layer as well; this socket never does: the meeting's room is the
    one subscriber per process), and its session wrapper checks the session on every outgoing frame. Measured with
    stock Yjs clients (``bench/notes_clients.py``), that loop was a tenth of the worker's CPU while 40 people
    joined. Here one ``receive()`` is awaited at a time and the room writes to the server's own ``send``."""

    room = None
    conn = None

    def __init__(self, scope, send):
        self.scope, self.base_send = scope, send

    @classmethod
    def as_asgi(cls):
        async def app(scope, receive, send):
            await cls(scope, send).run(receive)
        return app

    async def run(self, receive) -> None:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.receive":
                await self.receive(message.get("text"), message.get("bytes"))
            elif kind == "websocket.connect":
                await self.connect()
            elif kind == "websocket.disconnect":
                await self.disconnect(message.get("code", 1000))
                return

    async def send(self, *, bytes_data: bytes) -> None:
        await self.base_send({"type": "websocket.send", "bytes": bytes_data})

    async def close(self, *, code: int) -> None:
        await self.base_send({"type": "websocket.close", "code": code})

    async def connect(self):
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        if "user" not in self.scope:
            self.scope["session"] = session_of(self.scope)
        # One thread hop for the whole handshake, on a handshake thread that keeps its database connection, batched
        # with the handshakes waiting then: the session's user (unless a middleware above resolved it already) and
        # the access query.
        user, identity = await handshake_db(handshakes, (self.scope, meeting_id))
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if identity is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        session = self.scope.get("session")
        self.conn = Connection(consumer=self, user_id=user.pk, session_key=getattr(session, "session_key", None),
                               **identity)
        self.tokens, self.stamp = RATE_BURST, time.monotonic()
        await self.base_send({"type": "websocket.accept"})
        self.room = await registry.join(meeting_id, self.conn)
        await self.send(bytes_data=self.room.sync_step1())
        presence = self.room.awareness_snapshot()
        if presence:
            await self.send(bytes_data=presence)

    async def disconnect(self, code):
        room, conn = self.room, self.conn
        # The connection refers to this consumer and the consumer to it; breaking the pair lets reference
        # counting free both (and the room, once it is discarded) as soon as the socket is gone, instead of
        # leaving them to the cycle collector.
        self.room = self.conn = None
        if room is not None and conn is not None:
            await room.remove(conn)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.stamp) * RATE_PER_SECOND)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def receive(self, text_data=None, bytes_data=None):
        if self.room is None or self.conn not in self.room.conns:
            return
        if bytes_data is None:
            await self._refuse(CLOSE_MALFORMED)
            return
        if len(bytes_data) > protocol.MAX_FRAME:
            await self._refuse(CLOSE_TOO_LARGE)
            return
        if not self._take_token():
            await self._refuse(CLOSE_FLOOD)
            return
        try:
            frame = protocol.parse_frame(bytes_data)
            if frame.kind == protocol.MSG_SYNC:
                if frame.sync == protocol.SYNC_STEP1:
                    await self.send(bytes_data=self.room.sync_step2(frame.payload))
                else:
                    if self.room.backlogged():
                        await self.room.room_for_more()
                        if self.room is None:
                            return
                    await self.room.receive_update(self.conn, frame.payload, step2=frame.sync == protocol.SYNC_STEP2)
            elif frame.kind == protocol.MSG_AWARENESS:
                await self.room.receive_awareness(self.conn, frame.payload)
            elif frame.kind == protocol.MSG_QUERY_AWARENESS:
                presence = self.room.awareness_snapshot()
                if presence:
                    await self.send(bytes_data=presence)
        except protocol.ProtocolError as exc:
            log.info("closing notes connection of user %s: %s", self.conn.user_id, exc)
            await self._refuse(CLOSE_MALFORMED)

    async def _refuse(self, code: int) -> None:
        room, self.room = self.room, None
        if room is not None:
            await room.remove(self.conn)
        await self.close(code=code)
