"""Two ASGI server processes sharing PostgreSQL and Redis serve one meeting: real y-websocket clients converge,
a late joiner loads the document from the server alone, and killing a process loses no edit."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from hub.meetings import notes
from hub.models import Participant
from tests.conftest import make_user
from tests.hub.meetings.factories import MeetingFactory
from tests.hub.meetings.ywsclient import WSClient

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hub.settings", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
           "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "REDIS_URL": os.environ["REDIS_URL"]}
    command = [sys.executable, "-m", "hub.worker", "--port", str(port)]  # the production worker
    # The log goes to a file: a pipe nobody reads would fill up and block the server.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    return proc


def server_log(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")[-2000:]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, server_log(proc)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"server on port {port} did not start")


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def stored_text(meeting_id: int) -> str:
    doc, _ = notes.build_doc(meeting_id)
    return "\n".join(notes.blocks_lines(notes.doc_blocks(doc)))


@pytest.fixture
def servers():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    assert os.environ.get("REDIS_URL"), "this test needs REDIS_URL"
    ports = [free_port(), free_port()]
    procs = [start_server(p) for p in ports]
    try:
        for port, proc in zip(ports, procs, strict=False):
            wait_ready(port, proc, timeout=120)  # a loaded machine takes long to import Django and Wagtail
        yield list(zip(ports, procs, strict=False))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def test_two_processes_converge_load_late_joiners_and_lose_nothing_when_one_dies(servers):
    (port1, proc1), (port2, _proc2) = servers
    meeting = MeetingFactory()
    users = [make_user(province_code=code, role="member") for code in ("SH", "ZJ", "JS")]
    for user in users:
        Participant.objects.create(meeting=meeting, user=user, role="editor")
    cookies = [session_cookie(u) for u in users]

    def url(port):
        return f"ws://127.0.0.1:{port}/ws/notes/{meeting.pk}"


    async def scenario():
        a = WSClient(url(port1), cookie=cookies[0])
        b = WSClient(url(port2), cookie=cookies[1])
        await a.connect()
        await b.connect()
        # Convergence across processes: each types on its own server.
        for i in range(20):
            await a.type(f"甲{i}")
            await b.type(f"乙{i}")
        assert await a.wait_for(lambda: all(f"乙{i}" in a.y.text() for i in range(20)), 15)
        assert await b.wait_for(lambda: all(f"甲{i}" in b.y.text() for i in range(20)), 15)
        assert await a.wait_for(lambda: a.y.text() == b.y.text(), 10)
        converged = a.y.text()

        # Presence crosses processes too: a's cursor reaches b with a's name from the server, and a's leaving
        # removes it there.
        cursor = {"anchor": 3, "head": 5}
        await a.ws.send(a.y.presence({"cursor": cursor}))
        assert await b.wait_for(lambda: (b.y.awareness.get(a.y.doc.client_id) or {}).get("cursor") == cursor, 10)
        assert b.y.awareness[a.y.doc.client_id]["user"]["id"] == users[0].pk

        # A late joiner, alone with the server: everybody else has left.
        await a.close()
        assert await b.wait_for(lambda: a.y.doc.client_id in b.y.awareness
                                and b.y.awareness[a.y.doc.client_id] is None, 10)
        await b.close()
        late = WSClient(url(port2), cookie=cookies[2])
        await late.connect()
        assert await late.wait_for(lambda: late.y.text() == converged, 10)
        await late.close()

        # Kill a process right after its client typed; the client reconnects to the other process.
        a = WSClient(url(port1), cookie=cookies[0])
        watcher = WSClient(url(port2), cookie=cookies[1])
        await a.connect()
        await watcher.connect()
        assert await a.wait_for(lambda: a.y.text() == converged, 10)
        for i in range(30):
            await a.type(f"丙{i}")
        proc1.kill()
        proc1.wait()
        await a.close()
        again = WSClient(url(port2), cookie=cookies[0])
        again.y = a.y  # the browser keeps its document and re-syncs with whichever server it reaches
        await again.connect()
        expected = a.y.text()
        assert all(f"丙{i}" in expected for i in range(30))
        assert await watcher.wait_for(lambda: watcher.y.text() == expected, 15)
        await again.close()
        await watcher.close()
        return expected

    expected = asyncio.run(scenario())
    deadline = time.monotonic() + 10
    while stored_text(meeting.pk) != expected and time.monotonic() < deadline:
        time.sleep(0.3)
    assert stored_text(meeting.pk) == expected


def test_a_worker_told_to_stop_stores_every_edit_it_received_before_exiting():
    """SIGTERM right after the edits reached the worker (a second client saw them all): nothing is lost, with
    no other process and no client left to hand anything back."""
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL pointing at PostgreSQL"
    meeting = MeetingFactory()
    users = [make_user(province_code=code, role="member") for code in ("SH", "ZJ")]
    for user in users:
        Participant.objects.create(meeting=meeting, user=user, role="editor")
    cookies = [session_cookie(u) for u in users]
    port = free_port()
    proc = start_server(port)
    try:
        wait_ready(port, proc, timeout=120)  # a loaded machine takes long to import Django and Wagtail
        url = f"ws://127.0.0.1:{port}/ws/notes/{meeting.pk}"

        async def scenario():
            writer, witness = WSClient(url, cookie=cookies[0]), WSClient(url, cookie=cookies[1])
            await writer.connect()
            await witness.connect()
            for i in range(200):
                await writer.type(f"<{i}>")
            assert await witness.wait_for(lambda: "<199>" in witness.y.text(), 20)  # all of it reached the worker
            proc.send_signal(signal.SIGTERM)
            expected = writer.y.text()
            # The clients never reconnect: what is stored is what the worker stored.
            await asyncio.gather(writer.close(), witness.close(), return_exceptions=True)
            return expected

        expected = asyncio.run(scenario())
        assert proc.wait(timeout=30) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stored_text(meeting.pk) == expected
