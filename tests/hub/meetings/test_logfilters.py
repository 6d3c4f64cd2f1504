"""A Redis outage reaches the log as the rooms' one outage line, whatever exception channels-redis logs it with."""
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from hub.meetings import room
from hub.meetings.logfilters import ChannelLayerOutage


def record_of(exc: BaseException) -> logging.LogRecord:
    """The record channels-redis logs with ``logger.exception`` from its receive task."""
    return logging.LogRecord("channels_redis.pubsub", logging.ERROR, __file__, 1, "Task exception", None,
                             (type(exc), exc, exc.__traceback__))


def closed_transport_during_reconnect() -> BaseException:
    """What uvloop raised under load in the Redis fault test: redis-py reconnecting on a closed transport."""
    try:
        try:
            raise RedisConnectionError("Connection closed by server.")
        except RedisConnectionError:
            raise RuntimeError("unable to perform operation on <TCPTransport closed=True reading=False>; "
                               "the handler is closed")
    except RuntimeError as exc:
        return exc


@pytest.fixture
def health(monkeypatch):
    health = room.LayerHealth()
    monkeypatch.setattr(room, "layer_health", health)
    return health


@pytest.mark.parametrize("exc", [RedisConnectionError("Connection closed by server."), ConnectionRefusedError(111),
                                 closed_transport_during_reconnect()], ids=["redis", "refused", "closed-transport"])
def test_a_lost_connection_is_the_outage_line_not_a_traceback(exc, health):
    assert ChannelLayerOutage().filter(record_of(exc)) is False
    assert health.down


def test_other_errors_pass_with_their_traceback(health):
    assert ChannelLayerOutage().filter(record_of(RuntimeError("a bug of ours"))) is True
    assert ChannelLayerOutage().filter(record_of(ValueError("bad frame"))) is True
    assert not health.down
