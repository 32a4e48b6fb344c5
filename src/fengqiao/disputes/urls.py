from django.urls import include, path

from fengqiao.disputes.intake import views

app_name = "disputes"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("prior/", views.prior, name="prior"),
    path("screening/", views.screening, name="screening"),
    path("party/<int:pk>/reveal/<str:field>/", views.reveal_party, name="reveal_party"),
    # Each part of the work mounts its own pages (their own url modules), before the
    # case page's <code>/ so that fixed words such as stats/ stay theirs:
    path("", include("fengqiao.disputes.mediators.urls")),
    path("", include("fengqiao.disputes.records.urls")),
    path("", include("fengqiao.disputes.documents.urls")),
    path("", include("fengqiao.disputes.risk.urls")),
    path("", include("fengqiao.disputes.stats.urls")),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/transition/", views.transition, name="transition"),
    path("<str:code>/accept/", views.accept, name="accept"),
    path("<str:code>/extend/", views.extend, name="extend"),
    path("<str:code>/party/<int:party_id>/consent/", views.consent, name="consent"),
]
