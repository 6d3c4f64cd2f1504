from django.urls import path

from hub.notifications import views as v

urlpatterns = [
    path("", v.inbox, name="notification_inbox"),
    path("read-all/", v.mark_all_read, name="notification_mark_all_read"),
    path("preferences/", v.preferences, name="notification_preferences"),
    path("<int:pk>/open/", v.open_notice, name="notification_open"),
]
