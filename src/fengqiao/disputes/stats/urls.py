"""矛盾纠纷统计: mounted inside the ``disputes`` namespace by ``fengqiao.disputes.urls``."""

from django.urls import path

from fengqiao.disputes.stats import views as stats_views

urlpatterns = [
    path("stats/", stats_views.statistics_page, name="stats"),
    path("stats/export/", stats_views.statistics_export, name="stats_export"),
    path("stats/report.xlsx", stats_views.monthly_report_download, name="stats_report"),
]
