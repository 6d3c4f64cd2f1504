"""ASGI entry point: HTTP through Django, websockets through Channels (session + same-origin check, hub/origin.py; the consumer resolves the user)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Load Django (and its apps) before anything imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from hub.meetings.consumers import direct_send  # noqa: E402
from hub.origin import SameOriginValidator  # noqa: E402
from hub.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # No AuthMiddleware (and second-factor gate) here: its thread hop and queries per handshake came on top of
        # the consumer's own. The one websocket consumer, live notes, resolves the session's user by the same rule
        # (hub.accounts.middleware.websocket_user) in the same call as its access query (consumers.handshake).
        "websocket": SameOriginValidator(direct_send(SessionMiddlewareStack(URLRouter(websocket_urlpatterns)))),
    }
)
