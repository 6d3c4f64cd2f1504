"""How the process's psycopg pool (settings.DATABASES) finds PostgreSQL again after an outage.

psycopg_pool retries a lost connection with exponential back-off (1, 2, 4, 8, 16 … s, for ``reconnect_timeout``,
five minutes by default). After a 10-second outage its next attempt came up to 8 s after the server was back, and
requests and the notes rooms waited for it (live notes converged 8.5 s after PostgreSQL's return, measured with
``bench/notes_faults.py --faults postgres``). With a short ``reconnect_timeout`` a chain of attempts gives up after
about two seconds and ``keep_reconnecting`` starts a fresh one, so the pool tries about once a second for as long as
the server is away and takes at most about a second to notice its return.
"""
from __future__ import annotations

#: Seconds one chain of reconnection attempts lasts (attempts at 0 and 1 s) before keep_reconnecting starts another.
RECONNECT_SECONDS = 2.0


def keep_reconnecting(pool) -> None:
    """psycopg_pool's ``reconnect_failed`` callback (run on the pool's maintenance thread): try again at once.
    ``check()`` lets the pool grow by one connection when it is below its maximum and not growing already, which is
    exactly the state a chain that gave up leaves; the new chain starts with a fresh, short back-off."""
    if not pool.closed:
        pool.check()
