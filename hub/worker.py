"""One production ASGI worker: ``python -m hub.worker --uds /run/hub/worker-1.sock`` (or ``--host``/``--port``).

Production runs several of these behind nginx, sharing PostgreSQL and Redis (README, "Production deployment").
The settings live here so that production, the benchmark and the multi-process test start the same server:
uvicorn on uvloop with httptools and the sans-I/O websockets protocol. Measured with ``bench/notes_latency.py``,
this serves live notes about twice as fast as daphne, whose Twisted/Autobahn send path dominated a busy
meeting's profile. ``make run`` keeps daphne's ``runserver`` for its auto-reload (daphne/Autobahn accepts no
permessage-deflate unless configured to, so it does not compress either).

No websocket compression: browsers and Node's ``ws`` offer permessage-deflate and uvicorn accepts it by default,
which compresses every relayed frame once per recipient and makes every client inflate every frame. Yjs frames
are a few dozen bytes (nothing to gain), and neither y-websocket's server nor Hocuspocus compresses. Measured with
``bench/notes_latency.py --offer-deflate`` (README, "Measured").
"""
from __future__ import annotations

import argparse
import gc
import os

import uvicorn

#: Frames above the notes limit (1 MiB, closed with 4413 by the consumer) up to this size reach the consumer so
#: the client gets the documented close code; anything larger is refused by the server itself (1009).
WS_MAX_SIZE = 2 * 1024 * 1024


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m hub.worker", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--uds", help="listen on this unix socket instead of host and port")
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    return parser.parse_args(argv)


def warm_up() -> None:
    """Load, before the first request, what the first request would otherwise wait for: jieba's dictionary (about a
    second; several under load), which search and indexing need, the first pages, and the live-notes statements.
    Only the worker does this: ``manage.py`` commands that never search do not pay for it."""
    import jieba

    from hub.search import tokenizer

    tokenizer().cut("质量", HMM=False)  # the site search's own tokenizer (hub/search.py)
    jieba.initialize()  # jieba's default tokenizer, which the expert directory's search uses
    from hub.accounts import sessions
    from hub.meetings import selectors as notes

    # Live notes' handshake, re-check and session statements (no database needed): ~20 ms of Python each, which
    # the first joiner of a meeting after a deploy paid.
    notes.compile_statements()
    sessions.compile_statements()
    # One search page and the home page requested through the whole stack (middleware, URL resolvers, templates,
    # translation catalogues, the database pool), with the page and fragment caches off so nothing is stored: the
    # first visitor's search then costs what any other does. A database that is not up yet must not stop the worker
    # from starting.
    try:
        from urllib.parse import quote

        from django.conf import settings
        from django.db import connections
        from django.test import Client
        from django.test.utils import override_settings

        host = next((h for h in settings.ALLOWED_HOSTS if h and h[0] not in ".*"), "localhost")
        with override_settings(HUB_PAGE_CACHE_ENABLED=False):
            client = Client(HTTP_HOST=host)
            for path in ("/search/?q=" + quote("标准互认"), "/"):
                client.get(path, secure=True, HTTP_X_FORWARDED_PROTO="https")  # as nginx forwards it
        connections.close_all()
        # A live-notes room's first document, inside an event loop: pycrdt then loads its async backend (anyio's
        # asyncio module), which the first meeting's joiners would otherwise wait for.
        import asyncio

        import pycrdt

        async def first_document():
            pycrdt.Doc()

        asyncio.run(first_document())
    except Exception:  # noqa: BLE001 - warming up is an optimisation only
        import logging

        logging.getLogger(__name__).warning("search warm-up skipped", exc_info=True)


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
    from hub.asgi import application

    warm_up()

    # Everything loaded so far (Django, Wagtail, the URL conf) lives as long as the process: keep it out of the
    # cyclic collector's work, which otherwise rescans it in every full collection (latency spikes).
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(
        application,
        host=args.host, port=args.port, uds=args.uds,
        loop="uvloop", http="httptools", ws="websockets-sansio", ws_max_size=WS_MAX_SIZE,
        ws_per_message_deflate=False,
        lifespan="off",  # Channels' router has no lifespan protocol
        proxy_headers=True,  # trusts X-Forwarded-* from FORWARDED_ALLOW_IPS (default 127.0.0.1), i.e. nginx
        access_log=False, log_level=args.log_level,
    )
    StoringServer(config).run()


class StoringServer(uvicorn.Server):
    async def shutdown(self, sockets=None) -> None:
        """SIGTERM/SIGINT: uvicorn stops accepting and closes every socket (1012, clients reconnect elsewhere);
        then every room stores what it still holds — its own edits and peers' edits not yet confirmed stored —
        before the process exits."""
        from hub.meetings.link import close_link
        from hub.meetings.room import close_db, registry

        await super().shutdown(sockets=sockets)
        await registry.store_all()
        await close_link()
        await close_db()  # the lookup threads keep their connections while the worker runs


if __name__ == "__main__":
    main()
