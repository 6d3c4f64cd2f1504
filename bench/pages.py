"""Every public page against a minimal view of the same size, anonymous and logged in, cached and uncached,
at 1× and 10× the demo data; plus PostgreSQL sessions and Redis connections opened per 100 requests.

    python bench/pages.py [--seconds 3] [--rounds 3] [--connections 4] [--only-scale 1] [--rebuild]

Needs DATABASE_URL naming a PostgreSQL server (its database name is the stem: ``<name>_pages_1x`` and
``<name>_pages_10x`` are created, seeded once with ``seed_demo`` and kept; ``--rebuild`` drops them), ``wrk``
(Debian package) and ``redis-server`` (a private one is started on a free port, so that its connection counter
counts this benchmark only). One production worker, ``python -m hub.worker`` with DEBUG off, serves the hub and
``/bench/minimal/<bytes>/`` (bench.bench_pages_urls); each page and its same-bytes minimal view are measured back
to back in every round, the order of the pages rotated from round to round. Ratio = page ÷ minimal requests/s;
printed as median (min–max) over the rounds. Only loopback traffic; every wait is bounded.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PAGES = ["/", "/events/", "{event}", "/achievements/", "/standards/", "/standards/matrix/", "/experts/",
         "/search/?q=" + quote("质量")]
VARIANTS = ("anonymous, uncached", "anonymous, cached", "logged in")
TARGETS = {"anonymous, uncached": 0.3, "anonymous, cached": 0.9, "logged in": 0.25}
GROWTH_TARGET, FIRST_SEARCH_TARGET = 0.8, 0.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, deadline_s: float, what: str):
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what} (last: {last!r})")


# --- databases -----------------------------------------------------------------------------------------------


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def psql(base: str, sql: str, database: str = "postgres") -> str:
    import psycopg

    with psycopg.connect(database_url(base, database), autocommit=True) as conn:
        rows = conn.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else conn.execute(sql)
        return rows


def prepare(base: str, name: str, scale: int, rebuild: bool, redis_url: str) -> str:
    exists = psql(base, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists and not rebuild:
        return database_url(base, name)
    if exists:
        psql(base, f'DROP DATABASE "{name}" WITH (FORCE)')
    psql(base, f'CREATE DATABASE "{name}"')
    env = dict(os.environ, DATABASE_URL=database_url(base, name), REDIS_URL=redis_url,
               DJANGO_SETTINGS_MODULE="hub.settings", DJANGO_EMAIL_URL="", PYTHONPATH=str(ROOT))
    manage = [PYTHON, str(ROOT / "manage.py")]
    try:
        print(f"  seeding {name} …", flush=True)
        subprocess.run(manage + ["migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run(manage + ["setup_roundtable"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        subprocess.run(manage + ["seed_demo"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        if scale > 1:
            print(f"  growing {name} to {scale}× with the test factories …", flush=True)
            subprocess.run([PYTHON, str(ROOT / "bench" / "bench_pages_grow.py"), str(scale)], env=env, check=True,
                           cwd=ROOT)
    except BaseException:
        psql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        raise
    return database_url(base, name)


SETUP = """
import django, json; django.setup()
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from cms.events import EventPage
from hub.models import Province
from tests.conftest import make_user
User = get_user_model()
user = User.objects.filter(username="bench-member").first() or make_user(
    province_code="SH", role="editor", username="bench-member", first_name="基准")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
event = EventPage.objects.live().public().filter(registration_open=True).order_by("-start_date", "pk").first()
root = event.url_path.split("/", 2)[2]
counts = {m.__name__: m.objects.count() for m in (EventPage,)}
print(json.dumps({"session": session.session_key, "event": "/" + root, "counts": counts}))
"""


# --- the server ----------------------------------------------------------------------------------------------


class Worker:
    def __init__(self, database: str, redis_url: str):
        self.port = free_port()
        self.env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis_url, PYTHONPATH=str(ROOT),
                        DJANGO_SETTINGS_MODULE="bench.bench_pages_settings", DJANGO_EMAIL_URL="")
        self.process = None

    def __enter__(self):
        self.log = tempfile.TemporaryFile()  # never a pipe: a chatty worker would block on a full one
        self.process = subprocess.Popen([PYTHON, "-m", "hub.worker", "--port", str(self.port)], env=self.env,
                                        cwd=ROOT, stdout=self.log, stderr=self.log, start_new_session=True)
        wait_until(lambda: self.get("/bench/minimal/2/")[0] == 200, 120, "the worker")
        return self

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        self.log.seek(0)
        errors = self.log.read().decode(errors="replace").strip()
        if errors:
            print("worker output:\n" + errors[-3000:])
        self.log.close()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, path: str, seconds: int, connections: int, headers: dict, pid: int | None = None):
    """Requests per second; with ``pid``, also the worker's CPU milliseconds per request (load-independent, unlike
    the wall clock: the machine may be shared)."""
    before = cpu_seconds(pid) if pid else 0.0
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         timeout=seconds + 60, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{path}: error responses\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if not pid:
        return rate
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return rate, (cpu_seconds(pid) - before) * 1000 / max(requests, 1)


# --- connection counts ---------------------------------------------------------------------------------------


def pg_sessions(base: str, name: str) -> int:
    """pg_stat_database.sessions of the database, once the counter has settled (backends report it lazily)."""
    def read():
        return psql(base, f"SELECT sessions FROM pg_stat_database WHERE datname = '{name}'")[0][0]

    previous, stable_since, deadline = read(), time.monotonic(), time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = read()
        if current != previous:
            previous, stable_since = current, time.monotonic()
        elif time.monotonic() - stable_since >= 2.5:
            break
    return previous - 1  # this reading's own session


def redis_connections(redis_url: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return client.info("stats")["total_connections_received"] - 1  # this reading's own connection
    finally:
        client.close()


def hundred_requests(worker: Worker, paths: list[tuple[str, dict]], threads: int = 4) -> None:
    """100 requests over keep-alive connections from ``threads`` client threads (like browsers)."""
    todo = iter(range(100))
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=60)
        while True:
            with lock:
                n = next(todo, None)
            if n is None:
                break
            path, headers = paths[n % len(paths)]
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
        conn.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)


# --- one scale -----------------------------------------------------------------------------------------------


def measure_scale(args, base: str, name: str, scale: int, redis_url: str) -> dict:
    database = prepare(base, name, scale, args.rebuild, redis_url)
    # Fresh statistics, as autovacuum keeps them on a live server: a grown database has none of its new rows in
    # them until then, and the planner's guesses would be measured instead of the hub.
    psql(base, "ANALYZE", database=name)
    env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis_url, PYTHONPATH=str(ROOT),
               DJANGO_SETTINGS_MODULE="hub.settings")
    setup = json.loads(subprocess.run([PYTHON, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True,
                                      text=True).stdout.strip().splitlines()[-1])
    member = {"Cookie": f"sessionid={setup['session']}"}
    variants = {"anonymous, uncached": {"X-Bench-Uncached": "1"}, "anonymous, cached": {}, "logged in": member}
    pages = [page.format(event=setup["event"]) for page in PAGES]
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, capture_output=True)
    result = {"pages": pages, "ratios": {}, "bytes": {}}
    with Worker(database, redis_url) as worker:
        # The first search after start, before any other page: the dictionary must already be loaded.
        start, cpu_start = time.perf_counter(), cpu_seconds(worker.process.pid)
        status, _body, _headers = worker.get(pages[-1], {"X-Bench-Uncached": "1"})
        result["first_search_s"] = time.perf_counter() - start
        result["first_search_cpu_s"] = cpu_seconds(worker.process.pid) - cpu_start
        assert status == 200, status
        for page in pages:
            for variant, headers in variants.items():
                status, body, response_headers = worker.get(page, headers)
                assert status == 200, (page, variant, status)
                if variant == "anonymous, cached":
                    worker.get(page, headers)  # stored now
                    assert worker.get(page, headers)[2].get("x-page-cache") == "hit", page
                result["bytes"][(page, variant)] = len(body)
        # Connections opened by 100 requests of every kind (pages warm, pools warm).
        mix = [(page, headers) for page in pages for headers in variants.values()]
        hundred_requests(worker, mix)
        pg_before, redis_before = pg_sessions(base, name), redis_connections(redis_url)
        hundred_requests(worker, mix)
        result["pg_sessions_per_100"] = pg_sessions(base, name) - pg_before
        result["redis_connections_per_100"] = redis_connections(redis_url) - redis_before
        print(f"  first search {result['first_search_s']:.2f} s (worker CPU {result['first_search_cpu_s']:.2f} s); "
              "per 100 requests "
              f"{result['pg_sessions_per_100']} PostgreSQL sessions, {result['redis_connections_per_100']} Redis "
              "connections opened", flush=True)
        # Rounds: each (page, variant) then its same-bytes minimal view (alternating which goes first), the
        # order rotated from round to round.
        cases = [(page, variant) for page in pages for variant in VARIANTS
                 if not args.pages or args.pages in page]
        for round_no in range(args.rounds):
            shift = round_no * len(cases) // args.rounds
            for page, variant in cases[shift:] + cases[:shift]:
                minimal = f"/bench/minimal/{result['bytes'][(page, variant)]}/"
                pair = [(page, variants[variant]), (minimal, {})]
                # One request first, unmeasured: a member's kept content lives 60 s (hub/fragments.py), and rounds
                # come minutes apart; without it a round measures that one cold render under load, not the page.
                worker.get(page, variants[variant])
                if round_no % 2:
                    pair.reverse()
                measured = {path: wrk(worker.port, path, args.seconds, args.connections, headers,
                                      pid=worker.process.pid) for path, headers in pair}
                rates = {path: rate for path, (rate, _cpu) in measured.items()}
                cpu = {path: cpu_ms for path, (_rate, cpu_ms) in measured.items()}
                result["ratios"].setdefault((page, variant), []).append(rates[page] / rates[minimal])
                result.setdefault("cpu_ratios", {}).setdefault((page, variant), []).append(
                    cpu[minimal] / cpu[page] if cpu[page] else float("nan"))
                print(f"  round {round_no + 1}: {page} [{variant}] {rates[page]:.0f} req/s, minimal "
                      f"{rates[minimal]:.0f} req/s, ratio {rates[page] / rates[minimal]:.2f}; worker CPU "
                      f"{cpu[page]:.2f} vs {cpu[minimal]:.2f} ms/request, ratio {cpu[minimal] / cpu[page]:.2f}"
                      if cpu[page] else "", flush=True)
                result.setdefault("minimal_rps", []).append(rates[minimal])
    result["counts"] = setup["counts"]
    return result


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def label(page: str, event: str) -> str:
    return "event detail" if page == event else page.replace(quote("质量"), "质量")


def report(results: dict) -> bool:
    ok = True
    scales = sorted(results)
    one = results[scales[0]]
    event_path = one["pages"][2]
    header = "| page | visitor | " + " | ".join(f"{s}× data: ÷ minimal" for s in scales)
    header += " | " + " | ".join(f"{s}× CPU: minimal ÷ page" for s in scales)
    if len(scales) > 1:
        header += f" | {scales[-1]}× ÷ 1× |"
    print("\n" + header)
    print("|" + "---|" * (header.count("|") - 1))
    for index, page in enumerate(one["pages"]):
        if (page, VARIANTS[0]) not in one["ratios"]:  # left out with --pages
            continue
        for variant in VARIANTS:
            cells, medians = [], []
            for scale in scales:
                values = results[scale]["ratios"][(results[scale]["pages"][index], variant)]
                medians.append(statistics.median(values))
                mark = "" if medians[-1] >= TARGETS[variant] else " ✗"
                ok &= not mark
                cells.append(spread(values) + mark)
            cpu_cells = [spread(results[scale]["cpu_ratios"][(results[scale]["pages"][index], variant)])
                         for scale in scales]
            line = f"| {label(page, event_path)} | {variant} | " + " | ".join(cells) + " | " + " | ".join(cpu_cells)
            if len(scales) > 1:
                growth = medians[-1] / medians[0] if medians[0] else float("nan")
                mark = "" if growth >= GROWTH_TARGET else " ✗"  # nan (no 1× rate) counts as a miss
                ok &= not mark
                line += f" | {growth:.2f}{mark}"
            print(line + " |")
    print()
    for scale in scales:
        r = results[scale]
        first = r["first_search_s"]
        ok &= first < FIRST_SEARCH_TARGET
        print(f"{scale}× data: first search after start {first:.2f} s"
              f"{'' if first < FIRST_SEARCH_TARGET else ' ✗'} (worker CPU {r['first_search_cpu_s']:.2f} s); "
              "per 100 requests: "
              f"{r['pg_sessions_per_100']} PostgreSQL sessions opened, {r['redis_connections_per_100']} Redis "
              f"connections opened; minimal view {statistics.median(r['minimal_rps']):.0f} req/s (median)")
    print(f"targets: uncached anonymous ≥ {TARGETS['anonymous, uncached']}, cached anonymous ≥ "
          f"{TARGETS['anonymous, cached']}, logged in ≥ {TARGETS['logged in']}, 10× ÷ 1× ≥ {GROWTH_TARGET}, "
          f"first search < {FIRST_SEARCH_TARGET} s; connections per 100 requests ≤ pool sizes (PostgreSQL 8, "
          f"Redis 16 per worker). ✗ marks a miss.")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--only-scale", type=int, choices=[1, 10])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--pages", help="measure only pages whose path contains this text (e.g. search)")
    parser.add_argument("--prepare-only", action="store_true", help="seed (and grow) the databases, measure nothing")
    args = parser.parse_args(argv)
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        print("bench/pages.py needs DATABASE_URL=postgres://…/<name> (skipped)")
        return 0
    for tool in ("wrk", "redis-server", "redis-cli"):
        if not shutil.which(tool):
            print(f"bench/pages.py needs {tool} (apt-get install wrk redis-server) (skipped)")
            return 0
    stem = urlsplit(base).path.strip("/") or "hub"
    redis_port = free_port()
    workdir = tempfile.mkdtemp(prefix="bench-pages-redis-")
    redis_server = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", workdir], stdout=subprocess.DEVNULL)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    try:
        wait_until(lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "PING"], capture_output=True,
                                          text=True).stdout.strip() == "PONG", 20, "redis-server")
        results = {}
        if args.prepare_only:
            for scale in ([args.only_scale] if args.only_scale else [1, 10]):
                prepare(base, f"{stem}_pages_{scale}x", scale, args.rebuild, redis_url)
            return 0
        for scale in ([args.only_scale] if args.only_scale else [1, 10]):
            print(f"{scale}× data:", flush=True)
            results[scale] = measure_scale(args, base, f"{stem}_pages_{scale}x", scale, redis_url)
        return 0 if report(results) else 1
    finally:
        redis_server.terminate()
        redis_server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
