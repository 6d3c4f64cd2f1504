"""Logging filters of live notes, named in ``settings.LOGGING`` (so this module imports nothing of the app)."""
from __future__ import annotations

import logging


def _is_connection_error(exc: BaseException | None) -> bool:
    """A lost or refused connection, also when redis-py's reconnect then fails on the closed socket: uvloop raises
    RuntimeError ("unable to perform operation on <TCPTransport closed=True …>; the handler is closed") while
    handling the ConnectionError, so the connection error is in the chain, not the record's own exception."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class ChannelLayerOutage(logging.Filter):
    """channels-redis's pub/sub receive task logs a traceback for every failed poll, once a second per process for
    as long as Redis is away. A lost connection is no error of ours (the rooms catch up from the database), so it
    goes to the rooms' single outage line (room.LayerHealth: one line when Redis goes, one when it is back) and
    the record is dropped; anything else passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not _is_connection_error(exc):
            return True
        from hub.meetings.room import layer_health  # at run time only: the settings load this module

        layer_health.failed(exc)
        return False
