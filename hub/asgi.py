"""ASGI entry point: HTTP through Django, websockets through Channels (session auth + same-origin check, hub/origin.py)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hub.settings")
# Load Django (and its apps) before anything imports models or consumers.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from hub.accounts.middleware import WebsocketSecondFactorGate  # noqa: E402
from hub.meetings.consumers import direct_send  # noqa: E402
from hub.origin import SameOriginValidator  # noqa: E402
from hub.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(direct_send(AuthMiddlewareStack(
            WebsocketSecondFactorGate(URLRouter(websocket_urlpatterns))))),
    }
)
