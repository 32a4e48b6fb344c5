"""每日研判: mounted inside the ``incidents`` namespace by ``fengqiao.incidents.urls``."""

from django.urls import path

from fengqiao.incidents import brief_views

urlpatterns = [
    path("brief/", brief_views.brief, name="brief"),
    path("brief.pdf", brief_views.brief_pdf_download, name="brief_pdf"),
]
