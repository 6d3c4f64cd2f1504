"""Django's PostgreSQL backend on its psycopg pool, answering at once while the server cannot be reached.

A request that needs a connection waits for a pooled one up to the pool's ``timeout`` (10 s): right for a burst that
holds every pooled connection, wrong while PostgreSQL is down, when every page and ``/healthz`` hung for the whole
timeout before their 503. So a request first waits ``PROBE_AFTER`` seconds; if no pooled connection came, one direct
connection attempt (bounded by ``connect_timeout``) tells a busy pool from a server that is down:

- the server answers: the pool is only busy, and the request waits for it as before (Django's own code path);
- it does not: the request fails at once with ``OperationalError`` (``hub.views.server_error`` answers 503), and
  so does every request of this process for ``RETRY_SECONDS`` without trying. The pool, whose failed attempts back
  off for up to minutes, is dropped: the first request after the server's return builds a fresh one.
"""
from __future__ import annotations

import threading
import time

from django.db.backends.postgresql import base

from hub.db.health import database_health

#: Seconds a request waits for a pooled connection before asking whether the server is there at all.
PROBE_AFTER = 0.5
#: Seconds after a failed attempt during which the process answers "down" without trying again.
RETRY_SECONDS = 1.0
#: Bound on the direct attempt (libpq's connect_timeout, whole seconds) unless the settings give one.
CONNECT_TIMEOUT = 2

_lock = threading.Lock()
_down_until = 0.0


def mark_down() -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_SECONDS


def forget_down() -> None:
    """Try the server at the next request (tests that bring it back)."""
    global _down_until
    _down_until = 0.0


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        pool = self.pool
        if pool is not None:
            if time.monotonic() < _down_until:
                raise self.Database.OperationalError("the database could not be reached a moment ago (hub.db)")
            pool.open()
            try:
                pool.putconn(pool.getconn(timeout=min(PROBE_AFTER, pool.timeout)))
            except self.Database.OperationalError:  # PoolTimeout, or a pool another thread just closed
                if not self._server_answers(conn_params):
                    mark_down()
                    database_health.failed(self.Database.OperationalError("the server does not answer"))
                    with _lock:
                        if self._connection_pools.get(self.alias) is pool:
                            self.close_pool()
                    raise self.Database.OperationalError("the database cannot be reached (hub.db)") from None
        connection = super().get_new_connection(conn_params)
        if database_health.down:
            # After an outage a pooled connection may be one the server closed: only a query tells, and only its
            # answer means the database is back (one round trip per new connection, while marked down only).
            try:
                connection.execute("SELECT 1")
                connection.rollback()  # Django sets autocommit next: the connection must be idle
            except self.Database.Error:
                if pool is not None:
                    pool.putconn(connection)  # a broken connection is discarded by the pool, not handed out again
                else:
                    connection.close()
                raise
            database_health.ok()
        return connection

    def _server_answers(self, conn_params) -> bool:
        params = dict(conn_params)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT)
        try:
            self.Database.connect(**params).close()
        except self.Database.Error:
            return False
        return True
