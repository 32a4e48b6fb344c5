from django.urls import path

from fengqiao.scoring import views

app_name = "scoring"

urlpatterns = [
    path("", views.table, name="table"),
    path("compute/", views.recompute, name="compute"),
    path("close/", views.close, name="close"),
    path("score/<int:pk>/", views.score, name="score"),
    path("score/<int:pk>/facts/<str:fact>/", views.fact_records, name="fact_records"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/new/", views.indicator_form, name="indicator_create"),
    path("indicators/<int:pk>/", views.indicator_form, name="indicator_edit"),
    path("assessments/", views.assessments, name="assessments"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("evaluation/results/", views.evaluation_results, name="evaluation_results"),
]
