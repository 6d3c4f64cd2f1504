"""One log line when PostgreSQL stops answering and one when it is back, for the whole process.

While the database is down every page probe, every room's write (retried twice a second) and every room's tick
fails; logging each failure wrote about a hundred lines per outage, with a traceback per page answered 503
(Django's ``django.request`` logger records the exception of every response its handler500 gives). Everything
that notices the outage reports it here instead: ``failed`` logs the first failure of an outage, ``ok`` the first
success after it. This module imports nothing of the app: the settings name its log filter.
"""
from __future__ import annotations

import logging
import threading

log = logging.getLogger("hub.db")


class DatabaseHealth:
    def __init__(self):
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            if self.down:
                return
            self.down = True
        # Text only, no exception object: a kept record would keep its traceback and every frame in it alive.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        log.warning("database unreachable (%s: %s); pages answer 503 and live notes keep their edits until it is "
                    "back", type(exc).__name__, first)

    def ok(self) -> None:
        if not self.down:  # the common case, without the lock: called for every new connection
            return
        with self._lock:
            if not self.down:
                return
            self.down = False
        log.warning("database reachable again")


database_health = DatabaseHealth()


def is_unreachable(exc: BaseException | None) -> bool:
    """A database that cannot be reached (connection refused or lost, the server shutting down, hub.db's quick
    answer while it is down), as opposed to an error in a query."""
    if exc is None:
        return False
    from django.db import InterfaceError, OperationalError

    try:
        import psycopg
        import psycopg_pool
        driver = (psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout)
    except ImportError:  # SQLite-only installs
        driver = ()
    return isinstance(exc, (OperationalError, InterfaceError, *driver))


class DatabaseOutage(logging.Filter):
    """For ``django.request``: a response whose exception is the database being unreachable (a page answered 503
    during an outage) becomes the process's single outage line instead of a traceback per request, and a 503 a
    view answered itself (``/healthz``) is not logged per request; any other record passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if is_unreachable(exc):
            database_health.failed(exc)
            return False
        # A 503 the site answered itself (/healthz naming what is down): the outage is logged where it is noticed.
        return getattr(record, "status_code", None) != 503 or exc is not None
