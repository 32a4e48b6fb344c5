"""吹哨报到 pages, mounted inside the ``incidents`` namespace by incidents/urls.py."""

from django.urls import path

from fengqiao.incidents import whistle_views as views

urlpatterns = [
    path("whistles/", views.whistle_home, name="whistle_home"),
    path("whistles/inbox/", views.whistle_inbox, name="whistle_inbox"),
    path("whistles/raised/", views.whistle_raised, name="whistle_raised"),
    path("whistles/board/", views.whistle_board, name="whistle_board"),
    path("whistles/new/", views.whistle_new, name="whistle_new"),
    path("whistles/<int:pk>/", views.whistle_detail, name="whistle_detail"),
    path("whistles/<int:pk>/act/", views.whistle_act, name="whistle_act"),
]
