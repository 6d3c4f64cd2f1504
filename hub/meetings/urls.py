"""URLs of the roundtable core (meetings and the like are added here)."""
from django.urls import path

from hub.meetings import views as v

urlpatterns = [
    path("meetings/", v.meeting_list, name="meeting_list"),
    path("meetings/new/", v.meeting_create, name="meeting_create"),
    path("meetings/rotation/", v.rotation, name="meeting_rotation"),
    path("meetings/<int:pk>/", v.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/authors.json", v.meeting_authors, name="meeting_authors"),
    path("meetings/<int:pk>/notes.yjs", v.notes_stored, name="notes_stored"),
    path("meetings/<int:pk>/start/", v.meeting_start, name="meeting_start"),
    path("meetings/<int:pk>/close/", v.meeting_close, name="meeting_close"),
    path("meetings/<int:pk>/answer/", v.minutes_answer, name="minutes_answer"),
    path("meetings/<int:pk>/addendum/", v.addendum_add, name="minutes_addendum"),
    path("meetings/<int:pk>/history/", v.meeting_history, name="meeting_history"),
    path("meetings/<int:pk>/checkpoint/", v.checkpoint_create, name="notes_checkpoint"),
    path("meetings/<int:pk>/restore/", v.notes_restore, name="notes_restore"),
    path("meetings/<int:pk>/participants/", v.participants, name="meeting_participants"),
    path("meetings/<int:pk>/participants/<int:participant_id>/remove/", v.participant_remove,
         name="meeting_participant_remove"),
    path("meetings/<int:pk>/minutes.<str:fmt>", v.minutes_export_view, name="minutes_export"),
    path("actions/", v.action_items, name="action_items"),
    path("actions/province/<str:code>/", v.action_items, name="province_action_items"),
    path("actions/<int:item_id>/done/", v.action_item_done, name="action_item_done"),
]
