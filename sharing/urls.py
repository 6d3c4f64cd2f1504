from django.urls import path

from sharing import views

app_name = "standards"
urlpatterns = [
    path("", views.registry, name="registry"),
    path("export.xlsx", views.registry_export, name="registry_export"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix/export.xlsx", views.matrix_export, name="matrix_export"),
    path("import/", views.import_standards, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/text/", views.full_text, name="full_text"),
    path("<int:pk>/propose/", views.propose, name="propose"),
    path("<int:pk>/decide/<str:code>/", views.decide, name="decide"),
    path("<int:pk>/comments/", views.comments, name="comments"),
    path("<int:pk>/comments/export.xlsx", views.comments_export, name="comments_export"),
    path("comments/<int:comment_id>/dispose/", views.dispose, name="dispose"),
]
