"""Live-notes benchmark: this hub's y-websocket endpoint against the reference y-websocket@1.5 Node server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_notes REDIS_URL=redis://127.0.0.1:6379/6 \
        python bench/notes_latency.py [--sizes 2,5,10,20,40] [--seconds 5] [--rounds 3] [--rate 4] [--soak-minutes 20]
        [--only-soak] [--meeting-minutes 4]

Needs PostgreSQL and Redis (two processes share them), Node with ``npm ci`` done (the reference server is
node_modules/y-websocket/bin/server.js). It creates and migrates a scratch database ``<DATABASE name>_bench``.

For each N, N pycrdt clients join one meeting and each appends an edit every 1/rate seconds (jittered) for the
given time, in several rounds in which the servers take turns; every edit's propagation latency to each of the
other N-1 clients is recorded, and an edit some client never received within the drain time counts as lost. Servers measured in the same run: the hub with one process
(its embedded in-memory channel layer), the hub with two processes behind Redis (clients split between them),
and the reference server. Then: the time for a late joiner to load a meeting of tens of thousands of stored edits,
server memory per open connection, and (optional, ``--soak-minutes``) the RSS slope of a soak in which meetings
start, run ``--meeting-minutes`` with people joining and leaving, end, and are replaced by new ones: each document
stays bounded, so a rising slope is memory the server keeps after a meeting is over.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
#: What the pycrdt clients offer in the handshake: None (no compression), or "deflate" (permessage-deflate, as
#: browsers and Node's ``ws`` offer by default; ``--offer-deflate``).
COMPRESSION = None
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")


def scratch_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (the bench creates <name>_bench there)")
    parsed = urlparse(url)
    return parsed._replace(path=parsed.path.rstrip("/") + "_bench").geturl()


def prepare_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.path[1:]]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.path[1:]}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}: {Path(log).read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"port {port} never opened")


class Server:
    def __init__(self, kind: str, env: dict):
        self.kind = kind
        self.port = free_port()
        if kind == "reference":
            cmd = ["node", "node_modules/y-websocket/bin/server.js"]
            env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        else:
            cmd = [sys.executable, "-m", "hub.worker", "--port", str(self.port)]  # as production runs it
        # The server's log goes to a file: a pipe nobody reads fills up and then blocks the server.
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{kind}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.proc, self.log.name)

    def url(self, room: str) -> str:
        if self.kind == "reference":
            return f"ws://127.0.0.1:{self.port}/{room}"
        return f"ws://127.0.0.1:{self.port}/ws/notes/{room}"

    def cpu_seconds(self) -> float:
        import psutil

        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.proc.pid).memory_info().rss / 2**20

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- clients -----------------------------------------------------------------------------------------------
class BenchClient:
    """A pycrdt y-websocket client that appends tagged edits to an array and timestamps the ones it receives."""

    def __init__(self, index: int, url: str, cookie: str | None, sent: dict, received: dict):
        import pycrdt

        self.index, self.url, self.cookie = index, url, cookie
        self.doc = pycrdt.Doc()
        self.edits = self.doc.get("edits", type=pycrdt.Array)
        self.sent, self.received = sent, received
        self.outbox: list[bytes] = []
        self.ws = None
        self.applying = False
        self.synced = asyncio.Event()
        self._subs = [self.doc.observe(self._on_update), self.edits.observe(self._on_edits)]

    def _on_update(self, event) -> None:
        from hub.meetings import notes

        if not self.applying and event.update != notes.EMPTY_UPDATE:
            self.outbox.append(notes.sync_message(notes.SYNC_UPDATE, event.update))

    def _on_edits(self, event) -> None:
        now = time.perf_counter()
        for op in event.delta:
            for tag in op.get("insert", ()):
                if isinstance(tag, str) and not tag.startswith(f"{self.index}:"):
                    self.received.setdefault(tag, {})[self.index] = now

    async def connect(self) -> None:
        import websockets

        from hub.meetings import notes

        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await websockets.connect(self.url, additional_headers=headers,
                                           origin=self.url.replace("ws", "http", 1).rsplit("/ws/", 1)[0],
                                           max_size=64 * 2**20, ping_interval=None, compression=COMPRESSION)
        await self.ws.send(notes.sync_message(notes.SYNC_STEP1, self.doc.get_state()))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import websockets

        from hub.meetings import notes

        try:
            async for data in self.ws:
                frame = notes.parse_frame(data)
                if frame.kind != notes.MSG_SYNC:
                    continue
                if frame.sync == notes.SYNC_STEP1:
                    await self.ws.send(notes.sync_message(notes.SYNC_STEP2, self.doc.get_update(frame.payload)))
                    continue
                self.applying = True
                try:
                    self.doc.apply_update(frame.payload)
                finally:
                    self.applying = False
                if frame.sync == notes.SYNC_STEP2:
                    self.synced.set()
        except websockets.ConnectionClosed:
            pass

    async def edit(self, n: int, *, replace: bool = False) -> None:
        """Append a tagged edit; with ``replace``, also delete this client's previous one (typing and
        correcting, so the document stays the same size and only the server's own memory can grow)."""
        tag = f"{self.index}:{n}"
        with self.doc.transaction():
            if replace and n:
                previous = f"{self.index}:{n - 1}"
                for i, value in enumerate(self.edits):
                    if value == previous:
                        del self.edits[i]
                        break
            self.edits.append(tag)
        self.sent[tag] = time.perf_counter()
        frames, self.outbox = self.outbox, []
        for frame in frames:
            await self.ws.send(frame)

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def run_typing(servers: list[Server], room: str, cookies: list[str | None], n: int, seconds: float,
                     rate: float, drain: float = 5.0) -> dict:
    sent, received = {}, {}
    clients = [BenchClient(i, servers[i % len(servers)].url(room), cookies[i], sent, received) for i in range(n)]
    for c in clients:
        await c.connect()
    await asyncio.gather(*(asyncio.wait_for(c.synced.wait(), 30) for c in clients))
    await asyncio.sleep(0.5)
    cpu_before = sum(s.cpu_seconds() for s in servers)

    async def typist(c: BenchClient):
        rng = random.Random(c.index)
        await asyncio.sleep(rng.random() / rate)
        end = time.perf_counter() + seconds
        k = 0
        while time.perf_counter() < end:
            await c.edit(k)
            k += 1
            await asyncio.sleep(rng.uniform(0.5, 1.5) / rate)

    await asyncio.gather(*(typist(c) for c in clients))
    expected = len(sent) * (n - 1)
    deadline = time.perf_counter() + drain
    while time.perf_counter() < deadline and sum(len(v) for v in received.values()) < expected:
        await asyncio.sleep(0.05)
    cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
    latencies = [(t - sent[tag]) * 1000 for tag, seen in received.items() for t in seen.values()]
    lost = expected - len(latencies)
    for c in clients:
        await c.close()
    return {"edits": len(sent), "latencies": latencies, "lost": lost, "deliveries": expected, "cpu": cpu}


def pooled(rounds: list[dict]) -> dict:
    """Several interleaved rounds of one server: percentiles over all their latencies, totals of the rest."""
    latencies = [x for r in rounds for x in r["latencies"]]
    deliveries = sum(r["deliveries"] for r in rounds)
    return {"edits": sum(r["edits"] for r in rounds), "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "lost": sum(r["lost"] for r in rounds),
            "cpu_us": sum(r["cpu"] for r in rounds) / deliveries * 1e6 if deliveries else float("nan")}


# --- hub fixtures in the scratch database --------------------------------------------------------------------
def hub_setup(n_users: int):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from hub.models import Meeting, Participant, Province
    from hub.services.provisioning import setup_roundtable

    if not Province.objects.exists():
        raise SystemExit("scratch database has no provinces (migrations incomplete)")
    setup_roundtable()
    User = get_user_model()
    users = []
    for i in range(n_users):
        user, created = User.objects.get_or_create(username=f"bench-{i}", defaults={"first_name": f"测试{i}"})
        users.append(user)
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")

    def new_meeting() -> str:
        from django.utils import timezone

        meeting = Meeting.objects.create(title="基准测试会议", host=Province.objects.get(code="SH"),
                                         starts_at=timezone.now(), status=Meeting.Status.LIVE)
        Participant.objects.bulk_create([Participant(meeting=meeting, user=u, role="editor") for u in users])
        return str(meeting.pk)

    return cookies, new_meeting


def long_meeting(new_meeting, edits: int) -> tuple[str, bytes]:
    """A meeting whose log holds ``edits`` single-keystroke updates (no snapshot), like a long live meeting."""
    import pycrdt

    from hub.models import NoteUpdate

    room = new_meeting()
    doc = pycrdt.Doc()
    fragment = doc.get("default", type=pycrdt.XmlFragment)
    updates = []
    doc.observe(lambda e: updates.append(e.update))
    para = fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText("")]))
    text = para.children[0]
    rng = random.Random(7)
    for i in range(edits - 1):
        if i % 200 == 199:
            para = fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText("")]))
            text = para.children[0]
        elif rng.random() < 0.08:
            text.insert(0, "·")  # an edit earlier in the paragraph, not only appends
        else:
            text.insert(len(text), rng.choice("长三角质量协会圆桌会议记录成果标准专家"))
    rows = [NoteUpdate(meeting_id=int(room), seq=i + 1, data=u) for i, u in enumerate(updates)]
    NoteUpdate.objects.bulk_create(rows, batch_size=2000)
    from hub.models import Meeting

    Meeting.objects.filter(pk=int(room)).update(last_seq=len(rows))
    return room, doc.get_update()


async def time_late_join(url: str, cookie: str | None, expected_state: bytes) -> float:
    import pycrdt

    expected = pycrdt.Doc()
    expected.apply_update(expected_state)
    client = BenchClient(999, url, cookie, {}, {})
    start = time.perf_counter()
    await client.connect()
    await asyncio.wait_for(client.synced.wait(), 120)
    elapsed = time.perf_counter() - start
    ok = client.doc.get_state() == expected.get_state()
    await client.close()
    if not ok:
        raise SystemExit("late joiner did not receive the whole document")
    return elapsed


async def push_document(url: str, state: bytes) -> None:
    """Load the reference server's in-memory room the only way it has: a client sends the document."""
    client = BenchClient(998, url, None, {}, {})
    await client.connect()
    await asyncio.wait_for(client.synced.wait(), 30)
    client.applying = True
    client.doc.apply_update(state)
    client.applying = False
    from hub.meetings import notes

    await client.ws.send(notes.sync_message(notes.SYNC_UPDATE, state))
    await asyncio.sleep(1.0)
    await client.close()


async def rss_per_connection(server: Server, room: str, cookies: list[str | None], count: int) -> float:
    import websockets

    holder = BenchClient(997, server.url(room), cookies[0], {}, {})
    await holder.connect()
    await asyncio.wait_for(holder.synced.wait(), 30)
    await asyncio.sleep(1)
    before = server.rss_mb()
    sockets = []
    for i in range(count):
        headers = {"Cookie": cookies[i % len(cookies)]} if cookies[0] else {}
        sockets.append(await websockets.connect(server.url(room), additional_headers=headers,
                                                origin=server.url(room).replace("ws", "http", 1).rsplit("/ws/", 1)[0],
                                                ping_interval=None))
    await asyncio.sleep(2)
    after = server.rss_mb()
    for ws in sockets:
        await ws.close()
    await holder.close()
    return (after - before) * 1024 / count


async def soak(servers: list[Server], rooms: list[str], cookies, minutes: float,
               meeting_minutes: float = 4.0) -> tuple[float, list]:
    """5 meetings at a time × 5 editors typing, one person leaving and another joining every few seconds; each
    meeting ends after ``meeting_minutes`` (everyone leaves) and a new one begins in its place, as on a real server
    over a day. A meeting's document only grows while it runs, so what the RSS slope measures is memory the server
    keeps after meetings and connections are gone. Returns (MB per hour, samples)."""
    rng = random.Random(3)
    samples = []
    sent, received = {}, {}
    fresh_rooms = iter(rooms)
    counter = iter(range(10**9))
    slots = []  # per meeting slot: {"room", "ends", "clients"}

    async def join(slot, k):
        i = next(counter)
        c = BenchClient(i, servers[i % len(servers)].url(slot["room"]), cookies[i % len(cookies)], sent, received)
        await c.connect()
        c.joined_at = k
        slot["clients"].append(c)

    async def open_meeting(slot, k, length):
        slot.update(room=next(fresh_rooms), ends=time.monotonic() + length, clients=[])
        for _ in range(5):
            await join(slot, k)

    start = time.monotonic()
    for index in range(5):  # staggered, so one meeting ends at a time
        slots.append({})
        await open_meeting(slots[-1], 0, meeting_minutes * 60 * (index + 1) / 5)
    end = start + minutes * 60
    next_sample = start
    k = 0
    while time.monotonic() < end:
        for slot in slots:
            if time.monotonic() >= slot["ends"]:
                for c in slot["clients"]:
                    await c.close()
                await open_meeting(slot, k, meeting_minutes * 60)
            for c in slot["clients"]:
                await c.edit(k - c.joined_at, replace=True)
        k += 1
        if k % 10 == 0:
            slot = rng.choice(slots)
            leaving = slot["clients"].pop(rng.randrange(len(slot["clients"])))
            await leaving.close()
            await join(slot, k)
        if time.monotonic() >= next_sample:
            samples.append((time.monotonic() - start, sum(s.rss_mb() for s in servers)))
            next_sample += 30
        sent.clear()
        received.clear()
        await asyncio.sleep(0.5)
    for slot in slots:
        for c in slot["clients"]:
            await c.close()
    # Least-squares slope after the warm-up (the first meetings of every slot).
    points = [(t, m) for t, m in samples if t >= min(meeting_minutes * 60, minutes * 15)] or samples
    return slope_per_hour(points), samples


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    if len(points) < 2:
        return float("nan")
    mean_t = statistics.fmean(t for t, _ in points)
    mean_m = statistics.fmean(m for _, m in points)
    return 3600 * sum((t - mean_t) * (m - mean_m) for t, m in points) / sum((t - mean_t) ** 2 for t, _ in points)


def soak_rooms(new_meeting, minutes: float, meeting_minutes: float) -> list[str]:
    """Enough meetings for the soak: 5 slots, each renewed every ``meeting_minutes``."""
    return [new_meeting() for _ in range(5 * (int(minutes / meeting_minutes) + 3))]


def print_soak(args, name: str, slope: float, samples: list) -> None:
    print(f"soak {args.soak_minutes:g} min, 5 meetings at a time × 5 editors ({args.meeting_minutes:g}-minute "
          f"meetings, people joining and leaving), {name}: RSS slope {slope:+.1f} MB/hour")
    # A leak grows at the same rate all along; warm-up (allocator pools, caches) levels off. The second half
    # tells them apart.
    print(f"  second half of the run alone: {slope_per_hour(samples[len(samples) // 2:]):+.1f} MB/hour")
    print("  RSS, MB, every 30 s: " + " ".join(f"{m:.1f}" for _, m in samples))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="2,5,10,20,40")
    parser.add_argument("--seconds", type=float, default=5.0, help="typing time of one round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per size; the servers take turns, so a burst of machine noise hits them alike")
    parser.add_argument("--rate", type=float, default=4.0, help="edits per second per client")
    parser.add_argument("--late-edits", type=int, default=30000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--soak-minutes", type=float, default=0.0)
    parser.add_argument("--meeting-minutes", type=float, default=4.0,
                        help="length of one soak meeting; a new one replaces it when it ends")
    parser.add_argument("--only-soak", action="store_true", help="skip the latency, late-join and memory runs")
    parser.add_argument("--only-latency", action="store_true", help="skip the late-join and memory runs")
    parser.add_argument("--offer-deflate", action="store_true",
                        help="clients offer permessage-deflate, as browsers and Node's ws do")
    args = parser.parse_args()
    global COMPRESSION
    COMPRESSION = "deflate" if args.offer_deflate else None
    sizes = [int(s) for s in args.sizes.split(",")]
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("set REDIS_URL (the two-process run shares it)")

    url = scratch_database_url()
    prepare_database(url)
    os.environ["DATABASE_URL"] = url
    base_env = {**os.environ, "DATABASE_URL": url, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_DEBUG": "0"}
    one_env = {k: v for k, v in base_env.items() if k != "REDIS_URL"}
    cookies, new_meeting = hub_setup(max(sizes + [5]))

    one = Server("hub", one_env)
    two = [Server("hub", base_env), Server("hub", base_env)]
    reference = Server("reference", {**os.environ})
    setups = {"hub, 1 process": [one], "hub, 2 processes + Redis": two, "reference y-websocket": [reference]}
    print(f"typing: {args.rate:g} edits/s per client, {args.rounds} rounds of {args.seconds:g} s per server, servers "
          "taking turns; latency = send → seen by each other client; CPU = server CPU time per delivered edit")
    print(f"{'N':>3}  {'server':<26} {'edits':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'lost':>5} "
          f"{'CPU µs':>7}  {'p50 vs ref':>10} {'p95 vs ref':>10}")
    try:
        for n in ([] if args.only_soak else sizes):
            rounds = {name: [] for name in setups}
            for k in range(args.rounds):
                names = list(setups)
                for name in names[k % len(names):] + names[:k % len(names)]:
                    servers = setups[name]
                    room = new_meeting() if name != "reference y-websocket" else f"bench-{n}-{time.time_ns()}"
                    room_cookies = cookies if name != "reference y-websocket" else [None] * len(cookies)
                    rounds[name].append(asyncio.run(run_typing(servers, room, room_cookies, n, args.seconds,
                                                               args.rate)))
            results = {name: pooled(r) for name, r in rounds.items()}
            ref = results["reference y-websocket"]
            for name, r in results.items():
                print(f"{n:>3}  {name:<26} {r['edits']:>6} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} "
                      f"{r['lost']:>5} {r['cpu_us']:>7.0f}  {r['p50'] / ref['p50']:>9.2f}x {r['p95'] / ref['p95']:>9.2f}x")

        if args.only_soak:
            hub_rooms = soak_rooms(new_meeting, args.soak_minutes, args.meeting_minutes)
            ref_rooms = [f"soak-{i}-{time.time_ns()}" for i in range(len(hub_rooms))]

            async def both():
                return await asyncio.gather(
                    soak(two, hub_rooms, cookies, args.soak_minutes, args.meeting_minutes),
                    soak([reference], ref_rooms, [None], args.soak_minutes, args.meeting_minutes))

            (hub_slope, hub_samples), (ref_slope, ref_samples) = asyncio.run(both())
            print_soak(args, "hub, 2 processes + Redis", hub_slope, hub_samples)
            print_soak(args, "reference y-websocket", ref_slope, ref_samples)
            return
        if args.only_latency:
            return
        room, state = long_meeting(new_meeting, args.late_edits)
        cold = asyncio.run(time_late_join(one.url(room), cookies[0], state))
        warm = asyncio.run(time_late_join(one.url(room), cookies[1], state))
        time.sleep(14)  # the idle room is dropped; the next joiner loads it again, now from the snapshot
        snap = asyncio.run(time_late_join(one.url(room), cookies[2], state))
        ref_room = f"late-{time.time_ns()}"
        asyncio.run(push_document(reference.url(ref_room), state))
        ref_warm = asyncio.run(time_late_join(reference.url(ref_room), None, state))
        print(f"\nlate joiner, {args.late_edits} stored edits ({len(state) / 1024:.0f} KiB document):")
        print(f"  hub, room loaded by replaying the log: {cold * 1000:.0f} ms; loaded from the snapshot that replay "
              f"left: {snap * 1000:.0f} ms; room already open: {warm * 1000:.0f} ms; reference (in memory): "
              f"{ref_warm * 1000:.0f} ms")

        hub_kb = asyncio.run(rss_per_connection(one, new_meeting(), cookies, args.connections))
        ref_kb = asyncio.run(rss_per_connection(reference, f"mem-{time.time_ns()}", [None], args.connections))
        print(f"\nserver RSS per open connection ({args.connections} idle connections): hub {hub_kb:.0f} KiB, "
              f"reference {ref_kb:.0f} KiB")

        if args.soak_minutes:
            rooms = soak_rooms(new_meeting, args.soak_minutes, args.meeting_minutes)
            slope, samples = asyncio.run(soak(two, rooms, cookies, args.soak_minutes, args.meeting_minutes))
            print()
            print_soak(args, "hub, 2 processes + Redis", slope, samples)
    finally:
        for server in [one, *two, reference]:
            server.stop()


if __name__ == "__main__":
    main()
