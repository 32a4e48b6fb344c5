"""调解文书 downloads, mounted inside the ``disputes`` namespace by disputes/urls.py."""

from django.urls import path

from fengqiao.disputes.documents import views

urlpatterns = [
    path("<str:code>/documents/agreement.pdf", views.agreement, name="document_agreement"),
    path("<str:code>/documents/application.pdf", views.application, name="document_application"),
    path("<str:code>/documents/confirmation.pdf", views.confirmation, name="document_confirmation"),
    path(
        "<str:code>/documents/follow-ups/<int:pk>.pdf",
        views.follow_up,
        name="document_follow_up",
    ),
]
