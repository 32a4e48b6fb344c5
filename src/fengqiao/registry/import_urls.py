from django.urls import path

from fengqiao.registry import import_views

app_name = "registry_import"
urlpatterns = [
    path("", import_views.index, name="index"),
    path("<int:pk>/", import_views.job, name="job"),
    path("<int:pk>/status/", import_views.job_status, name="job_status"),
    path("export/<str:kind>/", import_views.export, name="export"),
]
