"""A small y-websocket client on pycrdt: speaks the same protocol as the stock WebsocketProvider.

Used by the consumer tests (through a WebsocketCommunicator), the multi-process test and the benchmark (through
the ``websockets`` library). Frames are built and read with pycrdt's own y-protocols encoders and decoders
(``pycrdt._sync``), never the server's (``hub.meetings.protocol``): a test must not agree with the server only
because both share a mistake.
"""
from __future__ import annotations

import asyncio
import json

import pycrdt
from pycrdt import Decoder, YMessageType, YSyncMessageType, read_message, write_message, write_var_uint
from pycrdt._sync import create_sync_step2_message

from hub.meetings import content

EMPTY_UPDATE = b"\x00\x00"


def step1(state: bytes) -> bytes:
    return bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1]) + write_message(state)


def step2(update: bytes) -> bytes:
    return create_sync_step2_message(update)


def update_message(update: bytes) -> bytes:
    return pycrdt.create_update_message(update)


def awareness_update(entries: list[tuple[int, int, dict | None]]) -> bytes:
    """An awareness message: (client id, clock, state or None for "gone") per entry, as y-protocols encodes it."""
    out = [write_var_uint(len(entries))]
    for client, clock, state in entries:
        out += [write_var_uint(client), write_var_uint(clock), write_message(json.dumps(state).encode())]
    return pycrdt.create_awareness_message(b"".join(out))


def read_awareness(payload: bytes) -> list[tuple[int, int, dict | None]]:
    decoder = Decoder(payload)
    entries = []
    for _ in range(decoder.read_var_uint()):
        client, clock = decoder.read_var_uint(), decoder.read_var_uint()
        entries.append((client, clock, json.loads(decoder.read_message() or b"null")))
    return entries


class YClient:
    """A Yjs document plus the protocol: feed it server frames, take the frames it wants to send."""

    def __init__(self, name: str = ""):
        self.doc = pycrdt.Doc()
        self.fragment = self.doc.get(content.FRAGMENT, type=pycrdt.XmlFragment)
        self.name = name
        self.outbox: list[bytes] = []
        self.awareness: dict[int, dict | None] = {}
        self.synced = False
        self._sub = self.doc.observe(self._on_update)
        self._applying = False
        self.clock = 0

    def _on_update(self, event) -> None:
        if not self._applying and event.update != EMPTY_UPDATE:
            self.outbox.append(update_message(event.update))

    def hello(self) -> list[bytes]:
        """What WebsocketProvider sends on open: SyncStep1, then its presence."""
        return [pycrdt.create_sync_message(self.doc), self.presence({"cursor": None})]

    def presence(self, state: dict | None) -> bytes:
        self.clock += 1
        return awareness_update([(self.doc.client_id, self.clock, state)])

    def handle(self, data: bytes) -> list[bytes]:
        replies = []
        if data[0] == YMessageType.SYNC:
            kind = data[1]
            self._applying = True
            try:
                reply = pycrdt.handle_sync_message(data[1:], self.doc)
            finally:
                self._applying = False
            if reply is not None:
                replies.append(reply)
            if kind == YSyncMessageType.SYNC_STEP2:
                self.synced = True
        elif data[0] == YMessageType.AWARENESS:
            for client, _clock, state in read_awareness(read_message(data[1:])):
                self.awareness[client] = state
        return replies

    def paragraph(self, text: str) -> None:
        self.fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)]))

    def append_text(self, text: str) -> None:
        """Type at the end of the last paragraph (creating one when the document is empty)."""
        if not len(self.fragment.children):
            self.paragraph("")
        para = self.fragment.children[len(self.fragment.children) - 1]
        if not len(para.children):
            para.children.append(pycrdt.XmlText(""))
        node = para.children[0]
        node.insert(len(node), text)

    def take(self) -> list[bytes]:
        out, self.outbox = self.outbox, []
        return out

    def text(self) -> str:
        return "\n".join(content.blocks_lines(content.doc_blocks(self.doc)))


class WSClient:
    """A YClient over a real websocket (``websockets`` library), for live servers."""

    def __init__(self, url: str, *, cookie: str | None = None, origin: str | None = None, name: str = ""):
        # A browser page's origin: the server's own scheme, host and port (the hub checks all three).
        self.url, self.cookie = url, cookie
        self.origin = origin or url.replace("ws", "http", 1).rsplit("/ws/", 1)[0]
        self.y = YClient(name)
        self.ws = None
        self.reader = None
        self.received = asyncio.Event()
        self.closed_code = None
        self.on_frame = None

    async def connect(self) -> None:
        import websockets

        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await websockets.connect(self.url, additional_headers=headers, origin=self.origin,
                                           max_size=4 * 1024 * 1024, ping_interval=None)
        for frame in self.y.hello():
            await self.ws.send(frame)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import websockets

        try:
            async for data in self.ws:
                for reply in self.y.handle(data):
                    await self.ws.send(reply)
                if self.on_frame is not None:
                    self.on_frame(data)
                self.received.set()
        except websockets.ConnectionClosed as exc:
            self.closed_code = exc.rcvd.code if exc.rcvd else None
        finally:
            if self.closed_code is None and self.ws is not None and self.ws.close_code is not None:
                self.closed_code = self.ws.close_code

    async def flush(self) -> None:
        for frame in self.y.take():
            await self.ws.send(frame)

    async def type(self, text: str) -> None:
        self.y.append_text(text)
        await self.flush()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    async def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.received.clear()
            try:
                await asyncio.wait_for(self.received.wait(), timeout=min(remaining, 0.2))
            except TimeoutError:
                pass
        return True


def presence_names(client: YClient) -> set[str]:
    return {json.dumps(s.get("user", {}).get("name"), ensure_ascii=False) for s in client.awareness.values() if s}
