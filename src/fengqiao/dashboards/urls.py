from django.urls import path

from fengqiao.dashboards import dashboard_views
from fengqiao.home import views as home_views

app_name = "dashboards"
urlpatterns = [
    path("", home_views.home, name="home"),  # 我的工作 (the home app)
    # 一屏尽览
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/records/", dashboard_views.records, name="records"),
    path("dashboard/<int:node_id>/", dashboard_views.dashboard, name="node"),
    path("dashboard/<int:node_id>/screen/", dashboard_views.screen, name="screen"),
    path("dashboard/<int:node_id>/map.geojson", dashboard_views.map_geojson, name="map"),
]
