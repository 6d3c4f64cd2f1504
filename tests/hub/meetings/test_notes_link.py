"""The direct link between worker processes (hub/meetings/link.py): two ``Link`` objects in one event loop stand
for two processes, each with its own listener on a real TCP port."""
import asyncio
import socket

import pytest

from hub.meetings import link as link_module
from hub.meetings.link import Link, pack


@pytest.fixture
def link_host(settings):
    settings.HUB_NOTES_LINK_HOST = "127.0.0.1"


async def until(predicate, seconds=5.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


async def two_links():
    loop = asyncio.get_running_loop()
    a, b = Link(loop), Link(loop)
    assert await a.start() and await b.start()
    return a, b


def raw_connection(address: str) -> tuple[socket.socket, bytes]:
    """A plain socket to a link's listener, and the instance id the listener writes first."""
    host, port = address.split("/")[0].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5)
    instance = b""
    while len(instance) < link_module.INSTANCE_BYTES:
        instance += sock.recv(link_module.INSTANCE_BYTES - len(instance))
    return sock, instance


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


async def test_a_batch_reaches_the_room_registered_under_its_channel_in_order(link_host):
    a, b = await two_links()
    got, other = [], []
    b.register("notes-room.1", got.append)
    b.register("notes-room.2", other.append)
    try:
        messages = [{"type": "notes.batch", "messages": [{"type": "notes.edit", "id": k, "data": bytes([k]) * 3}]}
                    for k in range(50)]
        for message in messages:
            assert await a.send(b.address, "notes-room.1", pack(message))
        assert await until(lambda: len(got) == 50)
        assert got == messages  # bytes stay bytes, order is kept
        assert other == []
        b.unregister("notes-room.1")
        assert await a.send(b.address, "notes-room.1", pack({"type": "late"}))  # nobody there: dropped
        assert await a.send(b.address, "notes-room.2", pack({"type": "witness"}))
        assert await until(lambda: other == [{"type": "witness"}])
        assert len(got) == 50
        assert len(a.outbound) == 1  # one connection per peer process, whatever the number of rooms
    finally:
        await a.close()
        await b.close()


async def test_a_connection_without_the_deployments_key_is_dropped_unread(link_host):
    a, b = await two_links()
    got = []
    b.register("notes-room.1", got.append)
    try:
        sock, instance = await asyncio.to_thread(raw_connection, b.address)
        assert instance == b.instance
        forged = link_module.frame("notes-room.1", pack({"type": "notes.batch", "forged": True}))
        sock.sendall(b"\0" * link_module.KEY_BYTES + forged)
        assert await asyncio.to_thread(closed_by_peer, sock)
        sock.close()
        # The witness: a frame from a process that holds the key, sent after the forged one, arrives alone.
        assert await a.send(b.address, "notes-room.1", pack({"type": "witness"}))
        assert await until(lambda: got)
        assert got == [{"type": "witness"}]
    finally:
        await a.close()
        await b.close()


async def test_a_malformed_or_oversized_frame_drops_the_connection(link_host):
    _a, b = await two_links()
    got = []
    b.register("notes-room.1", got.append)
    try:
        for bad in (link_module.HEADER.pack(link_module.MAX_FRAME + 1, 5),  # larger than any batch
                    link_module.HEADER.pack(3, 9) + b"abc",  # a channel longer than its frame
                    link_module.frame("notes-room.1", b"\xc1")):  # not msgpack
            sock, _instance = await asyncio.to_thread(raw_connection, b.address)
            sock.sendall(b.key + bad)
            assert await asyncio.to_thread(closed_by_peer, sock)
            sock.close()
        assert got == []
    finally:
        await _a.close()
        await b.close()


async def test_a_sender_that_reaches_another_process_uses_redis_instead(link_host):
    """Two machines both announcing 127.0.0.1 (a misconfiguration): the process listening at the address is not
    the one that announced it, so the sender hangs up and, for a while, does not try again."""
    a, b = await two_links()
    got = []
    b.register("notes-room.1", got.append)
    try:
        elsewhere = b.address.split("/")[0] + "/" + "00" * link_module.INSTANCE_BYTES
        assert not await a.send(elsewhere, "notes-room.1", pack({"type": "x"}))
        assert elsewhere in a.failed and elsewhere not in a.outbound
        assert not await a.send(elsewhere, "notes-room.1", pack({"type": "x"}))  # no new attempt meanwhile
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        nobody = f"127.0.0.1:{closed.getsockname()[1]}/{'11' * link_module.INSTANCE_BYTES}"
        closed.close()
        assert not await a.send(nobody, "notes-room.1", pack({"type": "x"}))
        assert await a.send(b.address, "notes-room.1", pack({"type": "witness"}))
        assert await until(lambda: got)
        assert got == [{"type": "witness"}]
    finally:
        await a.close()
        await b.close()


async def test_a_peer_that_stops_reading_is_cut_off(link_host, monkeypatch):
    a = Link(asyncio.get_running_loop())
    accepted: list[asyncio.StreamWriter] = []

    async def never_reads(reader, writer):  # says the expected instance id, then never reads again
        writer.write(b"\x07" * link_module.INSTANCE_BYTES)
        accepted.append(writer)

    server = await asyncio.start_server(never_reads, "127.0.0.1", 0, limit=1024)
    address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}/{'07' * link_module.INSTANCE_BYTES}"
    monkeypatch.setattr(link_module, "MAX_BUFFERED", 256 * 1024)
    try:
        payload = pack({"type": "notes.batch", "data": b"x" * 64 * 1024})
        results = [await a.send(address, "notes-room.1", payload) for _ in range(2000)]  # up to 128 MiB
        assert results[0] is True
        assert False in results  # cut off once the kernel's buffers and ours are full
        assert await until(lambda: address not in a.outbound)
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await a.close()


async def test_links_are_off_without_a_host(settings):
    settings.HUB_NOTES_LINK_HOST = ""
    link = Link(asyncio.get_running_loop())
    assert await link.start() is None
    assert link.server is None
