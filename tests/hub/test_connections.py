"""Connections that last: requests in fresh threads (as under ASGI) reuse the process's PostgreSQL and Redis pools."""
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections

THREADS = 24


def in_fresh_threads(work, count=THREADS):
    """Run ``work`` in ``count`` new threads one after another, like one ASGI request each; return the results."""
    results = []

    def run():
        try:
            results.append(work())
        finally:
            connections.close_all()  # what Django does at the end of every request

    for _ in range(count):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
    return results


@pytest.mark.skipif(not settings.REDIS_URL, reason="Redis cache only with REDIS_URL")
def test_cache_in_fresh_threads_opens_no_new_redis_connections():
    import redis

    server = redis.Redis.from_url(settings.REDIS_URL)
    caches["default"].get("warm-up")  # the process's pool holds one connection now
    before = server.info("stats")["total_connections_received"]
    in_fresh_threads(lambda: caches["default"].set("pool-probe", 1) or caches["default"].get("pool-probe"))
    opened = server.info("stats")["total_connections_received"] - before
    # Other helpers' processes share the server: allow a little noise, far below one connection per thread.
    assert opened <= 3, opened


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_database_in_fresh_threads_reuses_pooled_sessions():
    pool_size = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]

    def backend_pid():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pids = in_fresh_threads(backend_pid)
    assert len(set(pids)) <= pool_size, pids


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_the_pool_reaches_postgresql_within_seconds_of_its_return_after_a_long_outage():
    """psycopg_pool's own back-off doubles the wait between reconnection attempts (1, 2, 4, 8 … s): after four failed
    attempts the next came 8 s later, however soon the server was back. With the project's pool options
    (hub/db/pool.py) it keeps trying about once a second."""
    from psycopg_pool import ConnectionPool

    from bench.bench_node import TcpProxy, wait_until

    params = connection.get_connection_params()
    relay = TcpProxy(params.get("host") or "127.0.0.1", int(params.get("port") or 5432))
    options = {**settings.DATABASES["default"]["OPTIONS"]["pool"], "min_size": 1, "max_size": 1, "timeout": 0.5}
    # The server's maintenance database (pytest-django uses it too): this test needs no table, only a session.
    kwargs = {**{k: v for k, v in params.items() if k in ("user", "password")}, "dbname": "postgres"}
    pool = ConnectionPool(kwargs={**kwargs, "host": "127.0.0.1", "port": relay.port}, open=False, **options)
    try:
        pool.open(wait=True, timeout=10)

        def works() -> bool:
            try:
                with pool.connection(timeout=0.3) as conn:
                    return conn.execute("SELECT 1").fetchone() == (1,)
            except Exception:  # noqa: BLE001 - down, or not reconnected yet
                return False

        assert works()
        relay.cut()
        assert not works()  # the pooled connection was cut: the pool drops it and starts reconnecting
        # Four failed attempts: psycopg_pool alone would now wait 8 s before its next one.
        assert wait_until(lambda: pool.get_stats().get("connections_errors", 0) >= 4, 30, 0.05), pool.get_stats()
        relay.restore()
        back = time.monotonic()
        assert wait_until(works, 30, 0.05)
        assert time.monotonic() - back < 3, f"reconnected {time.monotonic() - back:.1f} s after the return"
    finally:
        pool.close()
        relay.close()


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_pooled_sessions_do_not_jit_compile_queries():
    """The read rules' short queries are estimated above jit_above_cost; compiling one took 750 ms of a 20 ms
    documents search at ten times the demo data (issue 13), on every execution."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
