"""Site URLs of events, registrations, calendars, feeds and achievements."""
from django.urls import path

from cms import feeds, views

app_name = "cms"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/calendar.ics", views.ical_all, name="ical_all"),
    path("events/province/<str:code>.ics", views.ical_province, name="ical_province"),
    path("events/category/<slug:slug>.ics", views.ical_category, name="ical_category"),
    path("events/<int:pk>.ics", views.ical_event, name="ical_event"),
    path("events/feed/rss/", feeds.EventFeed(), name="event_rss"),
    path("events/feed/atom/", feeds.EventAtomFeed(), name="event_atom"),
    path("events/<int:pk>/register/", views.register, name="register"),
    path("events/<int:pk>/registrations/", views.registrations, name="registrations"),
    path("events/<int:pk>/registrations/export.<str:fmt>", views.registrations_export, name="registrations_export"),
    path("events/registrations/<int:pk>/decide/", views.registration_decide, name="registration_decide"),
    path("events/registration/<uuid:token>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("events/mine/", views.my_registrations, name="my_registrations"),
    path("events/mine/<int:pk>/cancel/", views.my_registration_cancel, name="my_registration_cancel"),
    path("achievements/", views.achievement_list, name="achievement_list"),
    path("achievements/feed/rss/", feeds.AchievementFeed(), name="achievement_rss"),
    path("achievements/feed/atom/", feeds.AchievementAtomFeed(), name="achievement_atom"),
    path("achievements/<int:pk>/adoptions/new/", views.adoption_create, name="adoption_create"),
    path("achievements/adoptions/<int:pk>/edit/", views.adoption_edit, name="adoption_edit"),
    path("achievements/adoptions/<int:pk>/delete/", views.adoption_delete, name="adoption_delete"),
]
