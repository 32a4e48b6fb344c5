"""The mediation record and after-care pages, mounted in the ``disputes`` namespace by
disputes/urls.py. Every path has two segments or more, so none is taken for a case code
by the case page's ``<code>/``."""

from django.urls import path

from fengqiao.disputes.records import views

urlpatterns = [
    path("referrals/incoming/", views.transfers, name="records_transfers"),
    path("referrals/<int:pk>/respond/", views.referral_respond, name="records_referral_respond"),
    path("<str:code>/sessions/", views.session_add, name="records_session_add"),
    path("<str:code>/attachments/", views.attachment_add, name="records_attachment_add"),
    path(
        "<str:code>/attachments/<int:pk>/",
        views.attachment_download,
        name="records_attachment_download",
    ),
    path("<str:code>/referrals/", views.referral_add, name="records_referral_add"),
    path("<str:code>/agreement/", views.agreement_save, name="aftercare_agreement"),
    path("<str:code>/terms/<int:pk>/", views.term_mark, name="aftercare_term_mark"),
    path("<str:code>/confirmation/", views.confirmation_apply, name="aftercare_confirmation"),
    path(
        "<str:code>/confirmation/outcome/",
        views.confirmation_outcome,
        name="aftercare_confirmation_outcome",
    ),
    path("<str:code>/notarisation/", views.notarisation_apply, name="aftercare_notarisation"),
    path(
        "<str:code>/notarisation/outcome/",
        views.notarisation_outcome,
        name="aftercare_notarisation_outcome",
    ),
    path("<str:code>/follow-ups/<int:pk>/", views.follow_up_record, name="aftercare_follow_up"),
]
