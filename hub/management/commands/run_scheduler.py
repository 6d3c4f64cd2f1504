"""Run the hub's timed jobs once, or every minute: Wagtail's scheduled publishing (go-live and expiry of pages and
snippets), the 督办 reminders (due within three days, overdue; each sent once) and whatever the features register
in ``hub.scheduler`` (the expert pool's loan reminders).

`make run` starts this loop beside the development server; production runs ``run_scheduler --once`` from a
systemd timer (README). A plain loop is enough: the only job is one idempotent command a minute, so a scheduling
library (Celery beat, APScheduler) would add a dependency and a process model without adding a guarantee.
"""
import signal
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from hub import scheduler


def tick() -> None:
    """Publish every revision whose approved go-live time has passed, unpublish every expired object, and send
    the reminders that are due (the core's and those the features registered)."""
    for command in scheduler.commands():
        call_command(command)


class Command(BaseCommand):
    help = "Publish and unpublish scheduled pages and snippets: once (--once), or every --interval seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and exit (for a systemd timer).")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between ticks (default 60).")

    def handle(self, *args, once, interval, **options):
        if once:
            tick()
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Scheduled publishing: checking every {interval:g} s.")
        while not stop.is_set():
            close_old_connections()  # a long-lived loop must not keep a connection the server has dropped
            try:
                tick()
            except Exception as exc:  # noqa: BLE001 — one failed tick must not end the loop; the next one retries
                self.stderr.write(f"scheduled publishing failed: {exc!r}")
            stop.wait(interval)
