"""Requests per second of the events and achievements pages against a minimal Django view, same server, same run.

    python bench/events.py [--seconds 4] [--concurrency 4] [--port 8765]

Builds (once) a SQLite database with the demo data under bench/results/ unless DATABASE_URL is set, starts the hub
with daphne on 127.0.0.1, measures each page for a fixed time with keep-alive clients, prints requests per second
and the ratio page / minimal view. Only loopback traffic; every loop is bounded in time.
"""
from __future__ import annotations

import argparse
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


def environment() -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.bench_events_settings", PYTHONPATH=str(ROOT))
    env.setdefault("DATABASE_URL", f"sqlite:///{RESULTS / 'events-bench.sqlite3'}")
    return env


def prepare(env: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run(manage + ["migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(manage + ["seed_demo", "--if-empty"], env=dict(env, DJANGO_EMAIL_URL=""), check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)


def urls(env: dict) -> list[tuple[str, str]]:
    """The pages to measure, looked up in the demo data."""
    script = (
        "import django; django.setup();"
        "from cms.events import EventPage, CampaignPage; from cms.achievements import AchievementPage;"
        "e=EventPage.objects.live().filter(registration_open=True).order_by('-starts_at').first();"
        "a=AchievementPage.objects.live().filter(visibility='public').first(); c=CampaignPage.objects.live().first();"
        "print(e.url_path, a.url_path, c.url_path, e.pk)"
    )
    out = subprocess.run([PYTHON, "-c", script], env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    event_path, achievement_path, campaign_path, event_pk = out.stdout.split()

    def strip(path):  # url_path carries the root page's slug; the site serves below it
        return "/" + path.split("/", 2)[2]

    return [
        ("minimal Django view (baseline)", "/bench/minimal/"),
        ("events listing", "/events/"),
        ("events listing, filtered", "/events/?province=JS&when=all"),
        ("event detail", strip(event_path)),
        ("campaign page", strip(campaign_path)),
        ("achievements listing", "/achievements/"),
        ("achievements, adopted elsewhere", "/achievements/?adopted=1"),
        ("achievement detail", strip(achievement_path)),
        ("iCal, whole roundtable", "/events/calendar.ics"),
        ("iCal, one event", f"/events/{event_pk}.ics"),
        ("RSS, events", "/events/feed/rss/"),
        ("home page", "/"),
    ]


def wait_for(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/bench/minimal/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not come up")


def measure(port: int, path: str, seconds: float, concurrency: int) -> tuple[float, int]:
    counts, errors = [0] * concurrency, [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            try:
                conn.request("GET", path, headers={"Host": "localhost"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    env = environment()
    prepare(env)
    pages = urls(env)
    server = subprocess.Popen(
        [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(args.port), "hub.asgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(args.port, time.time() + 60)
        for _label, path in pages:  # warm-up: templates compiled, caches filled
            measure(args.port, path, 0.5, 1)
        results = [(label, path, *measure(args.port, path, args.seconds, args.concurrency)) for label, path in pages]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    baseline = results[0][2]
    lines = [(f"daphne, {args.concurrency} keep-alive clients, {args.seconds:g} s per page, "
              f"database {env['DATABASE_URL'].split(':', 1)[0]}"),
             f"{'page':34} {'req/s':>9} {'ratio':>7} {'errors':>6}  path"]
    for label, path, rps, errors in results:
        lines.append(f"{label:34} {rps:9.1f} {rps / baseline:7.3f} {errors:6d}  {path}")
    report = "\n".join(lines)
    sys.stdout.write(report + "\n")
    (RESULTS / "events.txt").write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
