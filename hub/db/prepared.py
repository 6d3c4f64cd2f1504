"""Run a statement compiled once as a server-side prepared statement of the connection's PostgreSQL session.

Django's cursors bind parameters on the client, so PostgreSQL plans every statement anew at every execution. For a
statement that runs on every handshake or page (the notes handshake's access statement, the session read) planning
cost more than running it: prepared, PostgreSQL plans it once per session and keeps the plan. Callers compile
their statement with the ORM once (``query.sql_with_params()``) and rebind its parameters on each call.
"""
from __future__ import annotations

import re


def fetch_one(connection, sql: str, params: list) -> tuple | None:
    """One row of ``sql`` (``%s`` placeholders) with ``params``; prepared on PostgreSQL, a plain cursor elsewhere."""
    with _cursor(connection) as cursor:
        cursor.execute(_statement(connection, sql), params)
        return cursor.fetchone()


def fetch_all(connection, sql: str, params: list) -> list[tuple]:
    """Every row of ``sql`` with ``params``, as ``fetch_one``."""
    with _cursor(connection) as cursor:
        cursor.execute(_statement(connection, sql), params)
        return cursor.fetchall()


def _statement(connection, sql: str) -> str:
    return numbered(sql) if connection.vendor == "postgresql" else sql


def _cursor(connection):
    """On PostgreSQL a cursor that binds on the server (``numbered`` statements), wrapped as Django wraps its own
    (errors, query logging and counting). Only such cursors prepare: Django's own bind on the client and never do,
    whatever the connection's threshold. Elsewhere Django's own cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = 0  # Django turns preparing off (None); 0: a server-bound statement is prepared at once
    if not getattr(raw, "_hub_generic_plans", False):
        # One generic plan from the first execution instead of five custom ones first (15-20 ms each for the
        # handshake's statement under load): a new session's first executions cost what later ones do. Only
        # prepared statements are affected.
        raw.execute("SET plan_cache_mode = force_generic_plan")
        raw._hub_generic_plans = True
    cursor = psycopg.RawCursor(raw)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


_numbered: dict[str, str] = {}


def numbered(sql: str) -> str:
    """``sql`` with PostgreSQL's own placeholders ($1, $2, ...) for Django's ``%s`` (and ``%`` for ``%%``), converted
    once per statement. A raw cursor sends it as it is; psycopg's ``Cursor`` would convert it on every execution
    (it caches conversions only of statements up to 4 KiB, and the notes handshake's is longer): that conversion
    was half of the handshake's time in psycopg."""
    converted = _numbered.get(sql)
    if converted is None:
        parts, count = [], 0
        for i, piece in enumerate(_PLACEHOLDER.split(sql)):
            if i % 2 == 0:
                if "%" in piece:
                    raise ValueError(f"unexpected % in statement: {piece[:80]!r}")
                parts.append(piece)
            elif piece == "%%":
                parts.append("%")
            else:
                count += 1
                parts.append(f"${count}")
        converted = _numbered[sql] = "".join(parts)
    return converted


_PLACEHOLDER = re.compile(r"(%%|%s)")
