from django.urls import path, re_path

from fengqiao.addresses import views

app_name = "addresses"
urlpatterns = [
    re_path(r"^(?P<pk>[0-9]+)/qr\.(?P<fmt>svg|png)$", views.qr_code, name="qr"),
    path("doorplates.pdf", views.sheet, name="sheet"),
    path("suggest/", views.suggest, name="suggest"),
]
