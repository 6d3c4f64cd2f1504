"""Websocket routes. Consumers stay thin: authenticate, authorise through the gate, hand frames to services."""
from django.urls import path

from hub.meetings.consumers import NotesConsumer

websocket_urlpatterns = [
    path("ws/notes/<int:meeting_id>", NotesConsumer.as_asgi()),
]
