"""Websocket routes. Consumers stay thin: authenticate, authorise through the gate, hand frames to services."""
websocket_urlpatterns = []
