from django.urls import path

from fengqiao.dashboards import report_views

app_name = "dashboard_reports"
urlpatterns = [
    path("", report_views.reports_page, name="page"),
    path("report.xlsx", report_views.report_xlsx, name="xlsx"),
    path("report.pdf", report_views.report_pdf, name="pdf"),
]
