"""The home page a user lands on after signing in, mounted at the site's root."""

from django.urls import path

from fengqiao.home import views

app_name = "home"
urlpatterns = [path("", views.home, name="home")]
