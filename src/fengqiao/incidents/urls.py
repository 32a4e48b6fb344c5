from django.urls import include, path

from fengqiao.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.intake, name="intake"),
    path("duty/", views.duty, name="duty"),
    path("suggest-category/", views.suggest_category, name="suggest_category"),
    path("address-options/", views.address_options, name="address_options"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/transition/", views.transition, name="transition"),
    path("<int:pk>/correct/", views.correct, name="correct"),
    path("<int:pk>/locate/", views.locate, name="locate"),
    path("<int:pk>/category/", views.categorise, name="categorise"),
    path("<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    # 吹哨报到 and the briefings are mounted here too (their own url modules):
    path("", include("fengqiao.incidents.whistle_urls")),
    path("", include("fengqiao.incidents.brief_urls")),
]
