from django.urls import path

from expert_pool import views

app_name = "expert_pool"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("export.xlsx", views.export, name="export"),
    path("api/experts.json", views.api_directory, name="api_directory"),
    path("api/picker.json", views.api_picker, name="api_picker"),
    path("import/", views.import_experts, name="import"),
    path("register/", views.register, name="register"),
    path("me/", views.my_profile, name="my_profile"),
    path("me/contact/", views.my_contact_consent, name="contact_consent"),
    path("me/availability/", views.my_availability, name="my_availability"),
    path("me/availability/<int:pk>/delete/", views.availability_delete, name="availability_delete"),
    path("me/conflicts/", views.my_conflicts, name="my_conflicts"),
    path("me/conflicts/<int:pk>/delete/", views.conflict_delete, name="conflict_delete"),
    path("tasks/", views.tasks, name="tasks"),
    path("calendar/", views.pool_calendar, name="pool_calendar"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/draw/", views.request_draw, name="request_draw"),
    path("assignments/<int:pk>/<str:step>/", views.assignment_step, name="assignment_step"),
    path("draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("draws/<int:pk>/reserve/", views.draw_reserve, name="draw_reserve"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/manage/", views.manage, name="manage"),
    path("<int:pk>/compare/<int:other>/", views.compare, name="compare"),
]
