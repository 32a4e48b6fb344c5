"""调解员、调解室与律师值班 pages, and the case page's assign and end buttons; mounted
inside the ``disputes`` namespace by disputes/urls.py. Every path has at least two
segments, so none is taken by the case page's ``<code>/``."""

from django.urls import path

from fengqiao.disputes.mediators import views

urlpatterns = [
    path("mediators/registry/", views.mediator_list, name="mediator_list"),
    path("mediators/new/", views.mediator_create, name="mediator_create"),
    path("mediators/<int:pk>/", views.mediator_detail, name="mediator_detail"),
    path("mediators/<int:pk>/edit/", views.mediator_edit, name="mediator_edit"),
    path("mediators/<int:pk>/reveal/<str:field>/", views.mediator_reveal, name="mediator_reveal"),
    path("mediators/<int:pk>/conflicts/", views.conflict_add, name="mediator_conflict_add"),
    path(
        "mediators/conflicts/<int:pk>/withdraw/",
        views.conflict_withdraw,
        name="mediator_conflict_withdraw",
    ),
    path("mediators/rooms/", views.room_list, name="room_list"),
    path("mediators/rooms/new/", views.room_create, name="room_create"),
    path("mediators/rooms/<int:pk>/rota/", views.rota_current, name="rota_current"),
    path("mediators/rooms/<int:pk>/rota/<int:year>/<int:month>/", views.rota, name="rota"),
    path(
        "mediators/rooms/<int:pk>/rota/<int:year>/<int:month>/generate/",
        views.rota_generate,
        name="rota_generate",
    ),
    path("mediators/rooms/<int:pk>/rota/swap/", views.rota_swap, name="rota_swap"),
    path("mediators/rooms/<int:pk>/rota/replace/", views.rota_replace, name="rota_replace"),
    path("<str:code>/mediators/assign/", views.assign, name="mediator_assign"),
    path(
        "<str:code>/mediators/<int:pk>/end/", views.end_assignment, name="mediator_end_assignment"
    ),
]
