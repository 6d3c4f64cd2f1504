"""The websocket Origin check: a page may open a socket only from the hub's own origin (scheme, host and port).

Channels' ``AllowedHostsOriginValidator`` compares the host alone, so any other service on the same host (another
port, cookies are not port-scoped) could open the notes with a visitor's session. Here the Origin must equal the
origin the handshake was addressed to: its ``Host`` header (an allowed host, port included) with the scheme the
socket came in on (``wss`` behind the proxy: uvicorn takes it from ``X-Forwarded-Proto``). A handshake without a
``Host`` header (only in-process test clients) must come from one of ``CSRF_TRUSTED_ORIGINS`` exactly.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host: str, port) -> tuple[str, str, int] | None:
    if scheme not in DEFAULT_PORTS or not host:
        return None
    try:
        port = int(port) if port not in (None, "") else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, host.lower().strip("[]"), port


def parse_origin(value: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(value.strip())
        return _origin(parts.scheme.lower(), parts.hostname or "", parts.port)
    except ValueError:
        return None


def request_origin(scope, host: str) -> tuple[str, str, int] | None:
    """The origin the handshake was addressed to; None unless its host is an allowed host."""
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    return _origin(scheme, domain, port)


def trusted_origins() -> set[tuple[str, str, int]]:
    return {o for o in map(parse_origin, settings.CSRF_TRUSTED_ORIGINS) if o is not None}


def origin_allowed(scope) -> bool:
    headers = scope.get("headers") or []
    values = [v for k, v in headers if k == b"origin"]
    if len(values) != 1:
        return False
    origin = parse_origin(values[0].decode("latin1"))
    if origin is None:
        return False
    hosts = [v.decode("latin1") for k, v in headers if k == b"host"]
    if hosts:
        return origin == request_origin(scope, hosts[0])
    # Only in-process ASGI clients (tests) send no Host: then the configured trusted origins stand in.
    return origin in trusted_origins()


class SameOriginValidator:
    """ASGI middleware: refuse (HTTP 403) a websocket handshake whose Origin is not the hub's own."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
