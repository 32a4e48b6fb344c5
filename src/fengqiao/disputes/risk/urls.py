"""民转刑 early-warning pages, mounted inside the ``disputes`` namespace by
disputes/urls.py. Two segments each: ``<code>/`` (one segment) is the case page."""

from django.urls import path

from fengqiao.disputes.risk import views

urlpatterns = [
    path("risk/warnings/", views.risk_list, name="risk_list"),
    path("risk/notices/", views.risk_notices, name="risk_notices"),
    path("risk/notices/<int:pk>/read/", views.risk_notice_read, name="risk_notice_read"),
    path("<str:code>/risk/refresh/", views.risk_refresh, name="risk_refresh"),
]
