"""The session engine: Django's database sessions, read with one prepared statement (``SESSION_ENGINE``).

Django's ``db`` backend reads a session through the ORM: it builds and compiles the query on every read and
PostgreSQL plans it anew each time. That was 0.7 ms of a worker's CPU per read against 0.1 ms for the same
statement compiled once and prepared (``hub.db.prepared``), measured on a live-notes handshake, which reads the
session once per socket: 40 people joining a meeting paid it 40 times at once. Everything else is Django's own:
writing, expiry, the key rules, and the Redis cache in front when there is one (``hub.accounts.cached_sessions``).
"""
from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from hub.db import prepared

_statements: dict[tuple, tuple[str, list]] = {}  # (vendor, model, size): (SQL, each parameter's key place)
#: Sizes of the many-keys read (``load_many``): a batch is read by the smallest that holds it, the rest of its
#: places repeating one of its keys, in chunks of the largest.
MANY_SIZES = (1, 4, 16, 64)
_KEY_MARK = "\x00hub-session-key-{}"  # stand-ins for the keys while a statement is compiled (never a valid key)
_MISSING = object()


class PreparedRead:
    """``_get_session_from_db`` as Django's, one prepared statement instead of an ORM query per read; a row read
    ahead for many sessions at once (``load_many``) is taken instead of a query."""

    def _get_session_from_db(self):
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        row = self.__dict__.pop("_read_ahead", None)
        if row is None:
            row = _read(connection, model, [self.session_key]).get(self.session_key, _MISSING)
        if row is _MISSING:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=row[1])


def load_many(stores) -> None:
    """Load sessions as each one's first read would (Django's ``load``: the cache first when the engine has one,
    then the database, the cache filled from it), but in one cache round trip and one query for all of them: a
    burst of live-notes handshakes, or the rooms' re-check of everyone connected, paid a round trip each.
    Afterwards reading a store costs nothing. Stores of other engines are loaded one by one, as Django does."""
    from django.contrib.sessions.backends import cached_db

    stores = [s for s in stores if s.session_key is not None and "_session_cache" not in s.__dict__]
    ours = [s for s in stores if isinstance(s, PreparedRead)]
    pending = ours
    if ours and isinstance(ours[0], cached_db.SessionStore):
        try:
            cached = ours[0]._cache.get_many([s.cache_key for s in ours])
        except Exception:  # noqa: BLE001 - the cache away (or a key it refuses): each store reads the database
            cached = {}
        pending = []
        for store in ours:
            data = cached.get(store.cache_key)
            if data is None:
                pending.append(store)
            else:
                store._session_cache = data
    if pending:
        model = pending[0].model
        keys = list(dict.fromkeys(s.session_key for s in pending))
        rows = _read(connections[router.db_for_read(model)], model, keys)
        for store in pending:
            store._read_ahead = rows.get(store.session_key, _MISSING)
    for store in stores:
        store._get_session()  # Django's own load, taking the row read ahead (and filling the cache from it)
        store.__dict__.pop("_read_ahead", None)  # unused when another process cached the session meanwhile


def compile_statements() -> None:
    """Compile the many-keys reads of every size now (the worker's warm-up, ``hub.worker``)."""
    from django.contrib.sessions.models import Session

    for size in MANY_SIZES:
        _statement(connections[router.db_for_read(Session)], Session, size)


def _read(connection, model, keys: list[str]) -> dict[str, tuple]:
    """{key: (session data, expiry as the ORM loads it)} of the unexpired sessions among ``keys``."""
    now = timezone.now()
    when = model._meta.get_field("expire_date").get_db_prep_value(now, connection)
    found = {}
    largest = MANY_SIZES[-1]
    for start in range(0, len(keys), largest):
        chunk = keys[start:start + largest]
        size = next(n for n in MANY_SIZES if n >= len(chunk))
        sql, places = _statement(connection, model, size)
        params = [chunk[min(i, len(chunk) - 1)] if i is not None else when for i in places]
        for key, data, expiry in prepared.fetch_all(connection, sql, params):
            found[key] = (data, _expiry(connection, model, expiry))
    return found


def _statement(connection, model, size: int) -> tuple[str, list]:
    """The ORM's own statement for ``size`` keys, compiled once per vendor and size: its SQL and, per parameter,
    the key's place (or None for the time)."""
    key = (connection.vendor, model._meta.label, size)
    compiled = _statements.get(key)
    if compiled is None:
        marks = [_KEY_MARK.format(i) for i in range(size)]
        query = model.objects.using(connection.alias).filter(session_key__in=marks).filter(
            expire_date__gt=timezone.now()).values_list("session_key", "session_data", "expire_date").order_by()
        sql, params = query.query.sql_with_params()
        places = [marks.index(p) if p in marks else None for p in params]
        assert places.count(None) == 1 and len(places) == size + 1, sql
        compiled = _statements[key] = (sql, places)
    return compiled


def _expiry(connection, model, value):
    """The expiry as the ORM would load it (SQLite's text into an aware datetime, say): the backend's converters."""
    field = model._meta.get_field("expire_date")
    column = field.get_col(model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


class SessionStore(PreparedRead, db.SessionStore):
    pass
