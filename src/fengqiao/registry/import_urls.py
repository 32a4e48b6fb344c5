from django.urls import path

from fengqiao.registry import import_views, review_views

app_name = "registry_import"
urlpatterns = [
    path("", import_views.index, name="index"),
    path("<int:pk>/", import_views.job, name="job"),
    path("<int:pk>/status/", import_views.job_status, name="job_status"),
    path("export/<str:kind>/", import_views.export, name="export"),
    path("template/<str:kind>/", import_views.template, name="template"),
    path("<int:pk>/rejects/", import_views.rejects, name="rejects"),
    path("review/", review_views.queue, name="review"),
    path("review/group/", review_views.group, name="review_group"),
    path("review/<int:pk>/", review_views.item, name="review_item"),
]
