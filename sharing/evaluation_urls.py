from django.urls import path

from sharing import evaluation_views as views

app_name = "evaluations"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("verify/", views.verify, name="verify"),
    path("certificates/<str:code>.pdf", views.certificate, name="certificate"),
    path("recognition/", views.recognition_matrix, name="matrix"),
    path("mine/", views.my_applications, name="mine"),
    path("register/", views.enterprise_sign_up, name="sign_up"),
    path("review/", views.review_list, name="review"),
    path("sheets/<int:sheet_id>/", views.sheet, name="sheet"),
    path("results/<int:result_id>/objection/", views.objection, name="objection"),
    path("<int:pk>/", views.programme_detail, name="programme"),
    path("<int:pk>/apply/", views.application_edit, name="apply"),
    path("<int:pk>/apply/<int:application_id>/", views.application_edit, name="apply_edit"),
    path("<int:pk>/manage/", views.manage, name="manage"),
    path("<int:pk>/manage/do/", views.manage_action, name="manage_action"),
    path("check/", views.check, name="check"),
    path("enterprises/<int:pk>/", views.enterprise_results, name="enterprise"),
    path("new/", views.programme_new, name="new"),
    path("<int:pk>/rubric/", views.rubric, name="rubric"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("calendar.ics", views.calendar_all, name="ical_all"),
    path("<int:pk>.ics", views.programme_ical, name="ical"),
    path("<int:pk>/export.xlsx", views.export, name="export"),
    path("<int:pk>/recognise/<str:code>/", views.recognise, name="recognise"),
]
