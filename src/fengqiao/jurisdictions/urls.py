from django.urls import path

from fengqiao.jurisdictions import views

app_name = "jurisdictions"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/children/", views.children, name="children"),
]
