"""The roundtable core. One module per area; import them here so Django finds every model."""
from .provinces import Association, Province  # noqa: F401
from .meetings import (  # noqa: F401
    ActionItem, Addendum, AgendaItem, Meeting, MinutesAnswer, Minutes, NoteClient, NoteSnapshot, NoteUpdate, Participant,
    RotationSlot,
)
