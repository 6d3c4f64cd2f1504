"""Websocket consumers. Live notes speak the standard y-websocket protocol at /ws/notes/<meeting id>."""
from __future__ import annotations

import logging
import time

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

from hub.accounts.middleware import websocket_user
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


def handshake(*, scope, meeting_id) -> tuple[object, dict | None]:
    """(user, identity) of a handshake, in one call on a handshake thread. The user from the scope when a
    middleware resolved it (in-process tests); else from the session, as Channels' auth middleware and the
    second-factor gate decide it (``accounts.middleware.websocket_user``), with the user loaded by the access
    statement itself (``selectors.notes_user_and_identity``): two queries in all, the session's and that one.
    The identity (``notes_identity``) only for a signed-in user."""
    user = scope.get("user")
    if user is None:
        found = {}

        def load_user(user_id):
            loaded, found["identity"] = selectors.notes_user_and_identity(user_id=user_id, meeting_id=meeting_id)
            return loaded

        user = websocket_user(scope, load_user=load_user)
        if user.is_authenticated and "identity" in found:
            return user, found["identity"]
    if not user.is_authenticated:
        return user, None
    return user, selectors.notes_identity(user=user, meeting_id=meeting_id)


def direct_send(application):
    """ASGI middleware, outside Channels' session wrapper: hands the server's own send to the notes consumer, so
    relayed frames are written without a session check per frame (room.Connection.deliver)."""
    async def middleware(scope, receive, send):
        return await application({**scope, "hub.send": send}, receive, send)
    return middleware


class NotesConsumer(AsyncWebsocketConsumer):
    """Authenticate, authorise through ``notes_role``, then hand every validated frame to the meeting's room."""

    #: No per-connection channel: the meeting's room is the one subscriber per process, and an idle
    #: per-socket receiver on the layer only costs memory and Redis traffic.
    channel_layer_alias = None

    room = None
    conn = None

    async def connect(self):
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        # One thread hop for the whole handshake, on a handshake thread that keeps its database connection: the
        # session's user (unless a middleware above resolved it already) and the access query.
        user, identity = await handshake_db(handshake, scope=self.scope, meeting_id=meeting_id)
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if identity is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        session = self.scope.get("session")
        self.conn = Connection(consumer=self, user_id=user.pk, session_key=getattr(session, "session_key", None),
                               raw_send=self.scope.get("hub.send"), **identity)
        self.tokens, self.stamp = RATE_BURST, time.monotonic()
        await self.accept()
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

    async def websocket_disconnect(self, message):
        # Channels' own also closes stale database connections, a thread hop per closing socket; this consumer
        # has none on that thread (see dispatch) and no channel-layer groups.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def dispatch(self, message):
        # Channels closes stale database connections before every message, a thread hop per frame and per
        # handshake. This consumer never touches that thread's connection (its lookups and the room's work run on
        # the rooms' own database thread, ``db``), so every message skips it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
