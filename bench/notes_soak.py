"""A soak of live notes with stock Yjs clients: does the hub's memory stay flat while people come and go?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hub_notes REDIS_URL=redis://127.0.0.1:6379/9 \
        python bench/notes_soak.py [--minutes 30] [--setups hub2,hub1] [--rooms 4] [--stable 4] [--interval 30]
        [--meeting-minutes 5] [--visit-seconds 60] [--sample-seconds 15]

Reuses bench/notes_clients.py (scratch database ``<name>_nodebench``, the hub's people, the stock clients of
bench/node/clients.mjs: yjs 13 + y-websocket 1.5 on ``ws`` with default options).

Load, per server set-up (``hub2``: two workers behind Redis, each room's clients split between them; ``hub1``: one
worker, in-memory layer), all set-ups side by side for the whole run: ``--rooms`` meetings at a time, each with
``--stable`` clients typing every ``--interval`` ms for ``--meeting-minutes`` and one visitor after another who
joins, types for ``--visit-seconds`` and leaves (a new visitor every ``visit + 30`` s, on the workers in turn). When
a meeting ends every client waits for the complete document (undelivered = edits some client still lacks after
``--drain`` s; converged = all documents identical and complete), the clients leave and a new meeting starts in that
slot. Slots start staggered, so meetings end one at a time: a document grows with its meeting and is dropped with
it, which is what a real day looks like (a single 30-minute meeting at 33 edits a second per client would be a
multi-megabyte document and the RSS would grow with it by design).

Every ``--sample-seconds`` the RSS of each server process (its process tree) is read from /proc. Reported per
process: RSS at start and end, the least-squares slope of the first and of the second half in KiB per minute, and
(as a yardstick for "flat") the slope the same samples would need to gain 10 % of the process's RSS over an hour.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")

from bench.bench_node import NodeClients, Server, now_ms, slope_per_hour  # noqa: E402
from bench.notes_clients import connect_all, hub_environments, hub_people  # noqa: E402


def slope_kib_per_min(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, bytes) points, in KiB per minute."""
    return slope_per_hour(points) / 60 / 1024


class Totals:
    def __init__(self):
        self.lock = threading.Lock()
        self.meetings = self.converged = self.undelivered = self.edits = self.visitors = self.failed = 0
        self.target = 0  # edits the clients would have typed at --interval (the rest: the clients were starved)
        self.errors: list[str] = []

    def add(self, **kw) -> None:
        with self.lock:
            for k, v in kw.items():
                if k == "error":
                    self.errors.append(v)
                else:
                    setattr(self, k, getattr(self, k) + v)


def typed_now(clients: NodeClients) -> dict[int, int]:
    """Stop a process's typing (if it is still typing: a starved process falls behind the clock) and return how many
    edits each of its clients typed, by client index."""
    clients.send("stop")
    clients.expect("typed", 120)
    clients.send("state")
    return {row["index"]: row["typed"] for row in clients.expect("state", 60)["clients"]}


def missing_by_author(stable: list[NodeClients], typed: dict[int, int], where: dict[int, str]) -> str:
    """For a meeting that did not converge: whose edits are missing where. An author whose edits no client holds
    never got them to a server; edits some clients hold and others lack were not relayed to those."""
    holdings = []
    for c in stable:
        c.send("tags")
        holdings += c.expect("tags", 60)["clients"]
    lines = []
    for author, count in sorted(typed.items()):
        held = {h["index"]: sum(1 for tag in h["tags"] if tag.split(":", 1)[0] == str(author)) for h in holdings}
        if min(held.values(), default=count) < count:
            lines.append(f"author {author} ({where[author]}) typed {count}; clients hold " +
                         ", ".join(f"{index}: {n}" for index, n in sorted(held.items())))
    return "; ".join(lines) or "every author's edits are held by every client, in a different order"


def meeting(servers: list[Server], room: str, cookies: list[str], first_index: int, args, stop_at: float,
            totals: Totals) -> None:
    """One meeting in one slot: stable clients typing for the meeting's length, visitors coming and going."""
    specs = [{"index": first_index + i, "cookie": cookies[i % len(cookies)]} for i in range(args.stable)]
    procs = min(len(servers), args.stable)
    groups = [specs[p::procs] for p in range(procs)]
    stable = [NodeClients(servers[p % len(servers)].base_url(), "yws", room, groups[p]) for p in range(procs)]
    typed: dict[int, int] = {}  # edits per client index
    where = {spec["index"]: servers[p % len(servers)].base_url().split("/ws/")[0]
             for p in range(procs) for spec in groups[p]}
    visitor: NodeClients | None = None
    try:
        connect_all(stable)
        length = min(args.meeting_minutes * 60, max(30.0, stop_at - time.monotonic()))
        count = int(length * 1000 / args.interval)
        begin = now_ms() + 300
        for c in stable:
            c.send("type", start=begin, count=count, interval=args.interval)
        end = time.monotonic() + length
        k = visits = 0
        while time.monotonic() + args.visit_seconds + 5 < end:
            visits += 1
            visit_count = int(args.visit_seconds * 1000 / args.interval)
            server = servers[k % len(servers)]
            visitor = NodeClients(server.base_url(), "yws", room,
                                  [{"index": first_index + args.stable + k, "cookie": cookies[(args.stable + k)
                                                                                               % len(cookies)]}])
            where[first_index + args.stable + k] = server.base_url().split("/ws/")[0] + " (visitor)"
            connect_all([visitor])
            visitor.send("type", start=now_ms() + 100, count=visit_count, interval=args.interval)
            time.sleep(args.visit_seconds + 0.1)  # the visit's length, by the clock
            typed.update(typed_now(visitor))
            visitor.close()
            visitor = None
            totals.add(visitors=1)
            k += 1
            pause = min(30.0, end - time.monotonic())
            if pause > 0:
                time.sleep(pause)
        time.sleep(max(0.0, end - time.monotonic()))  # the meeting's length, by the clock
        for c in stable:
            typed.update(typed_now(c))
        totals.add(target=count * args.stable + visits * int(args.visit_seconds * 1000 / args.interval))
        total = sum(typed.values())
        for c in stable:
            c.send("drain", total=total, timeout=args.drain * 1000)
        rows = [row for c in stable for row in c.expect("drained", args.drain + 60)["clients"]]
        undelivered = sum(max(0, total - row["len"]) for row in rows)
        converged = all(row["len"] == total for row in rows) and len({row["digest"] for row in rows}) == 1
        totals.add(meetings=1, converged=int(converged), undelivered=undelivered, edits=total)
        if not converged:
            totals.add(error=f"meeting {room} did not converge: {missing_by_author(stable, typed, where)}")
    except (TimeoutError, RuntimeError) as exc:
        totals.add(failed=1, error=str(exc)[:300])
    finally:
        for c in stable + ([visitor] if visitor else []):
            c.close()


def slot_loop(servers, new_meeting, cookies, slot: int, args, start_delay: float, stop_at: float, totals: Totals,
              meeting_lock: threading.Lock) -> None:
    time.sleep(start_delay)  # staggered slots: meetings end one at a time (a schedule, not a wait for a condition)
    n = 0
    while time.monotonic() + 60 < stop_at:
        with meeting_lock:  # the ORM from several threads at once is fine, but keep the creation serial and simple
            room = new_meeting()
        meeting(servers, room, cookies, 1000 * slot + 100 * (n % 10), args, stop_at, totals)
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--setups", default="hub2",
                        help="comma-separated: hub2 (2 workers + Redis), hub1; name:rooms overrides --rooms")
    parser.add_argument("--rooms", type=int, default=4, help="meetings at a time per set-up")
    parser.add_argument("--stable", type=int, default=4, help="clients typing for the whole meeting")
    parser.add_argument("--interval", type=float, default=30.0, help="ms between two edits of one client")
    parser.add_argument("--meeting-minutes", type=float, default=5.0)
    parser.add_argument("--visit-seconds", type=float, default=60.0)
    parser.add_argument("--sample-seconds", type=float, default=15.0)
    parser.add_argument("--drain", type=float, default=30.0)
    args = parser.parse_args()
    rooms_of = {}
    for item in filter(None, (s.strip() for s in args.setups.split(","))):
        name, _, rooms = item.partition(":")
        rooms_of[name] = int(rooms) if rooms else args.rooms
    setup_names = list(rooms_of)
    redis_url = os.environ.get("REDIS_URL")
    if "hub2" in setup_names and not redis_url:
        raise SystemExit("set REDIS_URL (the two-worker hub shares it)")
    base_env, one_env = hub_environments()
    _, cookies, new_meeting = hub_people(10)

    started: list[Server] = []
    setups: dict[str, list[Server]] = {}
    try:
        for name in setup_names:
            if name == "hub2":
                setups[name] = [Server("hub", base_env, "hub2 a"), Server("hub", base_env, "hub2 b")]
            elif name == "hub1":
                setups[name] = [Server("hub", one_env, "hub1")]
            else:
                raise SystemExit(f"unknown set-up {name!r}")
            started += setups[name]
        mix = ", ".join(f"{name}: {rooms_of[name]} meetings at a time = {rooms_of[name] * (args.stable + 1)} clients"
                        for name in setups)
        print(f"soak {args.minutes:g} min; {mix}; each meeting {args.stable} clients typing every {args.interval:g} "
              f"ms + 1 visitor at a time (joins, types {args.visit_seconds:g} s, leaves, on the workers in turn); "
              f"meetings of {args.meeting_minutes:g} min, "
              f"staggered; RSS sampled every {args.sample_seconds:g} s; load average at start "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)

        procs = [s for servers in setups.values() for s in servers]
        samples: dict[str, list[tuple[float, int]]] = {s.name: [] for s in procs}
        cpu0 = {s.name: s.cpu_seconds() for s in procs}
        loads: list[float] = []
        t0 = time.monotonic()
        stop_at = t0 + args.minutes * 60
        totals = {name: Totals() for name in setups}
        lock = threading.Lock()
        threads = []
        for name, servers in setups.items():
            for slot in range(rooms_of[name]):
                delay = slot * args.meeting_minutes * 60 / rooms_of[name]
                threads.append(threading.Thread(target=slot_loop, daemon=True, args=(
                    servers, new_meeting, cookies, slot, args, delay, stop_at, totals[name], lock)))
        for t in threads:
            t.start()
        while time.monotonic() < stop_at:
            now = time.monotonic() - t0
            for s in procs:
                samples[s.name].append((now, s.rss_bytes()))
            loads.append(os.getloadavg()[0])
            time.sleep(min(args.sample_seconds, max(0.0, stop_at - time.monotonic())))
        for t in threads:
            t.join(timeout=args.meeting_minutes * 60 + 600)
        elapsed = time.monotonic() - t0
        print(f"\nran {elapsed / 60:.1f} min; load average (1 min) during the run: median "
              f"{statistics.median(loads):.1f}, min–max {min(loads):.1f}–{max(loads):.1f}", flush=True)
        print(f"{'process':<10} {'RSS start':>10} {'RSS end':>9} {'1st half':>10} {'2nd half':>10} "
              f"{'10%/h':>7} {'CPU s':>7}   (RSS in MiB, slopes in KiB/min, least squares)", flush=True)
        for s in procs:
            pts = samples[s.name]
            mid = pts[-1][0] / 2
            first = [p for p in pts if p[0] < mid]
            second = [p for p in pts if p[0] >= mid]
            yardstick = statistics.median(v for _, v in second) * 0.10 / 60 / 1024
            print(f"{s.name:<10} {pts[0][1] / 2**20:>10.1f} {pts[-1][1] / 2**20:>9.1f} "
                  f"{slope_kib_per_min(first):>+10.1f} {slope_kib_per_min(second):>+10.1f} {yardstick:>7.1f} "
                  f"{s.cpu_seconds() - cpu0[s.name]:>7.0f}", flush=True)
        for name, t in totals.items():
            print(f"{name}: meetings finished {t.meetings} (failed {t.failed}), converged {t.converged}/{t.meetings}, "
                  f"undelivered {t.undelivered} of {t.edits} edits ({t.edits / t.target:.0%} of the {t.target} the clients "
                f"would have typed on time), visitors {t.visitors}" if t.target else f"{name}: no meeting finished", flush=True)
            for err in t.errors[:5]:
                print(f"  failure: {err}", flush=True)
        for s in procs:
            print(f"RSS MiB of {s.name}: " + " ".join(f"{v / 2**20:.0f}" for _, v in samples[s.name]), flush=True)
    finally:
        for s in started:
            s.stop()


if __name__ == "__main__":
    main()
