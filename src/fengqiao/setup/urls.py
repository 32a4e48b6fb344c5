from django.urls import path

from fengqiao.setup import views

app_name = "setup"
urlpatterns = [
    path("", views.setup_page, name="page"),
    path("place/", views.place, name="place"),
]
