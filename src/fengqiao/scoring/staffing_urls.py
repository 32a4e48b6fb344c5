"""警力配置: the staffing and coverage checks, mounted at ``/staffing/``."""

from django.urls import path

from fengqiao.scoring import staffing_views

app_name = "staffing"
urlpatterns = [
    path("", staffing_views.page, name="page"),
    path("districts/", staffing_views.districts, name="districts"),
]
