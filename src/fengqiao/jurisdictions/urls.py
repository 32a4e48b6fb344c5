from django.urls import path

from fengqiao.jurisdictions import boundary_views, views

app_name = "jurisdictions"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/children/", views.children, name="children"),
    # 辖区维护 (administrators, within their scope)
    path("changes/", views.changes, name="changes"),
    path("changes/<int:pk>/undo/", views.undo, name="undo"),
    path("<int:pk>/", views.manage, name="manage"),
    path("<int:pk>/add/", views.add, name="add"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/coverage/", views.coverage, name="coverage"),
    path("<int:pk>/lead/", views.lead, name="lead"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/retire/", views.retire, name="retire"),
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
