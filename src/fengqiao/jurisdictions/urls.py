from django.urls import path

from fengqiao.jurisdictions import boundary_views, views

app_name = "jurisdictions"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/children/", views.children, name="children"),
    path("<int:pk>/boundaries/", boundary_views.unit_boundaries, name="boundaries"),
    path(
        "<int:pk>/boundaries/<int:upload_pk>/",
        boundary_views.boundary_upload,
        name="boundary_upload",
    ),
    path(
        "<int:pk>/boundaries/<int:upload_pk>/status/",
        boundary_views.boundary_upload_status,
        name="boundary_upload_status",
    ),
    path(
        "<int:pk>/boundaries/<int:upload_pk>/preview.svg",
        boundary_views.boundary_preview,
        name="boundary_preview",
    ),
]
