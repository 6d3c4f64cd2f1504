"""Connections that last: requests in fresh threads (as under ASGI) reuse the process's PostgreSQL and Redis pools."""
import threading

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
