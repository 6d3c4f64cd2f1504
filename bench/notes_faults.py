"""Fault benchmark of live notes: is any edit lost when a worker, Redis, PostgreSQL or a client fails mid-typing?

    python bench/notes_faults.py [--quick] [--loads 4,10] [--seconds 20] [--interval 30] [--faults worker,redis,...]

Needs PostgreSQL's server binaries, redis-server and Node (the project's node_modules). It starts ITS OWN PostgreSQL
cluster (initdb in a temporary directory, as the ``postgres`` user when run as root) and its own redis-server, on
free ports, so that it may kill them; the machine's PostgreSQL and Redis are never touched (DATABASE_URL and
REDIS_URL are ignored).

Two hub workers (``python -m hub.worker``) share them. Each client is a stock Yjs client (yjs 13 + y-websocket 1.5
``WebsocketProvider`` on ``ws``, default options) in its own Node process, clients alternating between the workers,
each appending an edit to a shared Y.Array every ``--interval`` ms. Faults, each injected a third of the way in:

  worker     kill -9 one worker, restart it after 3 s
  redis      kill -9 Redis, restart it after 5 s
  client     one client frozen 10 s (SIGSTOP/SIGCONT) and another killed (kill -9)
  postgres   PostgreSQL stopped for 10 s (pg_ctl stop -m fast); pages are probed while it is down
  leave      every client leaves within 0.3 s of its last edit, then both workers are killed -9 (and restarted)

For each: typed (edits the clients made; a killed client's count is what it reported before dying) / in every
client (typed edits present in every surviving client) / in the stored copy (``GET /meetings/<id>/notes.yjs``
applied to an empty Y.Doc in Node) / converged (every surviving client and the stored copy identical) / time to
converge (from the later of the end of typing and the service's return) / log rows and edits held by more than one row / worker log lines
and tracebacks during the run. Each fault runs at a load the machine can carry and at overload (``--loads``).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

from bench.bench_node import (  # noqa: E402
    NodeClients,
    PgCluster,
    RedisServer,
    Server,
    now_ms,
    repeated_edits,
    stored_tags,
    wait_until,
)

FAULTS = ["worker", "redis", "client", "postgres", "leave"]


def edit_id(tag: str) -> str:
    """"3:17:1732950000123.45" → "3:17" (client 3's 18th edit)."""
    return tag.rsplit(":", 1)[0]


class Bench:
    def __init__(self, args):
        self.args = args
        self.pg = PgCluster()
        self.pg.createdb("hub")
        self.redis = RedisServer()
        self.db_url = self.pg.url("hub")
        os.environ["DATABASE_URL"] = self.db_url
        os.environ["REDIS_URL"] = self.redis.url
        import subprocess

        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.test import Client

        from hub.services.provisioning import setup_roundtable

        setup_roundtable()
        User = get_user_model()
        self.users = [User.objects.get_or_create(username=f"faults-{i}", defaults={"first_name": f"故障{i}"})[0]
                      for i in range(max(args.loads))]
        self.cookies = []
        for user in self.users:
            client = Client()
            client.force_login(user)
            self.cookies.append(f"sessionid={client.cookies['sessionid'].value}")
        env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_DEBUG": "0"}
        self.workers = [Server("hub", env, "worker A"), Server("hub", env, "worker B")]

    def new_meeting(self) -> int:
        from django.db import connection
        from django.utils import timezone

        from hub.models import Meeting, Participant, Province

        connection.close()  # the cluster may have restarted since the last query
        meeting = Meeting.objects.create(title="故障基准会议", host=Province.objects.get(code="SH"),
                                         starts_at=timezone.now(), status=Meeting.Status.LIVE)
        Participant.objects.bulk_create([Participant(meeting=meeting, user=u, role="editor") for u in self.users])
        return meeting.pk

    def log_rows(self, meeting_id: int) -> tuple[int, int]:
        """Rows in the log, and how many edits more than one row holds (a row may merge several edits: a sync reply
        after a reconnect carries everything the client typed meanwhile; "one copy per edit" is the target)."""
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            rows = [bytes(r[0]) for r in conn.execute("SELECT data FROM hub_noteupdate WHERE meeting_id = %s",
                                                      [meeting_id])]
        return len(rows), repeated_edits(rows)

    def stored(self, meeting_id: int) -> tuple[list[str], str] | None:
        for worker in self.workers:
            if worker.proc.poll() is None:
                try:
                    return stored_tags(f"http://127.0.0.1:{worker.port}/meetings/{meeting_id}/notes.yjs",
                                       self.cookies[0])
                except Exception:  # noqa: BLE001 — a worker or the database still coming back: try again later
                    continue
        return None

    def stored_now(self, meeting_id: int) -> tuple[list[str], str] | None:
        """The stored copy read from the log in this process (no Node start-up per poll, which takes seconds on a
        loaded machine and would count as convergence time): the same snapshot ``notes.yjs`` serves, with the
        digest Node computes. The copy served over HTTP is checked once convergence is seen (``stored``)."""
        import hashlib
        import json

        import pycrdt
        from django.db import connection

        from hub.meetings import log as notes_log

        try:
            doc, _ = notes_log.build_doc(meeting_id)
            state = doc.snapshot()
        except Exception:  # noqa: BLE001 — the database still coming back: try again later
            connection.close()
            return None
        copy = pycrdt.Doc()
        copy.apply_update(state)
        tags = list(copy.get("edits", type=pycrdt.Array).to_py())
        return tags, hashlib.sha1(json.dumps(tags, separators=(",", ":")).encode()).hexdigest()[:16]

    def probe_pages(self) -> str:
        port = self.workers[1].port
        parts = []
        for path in ("/", "/healthz"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                    parts.append(f"{path} {response.status} {response.headers.get_content_type()}")
            except urllib.error.HTTPError as exc:
                body = exc.read()[:200].decode(errors="replace").replace("\n", " ")
                parts.append(f"{path} {exc.code} {exc.headers.get_content_type()} «{body[:60]}»")
            except OSError as exc:
                parts.append(f"{path} {exc}")
        return "; ".join(parts)

    def run(self, fault: str, n: int) -> dict:
        args = self.args
        meeting = self.new_meeting()
        log_marks = [len(w.log_text()) for w in self.workers]
        clients = [NodeClients(self.workers[i % 2].base_url(), "yws", str(meeting),
                               [{"index": i, "cookie": self.cookies[i]}], report_each=True) for i in range(n)]
        note = ""
        returned_at = None
        try:
            for c in clients:
                c.expect("loaded", 60)
            for c in clients:
                c.send("connect")
            for c in clients:
                c.expect("synced", 120)
            count = int(args.seconds * 1000 / args.interval)
            start = now_ms() + 500
            for c in clients:
                c.send("type", start=start, count=count, interval=args.interval)
            time.sleep(0.5 + args.seconds / 3)
            dead: set[int] = set()
            if fault == "worker":
                self.workers[0].kill()
                time.sleep(3)
                self.workers[0].start()
                returned_at = time.monotonic()
            elif fault == "redis":
                self.redis.kill()
                time.sleep(5)
                self.redis.start()
                returned_at = time.monotonic()
            elif fault == "client":
                frozen, killed = clients[0], clients[1]
                os.kill(frozen.proc.pid, signal.SIGSTOP)
                killed.kill()
                dead.add(1)
                time.sleep(10)
                os.kill(frozen.proc.pid, signal.SIGCONT)
                returned_at = time.monotonic()
            elif fault == "postgres":
                self.pg.stop("fast")
                down = time.monotonic()
                time.sleep(3)
                note = "pages while PostgreSQL is down: " + self.probe_pages()
                time.sleep(max(0.0, 10 - (time.monotonic() - down)))
                self.pg.start()
                returned_at = time.monotonic()
            living = [c for i, c in enumerate(clients) if i not in dead]
            for c in living:
                c.expect("typed", args.seconds + 300)
            typing_end = time.monotonic()
            if fault == "leave":
                # Everyone leaves right after their last edit; then both workers die before they can finish.
                for c in living:
                    c.send("close")
                wait_until(lambda: not any(c.alive() for c in living), 0.3, 0.01)
                left_within = time.monotonic() - typing_end
                for w in self.workers:
                    w.kill()
                for w in self.workers:
                    w.start()
                returned_at = time.monotonic()
                note = f"clients gone {left_within * 1000:.0f} ms after the last edit; workers killed then"
                living = []
            typed_ids = {f"{c_i}:{k}" for c in clients for c_i, k_max in c.typed.items() for k in range(k_max)}
            settle_from = max(typing_end, returned_at or typing_end)

            # Poll until every surviving client and the stored copy agree, or give up.
            # "Complete" is every typed edit, except in the client fault: a killed client's last edits may
            # never have left it, so there every survivor and the stored copy agreeing is the end.
            converged_at = None
            stored = None
            agree = False
            deadline = time.monotonic() + args.converge_timeout
            while time.monotonic() < deadline:
                stored = self.stored_now(meeting)
                states = []
                for c in living:
                    c.send("state")
                    states += c.expect("state", 30)["clients"]
                agree = bool(stored) and {s["digest"] for s in states} <= {stored[1]}
                complete = bool(stored) and (fault == "client" or len(stored[0]) >= len(typed_ids))
                if (agree and complete) or fault == "leave" and stored:
                    converged_at = time.monotonic()
                    served = self.stored(meeting)  # what a client downloads, applied by Node's yjs
                    if served is not None:
                        agree = agree and served[1] == stored[1]
                        stored = served
                    break
                time.sleep(0.1)
            in_every = None
            if living:
                sets = []
                for c in living:
                    c.send("tags")
                    for row in c.expect("tags", 60)["clients"]:
                        sets.append({edit_id(t) for t in row["tags"]})
                in_every = len(typed_ids.intersection(*sets))
            stored_ids = {edit_id(t) for t in stored[0]} if stored else set()
            log = [w.log_text()[mark:] for w, mark in zip(self.workers, log_marks, strict=True)]
            rows, dup = self.log_rows(meeting)
            return {"fault": fault, "n": n, "typed": len(typed_ids), "in_every": in_every,
                    "stored": len(typed_ids & stored_ids) if stored else None,
                    "converged": agree,
                    "converge_s": (converged_at - settle_from) if converged_at else None,
                    "rows": rows, "dup": dup, "log_lines": sum(len(x.splitlines()) for x in log),
                    "tracebacks": sum(x.count("Traceback") for x in log), "note": note}
        finally:
            for c in clients:
                if c.alive():
                    try:
                        os.kill(c.proc.pid, signal.SIGCONT)
                    except OSError:
                        pass
                c.close()
            for w in self.workers:
                if w.proc.poll() is not None:
                    w.start()
            if not self.redis.ping():
                self.redis.start()

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.redis.stop()
        self.pg.destroy()


LABELS = {"worker": "kill -9 one worker, restart after 3 s", "redis": "kill -9 Redis, restart after 5 s",
          "client": "a client frozen 10 s; another killed", "postgres": "PostgreSQL stopped for 10 s",
          "leave": "all leave ≤0.3 s after last edit; workers killed"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s of typing, loads 4 and 10")
    parser.add_argument("--loads", default="4,10", help="clients per run: a load the machine carries, overload")
    parser.add_argument("--seconds", type=float, default=20.0, help="typing time per run")
    parser.add_argument("--interval", type=float, default=30.0, help="ms between two edits of one client")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--converge-timeout", type=float, default=60.0)
    args = parser.parse_args()
    if args.quick:
        args.seconds = 10.0
    args.loads = [int(x) for x in args.loads.split(",")]
    faults = [f for f in args.faults.split(",") if f]
    bench = Bench(args)
    print(f"fault benchmark: stock Yjs clients (one Node process each) typing every {args.interval:g} ms for "
          f"{args.seconds:g} s across two hub workers; own PostgreSQL :{bench.pg.port}, own Redis "
          f":{bench.redis.port}; fault injected a third of the way in", flush=True)
    head = (f"{'fault':<50} {'N':>3} {'typed':>6} {'in every':>8} {'stored':>6} {'conv':>4} {'conv s':>6} "
            f"{'log rows':>8} {'edits in 2+ rows':>16} {'log lines':>9} {'tracebacks':>10}")
    print(head, flush=True)
    t0 = time.monotonic()
    try:
        for fault in faults:
            for n in args.loads:
                r = bench.run(fault, n)
                every = "—" if r["in_every"] is None else str(r["in_every"])
                stored = "?" if r["stored"] is None else str(r["stored"])
                conv_s = "—" if r["converge_s"] is None else f"{r['converge_s']:.1f}"
                converged = ("yes" if r["converged"] else "NO") if r["in_every"] is not None else \
                    ("yes" if r["stored"] == r["typed"] else "NO")
                print(f"{LABELS[fault]:<50} {n:>3} {r['typed']:>6} {every:>8} {stored:>6} {converged:>4} "
                      f"{conv_s:>6} {r['rows']:>8} {r['dup']:>16} {r['log_lines']:>9} "
                      f"{r['tracebacks']:>10}", flush=True)
                if r["note"]:
                    print(f"    {r['note']}", flush=True)
    finally:
        bench.close()
    print(f"(took {time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
