"""The roundtable core. One module per area; import them here so Django finds every model."""
from hub.meetings.models import (  # noqa: F401
    ActionItem,
    Addendum,
    AgendaItem,
    Meeting,
    Minutes,
    MinutesAnswer,
    NoteClient,
    NoteClock,
    NoteSnapshot,
    NoteUpdate,
    Participant,
    RotationSlot,
)
from hub.notifications.models import Notification, NotificationPreference  # noqa: F401

from .provinces import Association, Province  # noqa: F401
