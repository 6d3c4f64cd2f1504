"""ASGI entry point: HTTP through Django, websockets through Channels' router (same-origin check, hub/origin.py; the consumer reads the session and resolves the user)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Load Django (and its apps) before anything imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from hub.origin import SameOriginValidator  # noqa: E402
from hub.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # No session or auth middleware here: the one websocket consumer, live notes, reads the session cookie
        # itself and resolves the session's user by the same rule as Channels' AuthMiddleware and the second-factor
        # gate (hub.accounts.middleware.websocket_user), in the same thread hop as its access query
        # (consumers.handshake); the middleware would add a thread hop and queries per handshake and a session check
        # per outgoing frame.
        "websocket": SameOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
