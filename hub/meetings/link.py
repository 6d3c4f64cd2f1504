"""Direct links between the worker processes that hold the same meeting: the rooms' fast path between processes.

Redis still carries what has no single addressee — a room's hello to the meeting's group (how rooms find each
other), services' messages (``notes.recheck``, ``notes.update``) — and everything a link cannot: a room sends its
batches straight to each peer that announced a link address in its messages, and through Redis to a peer that
announced none or whose address cannot be reached. Measured on the 2-core machine: channels-redis pub/sub spent
about 125 µs of CPU sending and 90 µs receiving each batch, and woke a third process (Redis) in between; with two
workers that was most of what the second worker added per edit.

One TCP connection per pair of processes (per direction), opened on first use. Frames are length-prefixed
msgpack, ``[length][channel length][channel][message]``, and a frame is handed to the room registered under its
channel. A link is at most once, like the channel layer: a frame lost with a dropped connection is an edit the
peer reads from the database log (``room``'s module docstring).

Who may connect: the listening side first writes its instance id (so a sender that reached the wrong process —
two machines both advertising 127.0.0.1 — hangs up and uses Redis), and the connecting side then proves it holds
the deployment's SECRET_KEY (an HMAC of it) before any frame is read; anything else is disconnected unread.
"""
from __future__ import annotations

import asyncio
import logging
import struct
import time
import uuid
from collections.abc import Callable

import msgpack
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

log = logging.getLogger("hub.notes")

HEADER = struct.Struct("!IH")  # frame length (after the header), channel length
INSTANCE_BYTES = 16
KEY_BYTES = 32
MAX_FRAME = 16 * 1024 * 1024
#: A peer that lets this much pile up unread is cut off: its rooms catch up from the log instead of the sender
#: buffering without bound.
MAX_BUFFERED = 8 * 1024 * 1024
CONNECT_SECONDS = 1.0
RETRY_SECONDS = 1.0  # after a failed connection, Redis carries that peer's batches for this long before a retry


def link_key() -> bytes:
    return salted_hmac("hub.meetings.link", "peer", algorithm="sha256").digest()


def frame(channel: str, packed_message: bytes) -> bytes:
    name = channel.encode()
    return HEADER.pack(len(name) + len(packed_message), len(name)) + name + packed_message


def pack(message: dict) -> bytes:
    return msgpack.packb(message, use_bin_type=True)


class _Inbound(asyncio.Protocol):
    """A peer's connection to this process: proves its key, then sends frames for this process's rooms."""

    def __init__(self, link: Link):
        self.link = link
        self.buffer = bytearray()
        self.trusted = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.link.instance)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        offset = 0
        if not self.trusted:
            if len(buffer) < KEY_BYTES:
                return
            if not constant_time_compare(bytes(buffer[:KEY_BYTES]), self.link.key):
                log.warning("notes link: a connection without the deployment's key was refused")
                self._drop()
                return
            self.trusted, offset = True, KEY_BYTES
        handlers = self.link.handlers
        size = len(buffer)
        while size - offset >= HEADER.size:
            length, name_length = HEADER.unpack_from(buffer, offset)
            if length > MAX_FRAME or name_length > length:
                log.warning("notes link: a malformed frame; connection dropped")
                self._drop()
                return
            end = offset + HEADER.size + length
            if end > size:
                break
            start = offset + HEADER.size
            channel = bytes(buffer[start:start + name_length]).decode(errors="replace")
            handler = handlers.get(channel)
            if handler is not None:  # a room that was discarded meanwhile: its peers forget it at its goodbye
                try:
                    message = msgpack.unpackb(buffer[start + name_length:end], raw=False)
                except Exception:  # noqa: BLE001 - a peer of the same deployment never sends this
                    log.warning("notes link: an undecodable frame; connection dropped")
                    self._drop()
                    return
                try:
                    handler(message)
                except Exception:
                    log.exception("notes link: a room failed to take a peer's batch")
            offset = end
        if offset:
            del buffer[:offset]

    def _drop(self) -> None:
        self.buffer.clear()
        if self.transport is not None:
            self.transport.abort()


class _Outbound(asyncio.Protocol):
    """This process's connection to a peer process: usable once the peer named itself as the expected one."""

    def __init__(self, link: Link, address: str, instance: bytes):
        self.link, self.address, self.expected = link, address, instance
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.ready.done():
            return  # the peer never writes after its instance id
        self.received += data
        if len(self.received) < INSTANCE_BYTES:
            return
        if bytes(self.received[:INSTANCE_BYTES]) != self.expected:
            self.ready.set_result(False)  # another process listens there now
            self.transport.abort()
            return
        self.transport.write(self.link.key)
        self.ready.set_result(True)

    def connection_lost(self, exc) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_result(False)
        self.link._lost(self)

    def write(self, data: bytes) -> bool:
        if self.closed:
            return False
        if self.transport.get_write_buffer_size() > MAX_BUFFERED:
            log.warning("notes link: peer %s stopped reading; its rooms catch up from the database", self.address)
            self.closed = True
            self.link.failed[self.address] = time.monotonic()  # Redis carries its batches for a while
            self.link._lost(self)
            self.transport.abort()
            return False
        self.transport.write(data)
        return True


class Link:
    """This process's end of the links, for one event loop: the listener, the rooms registered to receive, and
    the connections to peers (by address)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.instance = uuid.uuid4().bytes
        self.key = link_key()
        self.address: str | None = None
        self.server: asyncio.AbstractServer | None = None
        self.handlers: dict[str, Callable[[dict], None]] = {}
        self.outbound: dict[str, _Outbound] = {}
        self.connecting: dict[str, asyncio.Future] = {}
        self.failed: dict[str, float] = {}
        self._starting: asyncio.Lock = asyncio.Lock()

    async def start(self) -> str | None:
        """Listen (once); this process's address for its rooms to announce, or None when links are off or the
        listener cannot be opened (then Redis carries everything)."""
        host = getattr(settings, "HUB_NOTES_LINK_HOST", "")
        if not host:
            return None
        async with self._starting:
            if self.server is None:
                try:
                    self.server = await self.loop.create_server(lambda: _Inbound(self), host, 0)
                except OSError as exc:
                    log.warning("notes link: cannot listen on %s (%s); rooms use Redis only", host, exc)
                    self.server = None
                    return None
                port = self.server.sockets[0].getsockname()[1]
                self.address = f"{host}:{port}/{self.instance.hex()}"
        return self.address

    def register(self, channel: str, handler: Callable[[dict], None]) -> None:
        self.handlers[channel] = handler

    def unregister(self, channel: str | None) -> None:
        self.handlers.pop(channel, None)

    async def send(self, address: str, channel: str, packed_message: bytes) -> bool:
        """Write one frame to the peer at ``address``; False when it cannot go that way (the caller uses Redis)."""
        out = self.outbound.get(address)
        if out is None:
            out = await self._connect(address)
            if out is None:
                return False
        return out.write(frame(channel, packed_message))

    async def _connect(self, address: str) -> _Outbound | None:
        if time.monotonic() - self.failed.get(address, -RETRY_SECONDS) < RETRY_SECONDS:
            return None
        pending = self.connecting.get(address)
        if pending is None:
            pending = self.connecting[address] = self.loop.create_future()
            try:
                out = await self._open(address)
            finally:
                del self.connecting[address]
            if out is None:
                self.failed[address] = time.monotonic()
            else:
                self.failed.pop(address, None)
                self.outbound[address] = out
            pending.set_result(out)
            return out
        return await asyncio.shield(pending)

    async def _open(self, address: str) -> _Outbound | None:
        out = None
        try:
            where, instance = address.rsplit("/", 1)
            host, port = where.rsplit(":", 1)
            expected = bytes.fromhex(instance)
            _transport, out = await asyncio.wait_for(
                self.loop.create_connection(lambda: _Outbound(self, address, expected), host, int(port)),
                CONNECT_SECONDS)
            if await asyncio.wait_for(asyncio.shield(out.ready), CONNECT_SECONDS):
                return out
        except (OSError, ValueError, TimeoutError):
            pass
        if out is not None:
            out.transport.abort()
        return None

    def _lost(self, out: _Outbound) -> None:
        if self.outbound.get(out.address) is out:
            del self.outbound[out.address]

    async def close(self) -> None:
        for out in list(self.outbound.values()):
            out.transport.abort()
        self.outbound.clear()
        self.handlers.clear()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


_links: dict[asyncio.AbstractEventLoop, Link] = {}


def link() -> Link:
    """The running loop's link (a worker has one loop; the tests one per test)."""
    loop = asyncio.get_running_loop()
    found = _links.get(loop)
    if found is None:
        for old in [old for old in _links if old.is_closed()]:
            del _links[old]
        found = _links[loop] = Link(loop)
    return found


async def close_link() -> None:
    found = _links.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()
