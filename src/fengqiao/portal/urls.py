from django.urls import path

from fengqiao.portal import views

app_name = "portal"
urlpatterns = [
    path("a/<str:code>", views.address_page, name="address"),
    path("track/", views.track, name="track"),
    path("track/progress/", views.track_progress, name="track_progress"),
    path("track/progress/add/", views.track_add, name="track_add"),
    path("track/progress/survey/", views.track_survey, name="track_survey"),
    path("track/leave/", views.track_leave, name="track_leave"),
]
