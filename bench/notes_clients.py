"""Live notes with the clients people use: stock Yjs clients in Node against the hub, y-websocket and Hocuspocus.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_notes REDIS_URL=redis://127.0.0.1:6379/5 \
        python bench/notes_clients.py [--quick] [--sizes 2,5,10,20,40] [--rounds 3] [--edits 60] [--interval 30]
        [--procs 4] [--connections 200] [--connect-sizes 40] [--connect-rounds 9] [--browser|--no-browser]
        [--soak-minutes 30] [--only-rss|--only-connect]

(`make bench` runs it on throwaway PostgreSQL + Redis.) It creates and migrates a scratch database
``<DATABASE name>_nodebench`` and installs the benchmark's own Node dependencies (``npm ci --prefix bench/node``).

Clients: yjs 13 + y-websocket 1.5 ``WebsocketProvider`` on the ``ws`` package with its default options (so
permessage-deflate is offered, as a browser offers it), from the project's node_modules; for Hocuspocus, its own
provider (2.x). Each client has its own Y.Doc and decodes every frame. Clients are spread over ``--procs`` Node
processes. Every client types an edit every ``--interval`` ms (``--edits`` of them) into one shared Y.Array.

Servers, all in the same run, taking turns round by round (a burst of machine noise hits them alike): the hub with
one worker (``python -m hub.worker``, in-memory channel layer), the hub with two workers behind Redis (clients
split between them), the reference y-websocket server (its bundled ``bin/server.js``), a second reference
instance (A/A: the difference between the two is the noise floor) and Hocuspocus 2.x (``bench/node``).

Per N and server: p50/p95/p99 latency (send → seen in each other client; median of the rounds' values, p95 with
its min–max over rounds), undelivered edits (summed over rounds), converged (every client's document identical
and complete), late join (a new client receives the same complete document), time to connect and sync all N
clients, server CPU per delivered edit (utime+stime from /proc/<pid>/stat of the server's process tree). Then the
connect time of ``--connect-sizes`` clients alone, over ``--connect-rounds`` rounds (median and min–max: the table's
column has only ``--rounds`` samples, and the reference's own value spreads by half at N = 40). Then RSS
per idle synced connection (``--connections`` clients; ``--only-rss`` measures only that, ``--only-connect`` only the
connect time of N clients and the servers' CPU meanwhile, for ``--rounds`` rounds), the browser check (5 and 10 Chromium pages of the real
notes page typing together, latency measured in the pages) and, with ``--soak-minutes``, a soak with real clients
that reports the RSS slope of the second half.

Durations measured on the 2-core machine shared with other work (load average 15–23): ``--quick`` 15 min
(latency 7 min, of which N = 40 is most); ``bench/notes_faults.py --quick`` 8 min. A round whose clients cannot
finish typing (the Node clients themselves starved of CPU: at N = 40 every client decodes ~1,300 frames a second) is
reported as failed rather than ending the run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

from bench.bench_node import (  # noqa: E402
    NodeClients,
    Server,
    ensure_bench_node_modules,
    now_ms,
    percentile,
    slope_per_hour,
)

HUB1, HUB2, REF, REF_AA, HOCUS = ("hub, 1 worker", "hub, 2 workers + Redis", "reference y-websocket",
                                  "reference (A/A)", "Hocuspocus 2")


# --- the scratch database and the hub's people ----------------------------------------------------------------
def scratch_database_url(suffix: str = "_nodebench") -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (the bench creates <name>_nodebench there)")
    parsed = urlparse(url)
    return parsed._replace(path=parsed.path.rstrip("/") + suffix).geturl()


def prepare_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parsed.path[1:]]).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed.path[1:]}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url})


def hub_environments() -> tuple[dict, dict]:
    """Install the benchmark's Node packages, create and migrate the scratch database and name it in DATABASE_URL;
    returns the environments of hub workers behind Redis (``REDIS_URL`` kept) and of a lone worker without it
    (in-memory channel layer)."""
    ensure_bench_node_modules()
    url = scratch_database_url()
    prepare_database(url)
    os.environ["DATABASE_URL"] = url
    base_env = {**os.environ, "DATABASE_URL": url, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_DEBUG": "0"}
    return base_env, {k: v for k, v in base_env.items() if k != "REDIS_URL"}


def hub_people(n_users: int):
    """``n_users`` editors with session cookies, and a function that opens a new live meeting they all edit."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from hub.models import Meeting, Participant, Province
    from hub.services.provisioning import setup_roundtable

    setup_roundtable()
    User = get_user_model()
    users = [User.objects.get_or_create(username=f"nodebench-{i}", defaults={"first_name": f"测试{i}"})[0]
             for i in range(n_users)]
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")

    # A live database has statistics (autovacuum keeps them); one migrated a moment ago has none until autovacuum's
    # next round, and PostgreSQL then plans the handshake's access statement for empty tables (1.3 ms instead of 0.7).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    def new_meeting() -> str:
        meeting = Meeting.objects.create(title="基准测试会议", host=Province.objects.get(code="SH"),
                                         starts_at=timezone.now(), status=Meeting.Status.LIVE)
        Participant.objects.bulk_create([Participant(meeting=meeting, user=u, role="editor") for u in users])
        return str(meeting.pk)

    return users, cookies, new_meeting


# --- one round ------------------------------------------------------------------------------------------------
def start_clients(servers: list[Server], room: str, cookies: list[str], n: int, procs: int,
                  first_index: int = 0) -> list[NodeClients]:
    """n clients in min(n, procs) Node processes; process p talks to server p mod len(servers)."""
    p_count = max(1, min(n, procs))
    groups: list[list[dict]] = [[] for _ in range(p_count)]
    for i in range(n):
        groups[i % p_count].append({"index": first_index + i, "cookie": cookies[i % len(cookies)]})
    return [NodeClients(servers[p % len(servers)].base_url(), servers[0].client_kind(), room, groups[p])
            for p in range(p_count)]


def connect_all(clients: list[NodeClients], timeout: float = 120) -> float:
    """Seconds from "connect" to every client of every process synced."""
    for c in clients:
        c.expect("loaded", 60)
    start = time.perf_counter()
    for c in clients:
        c.send("connect")
    for c in clients:
        c.expect("synced", timeout)
    return time.perf_counter() - start


def run_round(servers: list[Server], room: str, cookies: list[str], n: int, args) -> dict:
    """One round; a round whose clients cannot finish (typing or syncing stuck past generous deadlines, i.e. the
    machine cannot carry the load) is reported as failed instead of ending the run."""
    try:
        return _run_round(servers, room, cookies, n, args)
    except (TimeoutError, RuntimeError) as exc:
        return {"failed": str(exc).split(";")[0]}


def _run_round(servers: list[Server], room: str, cookies: list[str], n: int, args) -> dict:
    clients = start_clients(servers, room, cookies, n, args.procs)
    try:
        connect = connect_all(clients)
        time.sleep(0.3)  # let the join traffic (awareness, sync replies) settle before CPU is counted
        cpu_before = sum(s.cpu_seconds() for s in servers)
        start = now_ms() + 300
        for c in clients:
            c.send("type", start=start, count=args.edits, interval=args.interval)
        for c in clients:
            c.expect("typed", args.edits * args.interval / 1000 + 60)
        total = n * args.edits
        for c in clients:
            c.send("drain", total=total, timeout=args.drain * 1000)
        rows = [row for c in clients for row in c.expect("drained", args.drain + 60)["clients"]]
        cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
        latencies = [x for row in rows for x in row["latencies"]]
        delivered = sum(row["seen"] for row in rows)
        converged = all(row["len"] == total for row in rows) and len({row["digest"] for row in rows}) == 1
        clients[0].send("late", total=total, timeout=args.drain * 1000)
        late = clients[0].expect("late", args.drain + 60)
        late_ok = late["ok"] and late["len"] == total and late["digest"] == rows[0]["digest"]
    finally:
        for c in clients:
            c.close()
    return {"n": n, "edits": total, "latencies": latencies, "undelivered": total * (n - 1) - delivered,
            "delivered": delivered, "converged": converged, "late_ok": late_ok, "late_ms": late["ms"],
            "connect_ms": connect * 1000, "cpu": cpu,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99)}


def summarise(all_rounds: list[dict]) -> dict:
    rounds = [r for r in all_rounds if "failed" not in r]
    if not rounds:
        return {"failed": all_rounds[0]["failed"], "rounds": len(all_rounds)}
    med = statistics.median
    delivered = sum(r["delivered"] for r in rounds)
    return {"rounds": len(rounds), "p50": med(r["p50"] for r in rounds), "p95": med(r["p95"] for r in rounds),
            "p95_lo": min(r["p95"] for r in rounds), "p95_hi": max(r["p95"] for r in rounds),
            "p99": med(r["p99"] for r in rounds), "undelivered": sum(r["undelivered"] for r in rounds),
            "converged": sum(r["converged"] for r in rounds), "late_ok": sum(r["late_ok"] for r in rounds),
            "connect_ms": med(r["connect_ms"] for r in rounds),
            "connect_lo": min(r["connect_ms"] for r in rounds), "connect_hi": max(r["connect_ms"] for r in rounds),
            "cpu_us": sum(r["cpu"] for r in rounds) / delivered * 1e6 if delivered else float("nan"),
            "failed_rounds": len(all_rounds) - len(rounds)}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and b == b and a == a else "—"


def print_table(n: int, results: dict[str, dict]) -> None:
    ref, hocus = results.get(REF), results.get(HOCUS)
    ref = ref if ref and "failed" not in ref else None
    hocus = hocus if hocus and "failed" not in hocus else None
    for name, r in results.items():
        if "failed" in r:
            print(f"{n:>3}  {name:<24} all {r['rounds']} round(s) failed: {r['failed']}", flush=True)
            continue
        spread = f"[{r['p95_lo']:.0f}–{r['p95_hi']:.0f}]"
        print(f"{n:>3}  {name:<24} {r['p50']:>7.1f} {r['p95']:>7.1f} {spread:>13} {r['p99']:>7.1f} "
              f"{r['undelivered']:>6} {r['converged']:>2}/{r['rounds']:<2} {r['late_ok']:>2}/{r['rounds']:<2} "
              f"{r['connect_ms']:>8.0f} {r['cpu_us']:>7.0f} "
              f"{ratio(r['p95'], ref['p95']) if ref else '—':>8} {ratio(r['p95'], hocus['p95']) if hocus else '—':>8} "
              f"{ratio(r['cpu_us'], ref['cpu_us']) if ref else '—':>7} "
              f"{ratio(r['connect_ms'], ref['connect_ms']) if ref else '—':>8}"
              + (f"  ({r['failed_rounds']} round(s) failed)" if r["failed_rounds"] else ""), flush=True)


TABLE_HEAD = (f"{'N':>3}  {'server':<24} {'p50 ms':>7} {'p95 ms':>7} {'p95 min–max':>13} {'p99 ms':>7} "
              f"{'undel':>6} {'conv':>5} {'late':>5} {'conn ms':>8} {'CPU µs':>7} {'p95÷ref':>8} {'p95÷hoc':>8} "
              f"{'CPU÷ref':>7} {'conn÷ref':>8}")


# --- memory per idle connection -------------------------------------------------------------------------------
RSS_WINDOW_SECONDS = 2.0
RSS_STILL_BYTES = 128 * 1024  # "settled": RSS moved less than this over the window


def settled_rss(servers: list[Server], timeout: float = 30.0) -> int:
    """Summed RSS of the servers' process trees once it stopped moving (less than RSS_STILL_BYTES over
    RSS_WINDOW_SECONDS, sampled every 0.25 s), or the last sample after ``timeout``."""
    samples: list[tuple[float, int]] = []
    start = time.monotonic()
    while True:
        now = time.monotonic()
        samples.append((now, sum(s.rss_bytes() for s in servers)))
        recent = [v for t, v in samples if t >= now - RSS_WINDOW_SECONDS]
        if now - start >= RSS_WINDOW_SECONDS and max(recent) - min(recent) < RSS_STILL_BYTES:
            return samples[-1][1]
        if now - start > timeout:
            return samples[-1][1]
        time.sleep(0.25)


def rss_per_connection(servers: list[Server], room: str, cookies: list[str], count: int,
                       procs: int) -> tuple[float, int]:
    """(KiB of server RSS per idle synced connection, settled RSS before them in bytes), on servers started for
    this measurement alone: a server that served the latency rounds holds their garbage, which a garbage
    collector may hand back in the middle of the measurement (the reference then came out negative).

    A few warm-up clients join first and stay connected (code paths, pools and the room itself are then loaded,
    and a hub room is not dropped as idle in between); RSS is read once it settled, before and after ``count``
    more clients joined and synced, and the difference divided by ``count``."""
    warm_n = 2 * len(servers)
    warm = start_clients(servers, room, cookies, warm_n, len(servers))
    clients: list[NodeClients] = []
    try:
        connect_all(warm)
        before = settled_rss(servers)
        clients = start_clients(servers, room, cookies, count, procs, first_index=warm_n)
        connect_all(clients, timeout=300)
        after = settled_rss(servers)
    finally:
        for c in clients + warm:
            c.close()
    return (after - before) / 1024 / count, before


def connect_rounds(setups: dict[str, list[Server]], room_for, cookies: list[str], sizes: list[int], args) -> None:
    """Connect time of N clients and the servers' CPU meanwhile, every set-up in turn (rotated), a new room each
    round; median and range per set-up, and the ratio of the medians to the reference's."""
    for n in sizes:
        times: dict[str, list[float]] = {name: [] for name in setups}
        cpu: dict[str, list[float]] = {name: [] for name in setups}
        names = list(setups)
        for k in range(args.rounds):
            for name in names[k % len(names):] + names[:k % len(names)]:
                servers = setups[name]
                clients = start_clients(servers, room_for(name), cookies, n, args.procs)
                try:
                    before = sum(s.cpu_seconds() for s in servers)
                    times[name].append(connect_all(clients) * 1000)
                    cpu[name].append((sum(s.cpu_seconds() for s in servers) - before) * 1000)
                finally:
                    for c in clients:
                        c.close()
        print(f"connect {n} clients, {args.rounds} rounds (ms: median [min–max]; server CPU meanwhile, median):")
        for name in names:
            med = statistics.median(times[name])
            print(f"  {name:<24} {med:6.0f} [{min(times[name]):.0f}–{max(times[name]):.0f}]  CPU "
                  f"{statistics.median(cpu[name]):5.0f}  {ratio(med, statistics.median(times[REF])):>6} ref", flush=True)
    print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)


# --- soak -----------------------------------------------------------------------------------------------------
def soak(servers: list[Server], new_room, cookies: list[str], minutes: float, meeting_minutes: float,
         args) -> tuple[float, float, list]:
    """Meetings of ``meeting_minutes`` one after another, 3 at a time × 4 clients typing every --interval ms; when a
    meeting ends its clients leave and a new meeting starts. Returns (slope of the whole run, slope of the second
    half, samples) in MB per hour of the servers' summed RSS."""
    samples: list[tuple[float, float]] = []
    stop = threading.Event()
    start = time.monotonic()

    def sample():
        while not stop.is_set():
            samples.append((time.monotonic() - start, sum(s.rss_bytes() for s in servers) / 2**20))
            stop.wait(10)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    end = start + minutes * 60
    count = int(meeting_minutes * 60_000 / args.interval)
    try:
        while time.monotonic() < end:
            groups = [start_clients(servers, new_room(), cookies, 4, 1) for _ in range(3)]
            flat = [c for g in groups for c in g]
            connect_all(flat)
            begin = now_ms() + 300
            for c in flat:
                c.send("type", start=begin, count=count, interval=args.interval)
            # The meeting ends by the clock, as bench/notes_soak.py's do: clients starved of CPU (on 2 cores the Node
            # clients are most of the load) type fewer edits instead of making the meeting, and the run, longer.
            time.sleep(max(0.0, (begin - now_ms()) / 1000 + meeting_minutes * 60))
            for c in flat:
                c.send("stop")
            for c in flat:
                c.expect("typed", 120)
            for c in flat:
                c.close()
    finally:
        stop.set()
        sampler.join()
    half = [p for p in samples if p[0] >= samples[-1][0] / 2]
    return slope_per_hour(samples), slope_per_hour(half), samples


# --- the browser check ----------------------------------------------------------------------------------------
BROWSER_TYPE_JS = """
async ({index, count, interval, start}) => {
  const now = () => performance.timeOrigin + performance.now()
  const {editor, ydoc} = window.hubNotes
  const fragment = ydoc.getXmlFragment('default')
  const seen = new Map()
  const pattern = /«(\\d+)\\.(\\d+)\\.(\\d+(?:\\.\\d+)?)»/g
  ydoc.on('afterTransaction', (tr) => {
    if (tr.local) return
    const t = now()
    for (const m of fragment.toString().matchAll(pattern)) {
      if (Number(m[1]) !== index && !seen.has(m[0])) seen.set(m[0], t - Number(m[3]))
    }
  })
  const wait = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))
  await wait(start - now() + (index * 7.3) % interval)
  editor.commands.focus('end')
  const t0 = now()
  for (let k = 0; k < count; k++) {
    await wait(t0 + k * interval - now())
    editor.commands.insertContent(`«${index}.${k}.${now().toFixed(1)}»`)
  }
  window.hubBenchSeen = seen
  return true
}
"""

BROWSER_COLLECT_JS = """
async ({expected, timeout}) => {
  const deadline = performance.now() + timeout
  while (window.hubBenchSeen.size < expected && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
  }
  return [...window.hubBenchSeen.values()]
}
"""


def browser_check(server: Server, new_room, cookies: list[str], sizes: list[int], args) -> list[tuple]:
    """N Chromium pages of the real notes page (the built editor bundle) typing together into one meeting."""
    from playwright.sync_api import sync_playwright

    rooms = {n: new_room() for n in sizes}  # before Playwright: its loop makes Django refuse ORM calls here
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                   # every page is someone's foreground tab
                                                   "--disable-background-timer-throttling",
                                                   "--disable-renderer-backgrounding",
                                                   "--disable-backgrounding-occluded-windows"])
        try:
            for n in sizes:
                room = rooms[n]
                pages = []
                for i in range(n):
                    # The harness's own scripts (wait_for_function evaluates its predicate) are not the page's:
                    # the page's Content-Security-Policy refuses them, as tests/browser.py bypasses it too.
                    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="zh-CN",
                                                  bypass_csp=True)
                    context.add_cookies([{"name": "sessionid", "value": cookies[i].split("=", 1)[1],
                                          "url": f"http://127.0.0.1:{server.port}"}])
                    page = context.new_page()
                    page.goto(f"http://127.0.0.1:{server.port}/meetings/{room}/")
                    pages.append(page)
                for page in pages:
                    page.wait_for_function("window.hubNotes && window.hubNotes.provider.synced", timeout=60_000)
                start = now_ms() + 1500
                count = args.browser_edits
                # Each page types on its own: the script is started, not awaited (evaluate would wait for the
                # promise), so all pages type together from the same instant.
                for i, page in enumerate(pages):
                    page.evaluate(f"(args) => {{ ({BROWSER_TYPE_JS})(args); return true }}",
                                  {"index": i, "count": count, "interval": args.interval, "start": start})
                latencies = []
                expected = count * (n - 1)
                for page in pages:
                    page.wait_for_function("window.hubBenchSeen !== undefined", timeout=120_000)
                    latencies += page.evaluate(f"({BROWSER_COLLECT_JS})", {"expected": expected,
                                                                           "timeout": args.drain * 1000})
                undelivered = expected * n - len(latencies)
                texts = {page.evaluate("window.hubNotes.ydoc.getXmlFragment('default').toString()")
                         for page in pages}
                rows.append((n, percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99),
                             undelivered, len(texts) == 1))
                for page in pages:
                    page.context.close()
        finally:
            browser.close()
    return rows


# --- main -----------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 2, 10, 40, one round, 100 connections")
    parser.add_argument("--sizes", default="2,5,10,20,40")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edits", type=int, default=60, help="edits per client per round")
    parser.add_argument("--interval", type=float, default=30.0, help="ms between two edits of one client")
    parser.add_argument("--procs", type=int, default=4, help="Node processes the clients are spread over")
    parser.add_argument("--drain", type=float, default=20.0, help="seconds to wait for the last deliveries")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--connect-sizes", default="40",
                        help="after the latency rounds, connect time alone for these N (empty: none)")
    parser.add_argument("--connect-rounds", type=int, default=9,
                        help="rounds of each --connect-sizes: the latency table's conn column has only --rounds")
    parser.add_argument("--rss-repeats", type=int, default=3, help="RSS measurements per server (fresh each time)")
    parser.add_argument("--browser", dest="browser", action="store_true", default=True)
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    parser.add_argument("--browser-sizes", default="5,10")
    parser.add_argument("--browser-edits", type=int, default=60)
    parser.add_argument("--soak-minutes", type=float, default=0.0)
    parser.add_argument("--meeting-minutes", type=float, default=3.0, help="length of one soak meeting")
    parser.add_argument("--only-soak", action="store_true")
    parser.add_argument("--only-rss", action="store_true", help="skip the latency rounds (and the browser check)")
    parser.add_argument("--only-connect", action="store_true",
                        help="only connect time and server CPU while connecting, N = --sizes, --rounds rounds")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.rounds, args.connections = "2,10,40", 1, 100
    sizes = [int(s) for s in args.sizes.split(",")]
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("set REDIS_URL (the two-worker hub shares it)")
    base_env, one_env = hub_environments()
    node_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    users, cookies, new_meeting = hub_people(max(sizes + [10]))

    setups = {}
    started: list[Server] = []

    def server(*args) -> Server:
        started.append(Server(*args))  # each one stopped at the end, even when a later one fails to start
        return started[-1]

    try:
        setups[HUB1] = [server("hub", one_env, HUB1)]
        setups[HUB2] = [server("hub", base_env, HUB2 + " a"), server("hub", base_env, HUB2 + " b")]
        setups[REF] = [server("reference", node_env, REF)]
        setups[REF_AA] = [server("reference", node_env, REF_AA)]
        setups[HOCUS] = [server("hocuspocus", node_env, HOCUS)]

        def room_for(name: str) -> str:
            return new_meeting() if name in (HUB1, HUB2) else f"bench-{time.time_ns()}"

        if args.only_connect:
            connect_rounds(setups, room_for, cookies, sizes, args)
            return
        if not args.only_soak:
            if not args.only_rss:
                print(f"stock Yjs clients (yjs 13, y-websocket 1.5 on ws, default options; Hocuspocus: its provider), "
                      f"{args.edits} edits per client every {args.interval:g} ms, {args.rounds} round(s) per server, "
                      f"servers taking turns; clients in ≤{args.procs} Node processes.\nlatency = send → seen in each "
                      "other client, median over rounds (p95: min–max over rounds); undel = edits some client never saw "
                      f"within {args.drain:g} s; conv/late = rounds converged / late joiner correct; conn = time to "
                      "connect and sync N clients; CPU = server process-tree CPU per delivered edit", flush=True)
                print(TABLE_HEAD, flush=True)
                t_start = time.monotonic()
                for n in sizes:
                    rounds: dict[str, list[dict]] = {name: [] for name in setups}
                    names = list(setups)
                    for k in range(args.rounds):
                        for name in names[k % len(names):] + names[:k % len(names)]:
                            rounds[name].append(run_round(setups[name], room_for(name), cookies, n, args))
                    print_table(n, {name: summarise(r) for name, r in rounds.items()})
                print(f"(latency runs took {time.monotonic() - t_start:.0f} s; load average now "
                      f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})\n", flush=True)
                if args.connect_sizes:
                    # The latency table's conn column is --rounds samples of a quantity whose reference value alone
                    # spreads 50–90 ms at N = 40: the connect target is read here, from more rounds.
                    connect_rounds(setups, room_for, cookies, [int(x) for x in args.connect_sizes.split(",")],
                                   argparse.Namespace(**{**vars(args), "rounds": args.connect_rounds}))
                    print(flush=True)

            print(f"server RSS per idle synced connection ({args.connections} clients; servers started for each "
                  f"measurement, RSS settled before and after; median of {args.rss_repeats} with min–max; KiB):",
                  flush=True)
            names = [HUB1, HUB2, REF, HOCUS]
            rss: dict[str, list[float]] = {name: [] for name in names}
            base: dict[str, list[int]] = {name: [] for name in names}
            cycle = cookies * (args.connections // len(cookies) + 1)
            for k in range(args.rss_repeats):
                for name in names[k % len(names):] + names[:k % len(names)]:
                    fresh = [server(s.kind, s.env, s.name + " (RSS)") for s in setups[name]]
                    try:
                        kib, before = rss_per_connection(fresh, room_for(name), cycle, args.connections, args.procs)
                    finally:
                        for s in fresh:
                            s.stop()
                    rss[name].append(kib)
                    base[name].append(before)
            med = {name: statistics.median(values) for name, values in rss.items()}
            for name in names:
                print(f"  {name:<24} {med[name]:6.1f} [{min(rss[name]):.1f}–{max(rss[name]):.1f}]  "
                      f"{ratio(med[name], med[REF]):>6} ref  (idle {statistics.median(base[name]) / 2**20:.0f} MB)",
                      flush=True)
            print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)

            if args.browser and not args.only_rss and os.path.exists("/usr/bin/chromium"):
                bsizes = [int(s) for s in args.browser_sizes.split(",")]
                print(f"\nbrowser check: Chromium pages of the notes page (Tiptap + y-websocket, {args.browser_edits} "
                      f"insertions each every {args.interval:g} ms), hub with 1 worker, latency measured in the pages:",
                      flush=True)
                for n, p50, p95, p99, undelivered, same in browser_check(setups[HUB1][0], new_meeting, cookies,
                                                                         bsizes, args):
                    print(f"  {n:>3} pages: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, undelivered "
                          f"{undelivered}, converged {'yes' if same else 'NO'}", flush=True)

        if args.soak_minutes:
            print(f"\nsoak {args.soak_minutes:g} min, hub with 2 workers + Redis: 3 meetings at a time × 4 clients "
                  f"typing every {args.interval:g} ms, a new meeting every {args.meeting_minutes:g} min:", flush=True)
            whole, second, samples = soak(setups[HUB2], new_meeting, cookies, args.soak_minutes,
                                          args.meeting_minutes, args)
            print(f"  RSS slope {whole:+.1f} MB/hour over the run, {second:+.1f} MB/hour over the second half")
            print("  RSS, MB, every 10 s: " + " ".join(f"{m:.0f}" for _, m in samples), flush=True)
    finally:
        for server in started:
            server.stop()


if __name__ == "__main__":
    main()
