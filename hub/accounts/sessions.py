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

_statements: dict[tuple, str] = {}


class PreparedRead:
    """``_get_session_from_db`` as Django's, one prepared statement instead of an ORM query per read."""

    def _get_session_from_db(self):
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        now = timezone.now()
        key = (connection.vendor, model._meta.label)
        compiled = _statements.get(key)
        if compiled is None:
            # The ORM's own statement, compiled once; its two parameters are the key and the time, in that order.
            query = model.objects.using(using).filter(session_key="").filter(expire_date__gt=now).values_list(
                "session_data", "expire_date")
            sql, params = query.query.sql_with_params()
            assert len(params) == 2 and params[0] == "", sql
            compiled = _statements[key] = sql
        when = model._meta.get_field("expire_date").get_db_prep_value(now, connection)
        row = prepared.fetch_one(connection, compiled, [self.session_key, when])
        if row is None:
            self._session_key = None
            return None
        # The expiry as the ORM would load it (SQLite's text into an aware datetime, say): the backend's converters.
        expiry, field = row[1], model._meta.get_field("expire_date")
        column = field.get_col(model._meta.db_table)
        for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
            expiry = convert(expiry, column, connection)
        return model(session_key=self.session_key, session_data=row[0], expire_date=expiry)


class SessionStore(PreparedRead, db.SessionStore):
    pass

