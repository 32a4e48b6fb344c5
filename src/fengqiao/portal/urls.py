from django.urls import path

from fengqiao.portal import views

app_name = "portal"
urlpatterns = [path("a/<str:code>", views.address_page, name="address")]
