"""Logging filters of live notes, named in ``settings.LOGGING`` (so this module imports nothing of the app)."""
from __future__ import annotations

import logging


def _is_connection_error(exc: BaseException) -> bool:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError))


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
