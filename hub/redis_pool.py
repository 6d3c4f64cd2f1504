"""One Redis connection pool per process, shared by every thread.

Django's ``RedisCache`` builds its client, and with it a connection pool, per cache object; cache objects are
thread-local, and under ASGI every sync view runs in a fresh executor thread, so each request opened a new Redis
connection (50 requests: 51 connections). Here the pools live at module level, keyed by server URL and options,
so the cache, the session store and anything else that asks ``shared_pool(url)`` reuse the same connections.
"""
from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict = {}
_lock = threading.Lock()


def shared_pool(url: str, pool_class=None, **options):
    """The process's pool for ``url`` and these options, created on first use."""
    import redis

    pool_class = pool_class or redis.ConnectionPool
    key = (url, pool_class, tuple(sorted((name, repr(value)) for name, value in options.items())))
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = pool_class.from_url(url, **options)
    return pool


def shared_client(url: str, **options):
    """A Redis client on the process's shared pool for ``url``."""
    import redis

    return redis.Redis(connection_pool=shared_pool(url, **options))


#: redis-py clients by pool: a client on a pool is safe to share between threads, and building one (Django builds
#: one per cache call) cost more than the command it sent.
_clients: dict = {}


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        return shared_pool(self._servers[index], self._pool_class, **self._pool_options)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get((pool, self._client))
        if client is None:
            client = _clients.setdefault((pool, self._client), self._client(connection_pool=pool))
        return client


class SharedPoolRedisCache(RedisCache):
    """Django's Redis cache on the process's shared connection pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient
