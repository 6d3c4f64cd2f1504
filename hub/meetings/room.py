"""One shared live-notes room per meeting per server process.

A room holds the meeting's Yjs document, the connections of this process, and the awareness (presence) of
everyone in the meeting. An accepted update is applied to the room document, sent at once to the other local
connections and sent to the other processes ("notes.edit"), then appended to the database log in small batches
by one room of the meeting, the writer (the one with the smallest token among those that know of each other,
``writes_for_peers``: it stores the other processes' edits with its own); once stored, their sequence numbers are
announced ("notes.stored"), which is how the other rooms learn that their own edits are in. Messages go to the
rooms of the other processes that hold the meeting (``peers``: each room says "hello" to the meeting's group on
the channel layer when it starts and every ``HELLO_TICKS`` seconds, and answers a room it has not heard of yet),
each on its own channel, so no process receives its own edits back: over the direct link between the two processes
(``hub.meetings.link``) when the peer announced one, else on the channel layer; until a room knows of any peer it
publishes to the group. Both are only the fast path, and may drop messages:

- a room that misses an edit learns of it from the "stored" notice, or from the log it reads once a second, and
  applies the rows it has not seen (a dropped message delays an edit, never loses it);
- a room that applied another process's edit but never hears that it was stored (that process died before its
  write) stores the edit itself after ``ADOPT_SECONDS``; a room whose own edits the writer has not confirmed
  within ``UNSTORED_SECONDS`` (the writer died, or cannot be reached) stores them itself. The log stores only what
  no row holds yet (log.new_part), so an edit that reaches it twice this way, or in a reconnecting client's sync
  reply, is still one row.

Every ``RECHECK_EVERY_TICKS`` seconds (by the clock, however often the room wakes) a room with connections also
re-checks them (session still valid, account active, still a participant, editor or observer) and the meeting's
status, in one sweep of a constant number of queries, so revocation and closing take effect within seconds on
every process without relying on any message arriving; a room without connections skips it. When the notes become read-only (the meeting closed), every open
connection is closed with ``CLOSE_NOTES_CLOSED`` so no editor keeps typing into a document that is no longer
stored, and the room leaves the registry: the next connection reads the stored document, not edits this room
applied that the log then refused.
"""
from __future__ import annotations

import asyncio
import logging
import time
import traceback
import uuid
import weakref
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pycrdt
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import DatabaseError, close_old_connections, connection

from hub.db.health import database_health, is_unreachable
from hub.meetings import link as notes_link
from hub.meetings import log as notes_log
from hub.meetings import protocol, selectors

log = logging.getLogger("hub.notes")

TICK_SECONDS = 1.0
RECHECK_EVERY_TICKS = 2
COMPACT_EVERY_TICKS = 30
TICK_SLACK = 0.05  # a tick that wakes a little early still counts as the second one
IDLE_SECONDS = 10.0  # a room with no connection left is dropped after this long
WRITE_BATCH = 200
WRITE_GATHER_SECONDS = 0.1  # a busy room writes at most about ten transactions a second
ADOPT_SECONDS = 5.0
#: The bound on unstored edits: a room that holds edits older than this (or this many) stops reading editors.
UNSTORED_SECONDS = 1.0
MAX_UNSTORED = 2000
GROUP_REFRESH_TICKS = 60
#: A room says hello to the meeting's group this often; a peer not heard of for PEER_SECONDS is forgotten.
HELLO_TICKS = 5
PEER_SECONDS = 3 * HELLO_TICKS + 1
PARKED_TICKS = 120  # how long an update the room document could not integrate is applied again (_retry_parked)
PUBLISH_DRAIN_SECONDS = 2.0  # how long a discarded room waits for its last messages to reach Redis
PUBLISH_RETRY_SECONDS = 0.2  # while Redis is away, one publish attempt per this long per room
#: Presence (names, cursors) goes out at most this often per room: a change after a quiet spell leaves at once, the
#: changes of a busy spell (a meeting filling up: every joiner announces itself to everyone) leave together.
PRESENCE_SECONDS = 0.05
NOTES_LAYER = "notes"


_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notes-db")


def _run_db(fn, kwargs):
    try:
        return fn(**kwargs)
    except Exception:
        close_old_connections()
        connection.close()  # the next call reconnects; a broken connection must not stick to this thread
        raise


async def db(fn, **kwargs):
    """Database work of the rooms, on one long-lived thread that keeps its connection open:
    ``database_sync_to_async`` would open a new connection per call when CONN_MAX_AGE is 0, which on every
    keystroke batch costs more than the write itself."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_executor, _run_db, fn, kwargs)


#: Handshakes' lookups (session, user, access: ``consumers.handshakes``) run on threads of their own, each keeping
#: its connection, so that a burst of joiners neither waits behind the rooms' writes nor queues on one thread.
HANDSHAKE_THREADS = 2
_handshake_executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"notes-handshake-{i}")
                        for i in range(HANDSHAKE_THREADS)]


class HandshakeBatches:
    """Handshakes' lookups in batches: a handshake goes to an idle handshake thread at once; those that arrive while
    every thread is busy wait together, and the first thread to finish takes all of them in one call of the batch
    function (``fn(items) -> results``, one result or exception per item). 40 clients joining at once cost 40
    session reads and 40 access statements, each a round trip, a wake-up of the event loop and an execution in
    PostgreSQL; batched they cost a few of each, and the last joiner no longer waits for the 39 before it."""

    def __init__(self, executors):
        self.executors = executors
        self.busy = [False] * len(executors)
        self.waiting: list[tuple[object, object, asyncio.Future]] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    async def run(self, fn, item):
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            # A new event loop (a worker has one; the tests one per test): a batch of a loop that closed meanwhile
            # never reported back, so its thread must not stay marked busy, nor its waiters queued.
            self.loop, self.busy, self.waiting = loop, [False] * len(self.executors), []
        future = loop.create_future()
        self.waiting.append((fn, item, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        for i, busy in enumerate(self.busy):
            if busy:
                continue
            # Those still waiting (a handshake whose socket went away meanwhile is not looked up), one function's.
            self.waiting = [entry for entry in self.waiting if not entry[2].done()]
            if not self.waiting:
                return
            fn = self.waiting[0][0]
            batch = [entry for entry in self.waiting if entry[0] is fn]
            self.waiting = [entry for entry in self.waiting if entry[0] is not fn]
            self.busy[i] = True
            done = loop.run_in_executor(self.executors[i], _run_db, fn, {"items": [item for _f, item, _w in batch]})
            done.add_done_callback(lambda done, i=i, batch=batch: self._finished(i, batch, done))

    def _finished(self, i: int, batch, done: asyncio.Future) -> None:
        self.busy[i] = False
        error = asyncio.CancelledError() if done.cancelled() else done.exception()
        results = [error] * len(batch) if error is not None else done.result()
        for (_fn, _item, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
        self._dispatch()


_handshakes = HandshakeBatches(_handshake_executors)


async def handshake_db(fn, item):
    """A handshake's lookups: ``fn([item, ...])`` on a handshake thread, batched with the others waiting then
    (``HandshakeBatches``); ``fn``'s result for ``item``."""
    return await _handshakes.run(fn, item)


async def close_db() -> None:
    """Close the rooms' connection and the handshake threads' (in tests before the database goes away)."""
    loop = asyncio.get_running_loop()
    # The lookup must happen on the executor thread: each thread has its own connection object.
    for executor in (_db_executor, *_handshake_executors):
        await loop.run_in_executor(executor, lambda: connection.close())


class LayerHealth:
    """One log line when the channel layer (Redis) stops answering and one when it is back, for the whole process:
    every room publishes and receives, so logging each failure would write thousands of lines per outage. While it
    is down the rooms lose nothing: they read each other's edits from the database log every second."""

    def __init__(self):
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            self.down = True
            # Strings, not the exception: a kept log record (pytest keeps them all) would hold its traceback, whose
            # frames hold the room that failed, and a discarded room must be freed by reference counting.
            log.warning("channel layer unreachable (%s: %s); rooms catch up from the database until it is back",
                        type(exc).__name__, str(exc))

    def ok(self) -> None:
        if self.down:
            self.down = False
            log.warning("channel layer reachable again")


layer_health = LayerHealth()

#: How long a layer call waits before its one retry (``layer_call``).
LAYER_RETRY_SECONDS = 0.05


async def layer_call(method, *args):
    """A call to the channel layer, tried a second time once if it fails: after Redis restarts, the first call on
    a connection the pool kept from before fails ("Connection closed by server") although Redis is back, and
    reporting it would log a second outage for one. During a real outage the retry fails too."""
    try:
        return await method(*args)
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - tried again; the second failure is the caller's
        await asyncio.sleep(LAYER_RETRY_SECONDS)
        return await method(*args)


def group_name(meeting_id: int) -> str:
    return f"notes.{meeting_id}"


@dataclass
class Peer:
    """Another process's room of the same meeting, as this room last heard of it."""

    heard: float  # time.monotonic() of its last message
    link: str | None = None  # where its process takes batches directly (hub.meetings.link), if it said
    token: str = ""  # its room's token: the room with the smallest token the others know of stores for them
    #: False once this room had to store its own edits itself because the peer, its writer, never confirmed them:
    #: until a "stored" notice comes from it again, it is not counted as the writer (``writes_for_peers``).
    confirms: bool = True


#: A socket that has this much waiting to be written (it stopped reading) is closed with CLOSE_TOO_SLOW; its
#: client reconnects and resynchronises, instead of the server buffering without bound.
MAX_QUEUED_BYTES = 4 * 1024 * 1024
CLOSE_TOO_SLOW = 1013  # "try again later"


class _Resume:
    """Awaitable that finishes a coroutine already run up to its first suspension (see Connection.deliver)."""

    __slots__ = ("coro", "first")

    def __init__(self, coro, first):
        self.coro, self.first = coro, first

    def __await__(self):
        value = self.first
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # noqa: BLE001 - forwarded into the coroutine, as a Task would
                try:
                    value = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


def _start(coro) -> asyncio.Task | None:
    """Run ``coro`` at once up to its first suspension (as ``Connection.deliver`` runs a send): None when it finished
    without one, else the task that carries on from there."""
    try:
        first = coro.send(None)
    except StopIteration:
        return None
    return asyncio.ensure_future(_resumed(coro, first))


async def _resumed(coro, first):
    return await _Resume(coro, first)


@dataclass(eq=False)
class Connection:
    """What the room knows about one websocket: who is behind it (from the server-side session) and its role."""

    consumer: object
    user_id: int
    session_key: str | None
    role: str
    name: str
    colour: str
    province: str
    client_ids: set[int] = field(default_factory=set)
    outbox: deque | None = None  # frames waiting behind a write the socket is not ready for
    queued: int = 0
    writer: asyncio.Task | None = None

    async def send(self, data: bytes) -> None:
        await self.consumer.send(bytes_data=data)

    def deliver(self, data: bytes) -> None:
        """Write a frame without waiting for this socket. The write runs at once (a websocket send completes
        without suspending while the socket takes data); only when the socket stops taking data does the rest
        go to a writer task, with the frames after it queued behind, so one slow reader delays nobody else."""
        if self.writer is not None:
            self.outbox.append(data)
            self.queued += len(data)
            if self.queued > MAX_QUEUED_BYTES:
                self.outbox.clear()
                self.writer.cancel()
                asyncio.ensure_future(self._close_quietly(CLOSE_TOO_SLOW))
            return
        send = self.consumer.base_send  # the server's own ASGI send
        coro = send({"type": "websocket.send", "bytes": data})
        try:
            first = coro.send(None)
        except StopIteration:
            return
        except Exception:  # a socket closing under us is not the room's problem
            log.debug("send to a closing connection failed", exc_info=True)
            return
        self.outbox, self.queued = deque(), 0
        self.writer = asyncio.ensure_future(self._finish(send, coro, first))

    async def _finish(self, send, coro, first) -> None:
        try:
            await _Resume(coro, first)
            while self.outbox:
                data = self.outbox.popleft()
                self.queued -= len(data)
                await send({"type": "websocket.send", "bytes": data})
        except asyncio.CancelledError:
            coro.close()
        except Exception:
            log.debug("send to a closing connection failed", exc_info=True)
        finally:
            self.writer, self.outbox, self.queued = None, None, 0

    async def _close_quietly(self, code: int) -> None:
        try:
            await self.close(code)
        except Exception:
            log.debug("closing a slow connection failed", exc_info=True)

    async def close(self, code: int) -> None:
        await self.consumer.close(code=code)


class Room:
    def __init__(self, meeting_id: int):
        self.meeting_id = meeting_id
        self.token = uuid.uuid4().hex
        self.loop = asyncio.get_running_loop()
        self.doc = pycrdt.Doc()
        self.conns: set[Connection] = set()
        self.last_seq = 0
        self.seen: set[int] = set()
        self.writable = True
        self.bindings: dict[int, int] = {}
        # client id -> (its latest entry, connection or None for another process, last seen). The entry is encoded
        # once (``AwarenessEntry.encoded``), whether it goes out in a presence frame, to the other processes or in
        # joiners' snapshots.
        self.awareness: dict[int, tuple[protocol.AwarenessEntry, Connection | None, float]] = {}
        self.pending: list[notes_log.Pending] = []
        #: What each pending item is, for the "stored" notice: this room's edit id, (origin room, edit id) for a
        #: peer's edit stored on its behalf (``writes_for_peers``), or None (adopted).
        self.pending_ids: list[int | tuple[str, int] | None] = []
        self.pending_at: list[float] = []  # when each pending item was accepted
        self.pending_oldest: float | None = None  # the earliest of pending_at (adopted items are older than others)
        self.drained = asyncio.Event()  # set whenever a batch was stored: editors held back may go on
        self.store_failing = False
        self.tick_failing = False
        self.edit_counter = 0
        # (origin room, edit id) -> (received at, Pending) for peers' edits applied but not yet known stored
        self.unconfirmed: dict[tuple[str, int], tuple[float, notes_log.Pending]] = {}
        #: This room's own edits that a peer stores (``writes_for_peers``), until its "stored" notice names them:
        #: edit id -> (accepted at, Pending). Stored here after UNSTORED_SECONDS if no notice comes.
        self.awaiting: dict[int, tuple[float, notes_log.Pending]] = {}
        self.stored_clients: set[int] = set()
        #: Updates applied but not (yet) integrated whole -> ticks they waited; applied again every tick until they
        #: are, for at most PARKED_TICKS (_retry_parked).
        self.parked: dict[bytes, int] = {}
        self.flush = asyncio.Event()
        self.flushing = asyncio.Lock()  # the write loop and discard() both flush: one batch is written once
        self.catchup = asyncio.Event()
        self.tasks: list[asyncio.Task] = []
        self.channel: str | None = None
        # Messages for the other processes: _publish queues them and returns at once, the publisher task (started
        # on demand, see _send_batches) sends what accumulated as one layer message per batch.
        self.outgoing: list[dict] = []
        self.publisher: asyncio.Task | None = None
        self.publishing = True  # False once the room is discarded: nothing more leaves for the other processes
        self._publish_soon = False  # a batch is scheduled for the end of this turn (_queue_publish)
        #: The other processes' rooms of this meeting, by channel. Batches go to each of them, not to the group: with
        #: the group, every process read back (and decoded) each of its own batches, a third of the cross-process
        #: work per edit. They go over the direct link to a peer that gave its address, else through Redis.
        self.peers: dict[str, Peer] = {}
        layer = get_channel_layer(NOTES_LAYER)
        # An in-memory layer never reaches another process: publishing to it would only echo to ourselves.
        self.layer = None if isinstance(layer, InMemoryChannelLayer) else layer
        self.link: notes_link.Link | None = None
        self.link_address: str | None = None  # this process's, announced in every batch
        self.last_flush = 0.0
        self.idle_since: float | None = None
        # The callback must not refer to the room: pycrdt holds it from Rust, where Python's garbage collector
        # cannot see it, so a room -> doc -> callback -> room cycle would keep every discarded room alive.
        effective: list[bytes] = []
        self._effective = effective
        self._sub = self.doc.observe(lambda event: effective.append(event.update))
        self._discarding: asyncio.Task | None = None
        self._local: list[tuple[bytes, Connection]] | None = None  # local edits of this turn (_relay_local)
        # Presence changes waiting for the next presence frame (_queue_presence): all of them, and the local ones
        # (those the other processes are sent too).
        self._presence: list[protocol.AwarenessEntry] | None = None
        self._presence_local: list[protocol.AwarenessEntry] = []
        self._presence_at = 0.0  # when the last presence frame went out
        # The presence frame every joiner gets (awareness_snapshot), encoded once until presence changes: 40 people
        # joining together made it 40 encodings of up to 40 states.
        self._snapshot: bytes | None = None
        self._snapshot_stale = True
        self.retired = False  # set once the registry discards the room

    # --- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        loaded = await db(notes_log.load_room, meeting_id=self.meeting_id)
        self.doc.apply_update(loaded.state)
        self._effective.clear()
        self.last_seq = loaded.last_seq
        self.writable = loaded.writable
        self.bindings = loaded.bindings
        self.stored_clients = set(loaded.bindings)
        if self.layer is not None:
            self.channel = await self.layer.new_channel(prefix="notes-room")
            self.link = notes_link.link()
            self.link_address = await self.link.start()
            if self.link_address:
                self.link.register(self.channel, _batch_handler(weakref.ref(self)))
            await self._subscribe()
            self.tasks.append(asyncio.create_task(self._receive_loop()))
            await self._hello()
        self.tasks.append(asyncio.create_task(self._write_loop()))
        self.tasks.append(asyncio.create_task(self._tick_loop()))

    # --- documents ---------------------------------------------------------------------------------------
    def apply(self, update: bytes) -> bytes | None:
        """Apply a validated update to the room document; the part that actually changed it, or None."""
        self._effective.clear()
        self.doc.apply_update(update)
        changed = [u for u in self._effective if u != protocol.EMPTY_UPDATE]
        self._effective.clear()
        effective = None if not changed else changed[0] if len(changed) == 1 else pycrdt.merge_updates(*changed)
        if effective != update and not self._integrated(update):
            self.parked.setdefault(update, 0)
        return effective

    def _integrated(self, update: bytes) -> bool:
        have = protocol.decode_state_vector(self.doc.get_state())
        return all(have.get(client, 0) >= clock for client, clock in protocol.update_needs(update).items())

    def _retry_parked(self) -> None:
        """Apply again the updates the room document could not integrate when they came (content that follows an
        edit the room lacked), and relay what that adds. Yjs keeps such content pending until its dependency
        arrives, but pycrdt (yrs) loses part of it when several pending updates pile up (about 1 in 100 random
        delayed orders of real updates; after a Redis outage at N=4, ~480 edits one room never integrated nor
        relayed, so its clients stayed behind although the log had everything). Applying the update again, once
        the dependency is there, restores what was lost; an update whose content is all in is forgotten."""
        if not self.parked:
            return
        parked, self.parked = self.parked, {}
        changes = []
        for update, ticks in parked.items():
            try:
                effective = self.apply(update)  # parks it again while it still cannot be integrated
            except Exception:
                log.exception("a parked update of meeting %s could not be applied", self.meeting_id)
                continue
            if effective is not None:
                changes.append(effective)
            if update in self.parked:
                if ticks + 1 >= PARKED_TICKS:
                    del self.parked[update]  # its dependency is not coming; Yjs keeps it pending meanwhile
                else:
                    self.parked[update] = ticks + 1
        if changes:
            log.debug("meeting %s: %d pending updates applied again added content", self.meeting_id, len(changes))
            self._relay(changes)

    async def broadcast(self, data: bytes, exclude: Connection | None = None) -> None:
        """One encoded frame, written to every socket without waiting for any (Connection.deliver)."""
        for conn in list(self.conns):
            if conn is not exclude:
                conn.deliver(data)

    def _relay_local(self, update: bytes, sender: Connection) -> None:
        """Relay a local editor's change to the room's other sockets at the end of this turn of the event loop:
        the edits that arrived in the same turn (a busy meeting reads several sockets per turn) leave as one update,
        so each socket is written once per turn rather than once per edit (writing is most of a worker's CPU)."""
        if self._local is None:
            self._local = []
            self.loop.call_soon(_flush_local, weakref.ref(self))
        self._local.append((update, sender))

    def _flush_local(self) -> None:
        batch, self._local = self._local, None
        if not batch:
            return
        if len(batch) == 1:
            (update, sender), = batch
            frame = protocol.sync_message(protocol.SYNC_UPDATE, update)
            for conn in list(self.conns):
                if conn is not sender:
                    conn.deliver(frame)
            return
        # Every socket gets the edits of the others: one frame for those who sent none, one per sender.
        senders = {sender for _update, sender in batch}
        frames: dict[Connection | None, bytes | None] = {}
        for conn in list(self.conns):
            key = conn if conn in senders else None
            if key not in frames:
                parts = [update for update, sender in batch if sender is not key]
                frames[key] = protocol.sync_message(protocol.SYNC_UPDATE, parts[0] if len(parts) == 1
                                                    else pycrdt.merge_updates(*parts)) if parts else None
            if frames[key] is not None:
                conn.deliver(frames[key])

    def sync_step1(self) -> bytes:
        return protocol.sync_message(protocol.SYNC_STEP1, self.doc.get_state())

    def sync_step2(self, state_vector: bytes) -> bytes:
        try:
            protocol.decode_state_vector(state_vector)
            update = self.doc.get_update(state_vector)
        except Exception as exc:
            raise protocol.ProtocolError("malformed state vector") from exc
        return protocol.sync_message(protocol.SYNC_STEP2, update)

    async def receive_update(self, conn: Connection, update: bytes, *, step2: bool) -> None:
        """A document update from a local editor, already decoded. Raises ProtocolError when it must be refused."""
        if update == protocol.EMPTY_UPDATE:
            return
        clients = protocol.update_clients(update)
        if conn.role != "editor":
            return  # observers: dropped, never applied, stored or relayed
        if not self.writable:
            # Never applied, stored or relayed; the editor is told rather than left typing into the void. A sync
            # reply that only repeats what the document holds (a reconnecting reader) is no write and is let be.
            if self._would_change(update):
                await self._close(conn, protocol.CLOSE_NOTES_CLOSED)
            return
        foreign = self._foreign(conn, clients)
        if foreign:
            if not step2:
                raise protocol.ProtocolError("update written under another account's client id")
            # A sync reply carries whatever the sender holds that the room lacks, which after a reconnect may
            # include other accounts' edits: those are never taken from a third party (they would be stored
            # under their author's name). Their author's own client hands them back, or they stay unstored.
            update = protocol.without_clients(update, foreign)
            clients -= foreign
        try:
            effective = self.apply(update)
        except Exception as exc:
            raise protocol.ProtocolError("update could not be applied") from exc
        echo = False
        if effective != update:  # rare: a repeat, a sync reply after a reconnect, an edit that cannot go in yet
            effective, echo = self._settle(update, effective, clients)
        if effective is None:
            return
        for client in clients:
            self.bindings.setdefault(client, conn.user_id)
        conn.client_ids |= {c for c in clients if self.bindings.get(c) == conn.user_id}
        self._relay_local(effective, conn)
        if echo:
            conn.deliver(protocol.sync_message(protocol.SYNC_UPDATE, effective))
        own = frozenset(c for c in clients if self.bindings.get(c) == conn.user_id)
        self.edit_counter += 1
        edit_id = self.edit_counter  # other edits may arrive while this one is being published
        # Published before it is queued for storage, so that peers hear of the edit before its "stored" notice.
        await self._publish({"type": "notes.edit", "id": edit_id, "data": effective, "user": conn.user_id,
                             "clients": sorted(own)})
        item = notes_log.Pending(update=effective, user_id=conn.user_id, clients=own)
        if self.writes_for_peers():
            self._queue(item, edit_id)
        else:
            self.awaiting[edit_id] = (time.monotonic(), item)

    def _settle(self, update: bytes, effective: bytes | None, clients: set[int]) -> tuple[bytes | None, bool]:
        """What to relay and store of an editor's update that did not go in exactly as sent, and whether the sender
        needs it back. The room document can hold content it cannot place yet (content that follows an edit the
        room lacks: a dead process relayed the edit but never stored it, or it is still on its way), and pycrdt
        leaves such content out of every update it encodes, sync replies included. So:

        - when the update supplies what that content was waiting for, the content goes in with it and is part of
          ``effective``; the sender never had it (the room's sync reply left it out) and the broadcast skips the
          sender, so it is sent back too. Without this, a client that reconnected to a restarted worker missed
          every later edit of the others that followed its own last edits before the crash;
        - when part of the update itself cannot go in yet, ``effective`` lacks that part, and it would never be
          stored or relayed when its dependency arrives later (through the log or another process). The whole
          update is stored and relayed instead: Yjs updates are idempotent, and the log keeps pending content
          beside its snapshots (log.LogDoc)."""
        have = protocol.decode_state_vector(self.doc.get_state())
        if any(have.get(client, 0) < clock for client, clock in protocol.update_needs(update).items()):
            effective = update if effective is None else pycrdt.merge_updates(effective, update)
        echo = effective is not None and bool(protocol.update_clients(effective) - clients)
        return effective, echo

    def writes_for_peers(self) -> bool:
        """Whether this room stores the meeting's edits for the other processes' rooms it knows of: the one with
        the smallest token does. One writer per meeting, not one per process: with people on two workers, each
        worker wrote its own editors' edits, so the meeting cost twice the transactions of one worker (a third of
        what the second worker added per edit). The others keep their own edits (``awaiting``) until the writer's
        "stored" notice names them, and store them themselves if it does not come (a writer that died, a link
        that broke): two rooms that both think they write store an edit once (``log.new_part``), and a room that
        knows of no peer writes its own."""
        return all(self.token < peer.token for peer in self.peers.values() if peer.confirms)

    def backlogged(self) -> bool:
        oldest = self.pending_oldest
        if self.awaiting:
            first = next(iter(self.awaiting.values()))[0]
            oldest = first if oldest is None else min(oldest, first)
        if oldest is None:
            return False
        return (len(self.pending) + len(self.awaiting) >= MAX_UNSTORED
                or time.monotonic() - oldest > UNSTORED_SECONDS)

    async def room_for_more(self) -> None:
        """Backpressure: while the room holds more than ``UNSTORED_SECONDS`` (or ``MAX_UNSTORED`` edits) not yet
        stored, an editor's next update waits here; the consumer then reads nothing more from that socket, so the
        server stops reading it and the client keeps its edits (Yjs sends them later) instead of the worker
        holding seconds of edits that a crash would lose."""
        while self.backlogged() and not self.retired:
            self.drained.clear()
            try:
                await asyncio.wait_for(self.drained.wait(), timeout=TICK_SECONDS)
            except TimeoutError:
                pass

    def _queue(self, item: notes_log.Pending, edit_id: int | tuple[str, int] | None, at: float | None = None) -> None:
        """Queue an edit for the write loop; ``at``: when it was accepted, if earlier than now (an awaited edit)."""
        at = time.monotonic() if at is None else at
        self.pending.append(item)
        self.pending_ids.append(edit_id)
        self.pending_at.append(at)
        self.pending_oldest = at if self.pending_oldest is None else min(self.pending_oldest, at)
        self.flush.set()

    def _would_change(self, update: bytes) -> bool:
        """Whether the update holds anything the room document lacks (content or deletions), tried on a copy."""
        probe = pycrdt.Doc()
        probe.apply_update(self.doc.get_update())
        changed: list[bytes] = []
        sub = probe.observe(lambda event: changed.append(event.update))
        try:
            probe.apply_update(update)
        except Exception as exc:
            raise protocol.ProtocolError("update could not be applied") from exc
        finally:
            probe.unobserve(sub)
        return any(u != protocol.EMPTY_UPDATE for u in changed)

    def _foreign(self, conn: Connection, clients: set[int]) -> set[int]:
        """Text is attributed by Yjs client id, so a client id belongs to the first account that wrote with it;
        the ids in ``clients`` that belong to another account."""
        return {c for c in clients if self.bindings.get(c, conn.user_id) != conn.user_id}

    # --- presence ----------------------------------------------------------------------------------------
    async def receive_awareness(self, conn: Connection, payload: bytes) -> None:
        entries = protocol.parse_awareness(payload)
        accepted = []
        for entry in entries:
            known = self.awareness.get(entry.client_id)
            if known is not None and known[1] is not conn:
                continue  # someone else's presence: a client speaks only for itself
            if known is None and entry.state is not None and len(
                    [c for c, v in self.awareness.items() if v[1] is conn]) >= 4:
                continue
            if entry.state is not None:
                # Names and colours come from the account on the server, never from the client.
                entry.state["user"] = {"name": conn.name, "color": conn.colour, "province": conn.province,
                                       "role": conn.role, "id": conn.user_id}
            if known is not None and entry.clock < known[0].clock:
                continue
            self.awareness[entry.client_id] = (entry, conn, time.monotonic())
            self._snapshot_stale = True
            accepted.append(entry)
        if accepted:
            self._queue_presence(accepted, local=True)

    def _queue_presence(self, entries: list[protocol.AwarenessEntry], *, local: bool) -> None:
        """Relay presence changes as one frame per socket, at the end of this turn of the event loop or, if a
        presence frame went out less than ``PRESENCE_SECONDS`` ago, that long after it. While 40 clients joined,
        one frame per socket per joiner was about 40 % of a worker's busy time, and one per loop turn still 16 %
        of it. Departures are batched alike: when a meeting ends, 40 sockets leaving at once would otherwise send
        one frame to each remaining socket per departure."""
        if self._presence is None:
            self._presence = []
            wait = self._presence_at + PRESENCE_SECONDS - time.monotonic()
            if wait > 0:
                self.loop.call_later(wait, _flush_presence, weakref.ref(self))
            else:
                self.loop.call_soon(_flush_presence, weakref.ref(self))
        self._presence.extend(entries)
        if local:
            self._presence_local.extend(entries)

    def _flush_presence(self) -> None:
        batch, local = self._presence or [], self._presence_local
        self._presence, self._presence_local, self._presence_at = None, [], time.monotonic()

        def current(entry) -> bool:
            # Only what still stands: not an entry a later one of the same client replaced meanwhile, nor one whose
            # connection left (its removal is in the batch too; other processes must not bring it back). A removal
            # stands unless the client came back meanwhile.
            known = self.awareness.get(entry.client_id)
            if entry.state is None:
                return known is None
            return known is not None and known[0].clock == entry.clock

        # One entry per client (its latest): a client that changed twice since the last frame is sent once.
        batch = list({e.client_id: e for e in batch if current(e)}.values())
        if batch:
            frame = protocol.awareness_message(protocol.encode_awareness(batch))
            for conn in list(self.conns):
                conn.deliver(frame)
        local = list({e.client_id: e for e in local if current(e)}.values())
        if local:
            self._queue_publish({"type": "notes.awareness", "data": protocol.encode_awareness(local)})

    def awareness_snapshot(self) -> bytes | None:
        if self._snapshot_stale:
            entries = [entry for entry, _conn, _t in self.awareness.values() if entry.state is not None]
            self._snapshot = protocol.awareness_message(protocol.encode_awareness(entries)) if entries else None
            self._snapshot_stale = False
        return self._snapshot

    def _drop_presence(self, conn: Connection) -> None:
        gone = []
        for client, (entry, owner, _t) in list(self.awareness.items()):
            if owner is conn:
                gone.append(protocol.AwarenessEntry(client, entry.clock + 1, None))
                del self.awareness[client]
                self._snapshot_stale = True
        if gone:
            self._queue_presence(gone, local=True)

    # --- connections ------------------------------------------------------------------------------------
    async def add(self, conn: Connection) -> None:
        self.conns.add(conn)
        self.idle_since = None

    async def remove(self, conn: Connection) -> None:
        if conn in self.conns:
            self.conns.discard(conn)
            self._drop_presence(conn)
        if not self.conns:
            self.idle_since = time.monotonic()

    async def _close(self, conn: Connection, code: int) -> None:
        try:
            await conn.close(code)
        except Exception:  # already gone: still the room's to forget, and the others must still be told
            log.debug("closing a closed connection failed", exc_info=True)
        await self.remove(conn)

    async def _freeze(self) -> None:
        """The notes just became read-only: close every connection with CLOSE_NOTES_CLOSED and retire the room."""
        if not self.writable:
            return
        self.writable = False
        self.pending.clear()  # the log refuses them anyway
        self.pending_ids.clear()
        self.pending_at.clear()
        self.pending_oldest = None
        self.drained.set()
        self.unconfirmed.clear()
        self.awaiting.clear()
        registry.forget(self)
        for conn in list(self.conns):
            await self._close(conn, protocol.CLOSE_NOTES_CLOSED)
        if not self.retired:
            # In a task of its own: discarding cancels the room's tasks, one of which is calling us.
            self._discarding = asyncio.create_task(registry.discard(self))

    # --- the log and the other processes -----------------------------------------------------------------
    def _advance(self, seqs) -> None:
        self.seen.update(seqs)
        while self.last_seq + 1 in self.seen:
            self.last_seq += 1
            self.seen.discard(self.last_seq)
        self.seen = {s for s in self.seen if s > self.last_seq}

    async def _flush_pending(self) -> None:
        async with self.flushing:
            await self._flush_pending_locked()

    async def _flush_pending_locked(self) -> None:
        while self.pending:
            batch = self.pending[:WRITE_BATCH]
            ids = self.pending_ids[:WRITE_BATCH]
            try:
                seqs = await db(notes_log.append_updates, meeting_id=self.meeting_id, items=batch,
                                known_clients=frozenset(self.stored_clients))
            except Exception as exc:
                # The database is the source of truth: keep the batch and retry rather than drop an edit (the
                # editors are held back meanwhile, room_for_more). An outage is the process's one line
                # (database_health), any other failure one line per room until a write works again.
                if not self.store_failing:
                    self.store_failing = True
                    if is_unreachable(exc):
                        database_health.failed(exc)
                    else:
                        log.warning("storing notes of meeting %s failed (%s: %s); retrying until it works",
                                    self.meeting_id, type(exc).__name__, str(exc))
                await asyncio.sleep(0.5)
                continue
            database_health.ok()
            if self.store_failing:
                self.store_failing = False
                # Peers could not store either meanwhile: their "stored" notices come now, so the edits they relayed
                # are adopted only if those notices still do not come within ADOPT_SECONDS from here.
                now = time.monotonic()
                self.unconfirmed = {key: (now, item) for key, (_at, item) in self.unconfirmed.items()}
            del self.pending[:len(batch)]
            del self.pending_ids[:len(batch)]
            del self.pending_at[:len(batch)]
            self.pending_oldest = min(self.pending_at, default=None)
            self.drained.set()
            if seqs is None:
                await self._freeze()
                return
            self.stored_clients.update(c for item in batch for c in item.clients)
            self._advance([seq for seq in seqs if seq is not None])  # None: the log held it already
            # Peers that applied these edits from the fast path only need the numbers; the others (their
            # notes.edit was dropped, or the row was adopted) read the rows from the log. Edits stored for a peer
            # are named in "for", by their origin's token and id ("ids" holds this room's own).
            notice = {"type": "notes.stored", "seqs": seqs, "ids": [i if isinstance(i, int) else None for i in ids]}
            if any(isinstance(i, tuple) for i in ids):
                notice["for"] = [list(i) if isinstance(i, tuple) else None for i in ids]
            await self._publish(notice)

    async def _write_loop(self) -> None:
        while True:
            await self.flush.wait()
            wait = WRITE_GATHER_SECONDS - (time.monotonic() - self.last_flush)
            if wait > 0:
                await asyncio.sleep(wait)  # busy room: gather keystrokes into fewer, larger transactions
            self.flush.clear()
            self.last_flush = time.monotonic()
            await self._flush_pending()

    async def _subscribe(self) -> None:
        try:
            await layer_call(self.layer.group_add, group_name(self.meeting_id), self.channel)
        except Exception as exc:  # the room still works from the database log; the tick subscribes again
            layer_health.failed(exc)

    async def _hello(self) -> None:
        """Tell the meeting's group that this room is here (the peers answer the first time they hear of it)."""
        try:
            await layer_call(self.layer.group_send, group_name(self.meeting_id),
                             self._batch([{"type": "notes.hello"}]))
        except Exception as exc:  # the room still works from the database log; the next tick says it again
            layer_health.failed(exc)

    def _batch(self, messages: list[dict]) -> dict:
        return {"type": "notes.batch", "origin": self.token, "channel": self.channel, "link": self.link_address,
                "messages": messages}

    def _heard(self, channel: str | None, link: str | None, token: str | None = None) -> None:
        """A message came from the room on ``channel``: keep it as a peer; a new peer is answered, so that it knows
        of this room at once instead of at this room's next hello."""
        if not channel or channel == self.channel:
            return
        peer = self.peers.get(channel)
        if peer is None:
            self.peers[channel] = Peer(time.monotonic(), link, token or "")
            self._queue_publish({"type": "notes.hello"})
        else:
            peer.heard, peer.link = time.monotonic(), link
            peer.token = token or peer.token

    def _is_peer(self, token: str | None) -> bool:
        return bool(token) and any(peer.token == token for peer in self.peers.values())

    def _forget_quiet_peers(self) -> None:
        limit = time.monotonic() - PEER_SECONDS
        for channel, peer in list(self.peers.items()):
            if peer.heard < limit:
                del self.peers[channel]

    async def _publish(self, message: dict) -> None:
        """Queue a message for the other processes' rooms and return at once: an editor's frame must not wait for a
        Redis round trip (awaited per edit, publishing serialised every connection of the process behind Redis:
        seconds of latency at ten clients with two workers). The publisher sends whatever accumulated meanwhile as
        one batch, in order, so a peer still hears of an edit before its "stored" notice."""
        self._queue_publish(message)

    def _queue_publish(self, message: dict) -> None:
        if self.layer is None or not self.publishing:
            return
        self.outgoing.append(message)
        if self.publisher is None and not self._publish_soon:
            # At the end of this turn of the event loop, as _relay_local does for the local sockets: the edits read
            # from several sockets in one turn (a busy meeting) leave as one batch, which each peer decodes, applies
            # and writes to each of its sockets once, instead of once per edit.
            self._publish_soon = True
            self.loop.call_soon(_publish_now, weakref.ref(self))

    def _publish_now(self) -> None:
        self._publish_soon = False
        if self.publisher is None and self.outgoing and self.publishing:
            # Without a task while the batch can leave at once (open links); a task only when the publisher has to
            # wait (Redis, a link being opened).
            self.publisher = _start(_send_batches(self.layer, self.outgoing, weakref.ref(self)))

    async def _stop_publishing(self, timeout: float) -> None:
        """Send what is queued (waiting at most ``timeout``: Redis may be away), then stop publishing for good."""
        self._publish_now()  # a batch still only scheduled for the end of this turn leaves now
        task = self.publisher
        if task is not None:
            await asyncio.wait([task], timeout=timeout)
        self.publishing = False
        self.outgoing.clear()
        task, self.publisher = self.publisher, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await layer_call(self.layer.receive, self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                layer_health.failed(exc)
                await asyncio.sleep(1)
                continue
            layer_health.ok()
            if message.get("type") == "notes.batch":
                self._on_batch(message)
            else:  # from a service (notes.update, notes.recheck)
                await self._on_message(message)

    def _on_batch(self, message: dict) -> None:
        """A batch of another process's room, through Redis or the direct link."""
        origin = message.get("origin")
        if origin == self.token or self.retired:
            return
        self._heard(message.get("channel"), message.get("link"), origin)
        # The batch's edits go to the local sockets as one update (one frame per socket, not one per edit per
        # socket: the writes were a fifth of a busy worker's CPU).
        changes: list[bytes] = []
        for item in message.get("messages", ()):
            item["origin"] = origin
            try:
                self._take(item, changes)
            except Exception as exc:  # one message that cannot be taken must not drop the batch's others
                # Text, not the exception (see LayerHealth.failed).
                log.warning("meeting %s: a peer's %s message could not be taken\n%s", self.meeting_id,
                            item.get("type"), "".join(traceback.format_exception(exc)))
        self._relay(changes)

    async def _on_message(self, message: dict, changes: list[bytes] | None = None) -> None:
        """One message of a service or another process."""
        if message.get("type") == "notes.recheck":
            await self._recheck()
        else:
            self._take(message, changes)

    def _take(self, message: dict, changes: list[bytes] | None = None) -> None:
        """One message of another process (or a service). Document changes it makes are relayed to the local
        sockets at once, or, when ``changes`` is given, added to it for the caller to relay (``_relay``)."""
        kind = message.get("type")
        if kind == "notes.edit":
            origin = message.get("origin")
            for client in message.get("clients", ()):
                if message.get("user"):
                    self.bindings.setdefault(client, message["user"])
            item = notes_log.Pending(update=message["data"], user_id=message.get("user"),
                                     clients=frozenset(message.get("clients", ())))
            if self.writable and self._is_peer(origin) and self.writes_for_peers():
                self._queue(item, (origin, message["id"]))
            else:
                self.unconfirmed[(origin, message["id"])] = (time.monotonic(), item)
            self._apply_remote(message["data"], changes)
        elif kind == "notes.stored":
            origin = message.get("origin")
            for peer in self.peers.values():
                if peer.token == origin:
                    peer.confirms = True
            missing = False
            held = []
            released = False
            stored_for = message.get("for") or [None] * len(message["seqs"])
            for seq, edit_id, peer_edit in zip(message["seqs"], message["ids"], stored_for, strict=False):
                if peer_edit is not None:  # an edit of another room, stored by the writer on its behalf
                    peer, peer_id = peer_edit
                    if peer == self.token:
                        found = self.awaiting.pop(peer_id, None)
                        released = released or found is not None
                    else:
                        found = self.unconfirmed.pop((peer, peer_id), None)
                else:
                    found = self.unconfirmed.pop((origin, edit_id), None)
                if found is not None:
                    if seq is not None:
                        held.append(seq)
                elif seq is not None and seq > self.last_seq and seq not in self.seen:
                    missing = True
            if released:
                self.drained.set()  # editors held back on this room's own unstored edits may go on
            self._advance(held)
            if missing:
                self.catchup.set()  # a protocol.edit never came: read those rows now
        elif kind == "notes.update":
            seq = message["seq"]
            if seq <= self.last_seq or seq in self.seen:
                return
            for client in message.get("clients", ()):
                if message.get("user"):
                    self.bindings.setdefault(client, message["user"])
            self._apply_remote(message["data"], changes)
            gap = seq != self.last_seq + 1
            self._advance([seq])
            if gap:
                self.catchup.set()
        elif kind == "notes.awareness":
            # Every presence change of the peer's clients in one message, however many: not a client's frame.
            entries = protocol.parse_awareness(message["data"], max_entries=None)
            now = time.monotonic()
            changed = []
            for entry in entries:
                known = self.awareness.get(entry.client_id)
                if known is not None and (known[1] is not None or entry.clock < known[0].clock):
                    continue
                self._snapshot_stale = True
                if entry.state is None:
                    self.awareness.pop(entry.client_id, None)
                else:
                    self.awareness[entry.client_id] = (entry, None, now)
                changed.append(entry)
            if changed:
                self._queue_presence(changed, local=False)
        elif kind == "notes.bye":
            self.peers.pop(message.get("channel"), None)

    def _apply_remote(self, update: bytes, changes: list[bytes] | None = None) -> None:
        try:
            effective = self.apply(update)
        except Exception:
            log.exception("stored update of meeting %s could not be applied", self.meeting_id)
            return
        if effective is None:
            return
        if changes is None:
            self._relay([effective])
        else:
            changes.append(effective)

    def _relay(self, changes: list[bytes]) -> None:
        """Send changes of the room document that came from elsewhere to every local socket, as one update."""
        if not changes:
            return
        update = changes[0] if len(changes) == 1 else pycrdt.merge_updates(*changes)
        frame = protocol.sync_message(protocol.SYNC_UPDATE, update)
        for conn in list(self.conns):
            conn.deliver(frame)

    async def _catch_up(self) -> None:
        while True:
            rows = await db(notes_log.updates_after, meeting_id=self.meeting_id, seq=self.last_seq)
            if not rows:
                return
            stored = {data for _seq, data in rows}
            for key, (_at, item) in list(self.unconfirmed.items()):
                if item.update in stored:
                    del self.unconfirmed[key]  # its "stored" notice was dropped, but here is the row
            for edit_id, (_at, item) in list(self.awaiting.items()):
                if item.update in stored:
                    del self.awaiting[edit_id]  # the writer's notice was dropped, but it did store the edit
                    self.drained.set()
            changes: list[bytes] = []
            for seq, data in rows:
                if seq not in self.seen:
                    self._apply_remote(data, changes)
            self._relay(changes)
            self._advance([seq for seq, _ in rows])
            if len(rows) < 2000:
                return

    async def _tick_loop(self) -> None:
        # Periodic work is due by the clock, not by the number of wake-ups: a room woken early to catch up (a gap
        # in the fast path) must not re-check access or compact more often for it.
        now = time.monotonic()
        last_recheck = last_compact = last_subscribe = last_hello = now
        while True:
            try:
                await asyncio.wait_for(self.catchup.wait(), timeout=TICK_SECONDS)
            except TimeoutError:
                pass
            self.catchup.clear()
            try:
                await self._catch_up()
                now = time.monotonic()
                if now - last_recheck >= RECHECK_EVERY_TICKS * TICK_SECONDS - TICK_SLACK:
                    last_recheck = now
                    await self._recheck()
                if now - last_compact >= COMPACT_EVERY_TICKS * TICK_SECONDS - TICK_SLACK:
                    last_compact = now
                    await db(notes_log.compact, meeting_id=self.meeting_id)
                if self.layer is not None and now - last_subscribe >= GROUP_REFRESH_TICKS * TICK_SECONDS:
                    last_subscribe = now
                    await self._subscribe()
                if self.layer is not None and now - last_hello >= HELLO_TICKS * TICK_SECONDS - TICK_SLACK:
                    last_hello = now
                    self._forget_quiet_peers()
                    await self._hello()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_unreachable(exc):
                    database_health.failed(exc)  # the process's one line per outage
                elif not self.tick_failing:  # one line per failure, not one per second
                    self.tick_failing = True
                    # Text only (see LayerHealth.failed); the traceback, when it is not an outage, as text too.
                    trace = "" if isinstance(exc, (OSError, DatabaseError)) else "\n" + "".join(
                        traceback.format_exception(exc))
                    log.warning("notes room tick failed for meeting %s (%s: %s)%s", self.meeting_id,
                                type(exc).__name__, str(exc), trace)
            else:
                self.tick_failing = False
            self._retry_parked()
            self._expire_remote_presence()
            self._adopt_unconfirmed()
            self._adopt_awaiting()
            if self.idle_since is not None and time.monotonic() - self.idle_since > IDLE_SECONDS:
                await registry.discard(self)
                return

    def _adopt_unconfirmed(self, older_than: float = ADOPT_SECONDS) -> None:
        """Store peers' edits that were never confirmed stored: their process may have died before writing. Not
        while this room cannot store either (the database is away: peers cannot confirm anything meanwhile)."""
        if self.store_failing and older_than > 0:
            return
        limit = time.monotonic() - older_than
        adopted = 0
        for key, (at, item) in list(self.unconfirmed.items()):
            if at <= limit:
                del self.unconfirmed[key]
                if self.writable:
                    adopted += 1
                    self._queue(item, None)
        if adopted:  # one line per tick, not one per edit (a dead peer leaves many)
            log.info("meeting %s: storing %d edits of another process that were never confirmed stored",
                     self.meeting_id, adopted)

    def _adopt_awaiting(self, older_than: float = UNSTORED_SECONDS) -> None:
        """Store this room's own edits that the writer has not confirmed within ``older_than`` (it died, its link
        broke, the database is slow for it): the bound on unstored edits (``backlogged``) holds for them too. The
        writer's notice, if it comes later, finds the rows stored once (``log.new_part``)."""
        limit = time.monotonic() - older_than
        if self.awaiting and next(iter(self.awaiting.values()))[0] <= limit:
            # The writer does not confirm: this room stores its own edits from now on (at once, not each a second
            # late, for PEER_SECONDS until a dead writer is forgotten), until the writer's next notice.
            for peer in self.peers.values():
                if peer.token < self.token:
                    peer.confirms = False
        while self.awaiting:
            edit_id, (at, item) = next(iter(self.awaiting.items()))
            if at > limit:
                break
            del self.awaiting[edit_id]
            if self.writable:
                self._queue(item, edit_id, at)

    def _expire_remote_presence(self) -> None:
        # y-protocols clients renew their presence every 15 s; a process that died cannot say goodbye.
        limit = time.monotonic() - 35
        for client, (_entry, owner, seen) in list(self.awareness.items()):
            if owner is None and seen < limit:
                del self.awareness[client]
                self._snapshot_stale = True

    async def _recheck(self) -> None:
        conns = list(self.conns)
        if not conns:
            return  # nobody to close; a room without connections is discarded after IDLE_SECONDS anyway
        verdict = await db(selectors.notes_access_sweep, meeting_id=self.meeting_id,
                           sessions=[(c.user_id, c.session_key) for c in conns])
        for conn in conns:
            role = verdict.roles.get((conn.user_id, conn.session_key))
            if role is None:
                await self._close(conn, 4403)
            else:
                conn.role = role
        if not verdict.writable:
            await self._freeze()


def _flush_local(room_ref) -> None:
    room = room_ref()  # weakly held: a callback still queued must not keep a discarded room alive
    if room is not None:
        room._flush_local()


def _publish_now(room_ref) -> None:
    room = room_ref()
    if room is not None:
        room._publish_now()


def _batch_handler(room_ref):
    """What the link calls with a peer's batch for a room: weakly held, like the loop's callbacks."""
    def handle(message: dict) -> None:
        room = room_ref()
        if room is not None:
            room._on_batch(message)
    return handle


def _flush_presence(room_ref) -> None:
    room = room_ref()
    if room is not None:
        room._flush_presence()


async def _send_batches(layer, outgoing: list, room_ref) -> None:
    """A room's publisher: sends the room's queued messages, one message per batch to each peer — over its link,
    else on the layer — (to the meeting's group while it knows of none), until none is left, then ends (the next
    _publish starts a new one; ``_start`` runs it without a task while it need not wait). It
    holds the room only weakly, so that neither the task nor an exception it keeps (a traceback holds the frames)
    keeps a discarded room alive."""
    try:
        while outgoing:
            room = room_ref()
            if room is None:
                return
            message, group, link = room._batch(outgoing[:]), group_name(room.meeting_id), room.link
            peers = [(channel, peer.link) for channel, peer in room.peers.items()]
            del room
            outgoing.clear()
            try:
                if peers:
                    packed = None
                    for channel, address in peers:
                        if address and link is not None:
                            packed = packed or notes_link.pack(message)
                            if await link.send(address, channel, packed):
                                continue
                        await layer_call(layer.send, channel, message)
                else:
                    await layer_call(layer.group_send, group, message)
            except Exception as exc:  # dropped: the other processes read these edits from the database log
                layer_health.failed(exc)
                del exc
                await asyncio.sleep(PUBLISH_RETRY_SECONDS)  # not a connection attempt per keystroke while down
            else:
                layer_health.ok()
    finally:
        room = room_ref()
        if room is not None and room.publisher is asyncio.current_task():
            room.publisher = None
        del room


class Registry:
    """The rooms of this process, one per meeting, started on first use and dropped when idle."""

    def __init__(self):
        self.rooms: dict[int, Room] = {}
        self.locks: dict[int, asyncio.Lock] = {}

    async def join(self, meeting_id: int, conn: Connection) -> Room:
        loop = asyncio.get_running_loop()
        lock = self.locks.get(meeting_id)
        if lock is None or getattr(lock, "_hub_loop", None) is not loop:
            lock = self.locks[meeting_id] = asyncio.Lock()
            lock._hub_loop = loop
        async with lock:
            room = self.rooms.get(meeting_id)
            if room is not None and room.loop is not loop:
                room = None  # a room from an earlier event loop (tests) cannot be reused
            if room is None:
                room = Room(meeting_id)
                await room.start()
                self.rooms[meeting_id] = room
            await room.add(conn)
            return room

    def forget(self, room: Room) -> None:
        """Stop handing out ``room`` to new connections (they start a fresh one from the database)."""
        if self.rooms.get(room.meeting_id) is room:
            del self.rooms[room.meeting_id]

    async def discard(self, room: Room) -> None:
        if room.retired:
            return
        room.retired = True
        self.forget(room)
        lock = self.locks.get(room.meeting_id)
        if lock is not None and not lock.locked() and room.meeting_id not in self.rooms:
            del self.locks[room.meeting_id]  # nobody is joining: a later join makes a new one
        room._adopt_unconfirmed(older_than=0)
        room._adopt_awaiting(older_than=0)
        await room._flush_pending()
        if room.layer is not None:
            room._queue_publish({"type": "notes.bye", "channel": room.channel})
        # The last "stored" notices, so that peers need not adopt what is stored, and the goodbye; then nothing
        # more is sent.
        await room._stop_publishing(timeout=PUBLISH_DRAIN_SECONDS)
        others = [task for task in room.tasks if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        # A cancelled task keeps its CancelledError, whose traceback holds the task's frame, which holds the
        # room: room -> task -> error -> frame -> room. Only the cycle collector could free that, and it does
        # not see the native document's size (megabytes per meeting look like one object to its thresholds),
        # so discarded rooms piled up between full collections. Without the list, reference counting frees
        # the room and its document as soon as the last connection lets go.
        room.tasks.clear()
        if room.link is not None:
            room.link.unregister(room.channel)
        if room.layer is not None and room.channel:
            try:
                await room.layer.group_discard(group_name(room.meeting_id), room.channel)
            except Exception as exc:  # Redis away: the rest of the clean-up must still run, without a traceback
                layer_health.failed(exc)
        # A pycrdt document that is still observed is never freed natively, even once Python lets go of it
        # (about the size of the document lost per meeting; bench/notes_latency.py --only-soak shows the slope).
        room.doc.unobserve(room._sub)
        # The lookup threads keep their connections when the last room goes: the next meeting's first joiners
        # would otherwise each wait for a new PostgreSQL session and for the handshake statement to be prepared
        # and planned again (five custom plans per session before PostgreSQL settles on a generic one). With two
        # workers that was twice the cold handshakes of one worker for the same clients. Tests and the worker's
        # shutdown close them (close_db).

    async def store_all(self) -> None:
        """Store everything every room holds and drop the rooms (the worker is stopping)."""
        for room in list(self.rooms.values()):
            await self.discard(room)

    def get(self, meeting_id: int) -> Room | None:
        return self.rooms.get(meeting_id)


registry = Registry()
