"""The roundtable core. One module per area; import them here so Django finds every model."""
from .provinces import Association, Province  # noqa: F401
from .meetings import ActionItem, Addendum, AgendaItem, Meeting, Minutes, MinutesAnswer, NoteClient, NoteSnapshot, NoteUpdate, Participant, RotationSlot  # noqa: F401, E501
