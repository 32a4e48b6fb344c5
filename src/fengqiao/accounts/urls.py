from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from fengqiao.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    re_path(r"^staff/export\.(?P<fmt>csv|xlsx)$", views.staff_export, name="staff_export"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/reveal/<str:field>/", views.staff_reveal, name="staff_reveal"),
    path("staff/<int:pk>/activation/", views.activation_issue, name="activation_issue"),
    path("staff/<int:pk>/tokens/", views.token_issue, name="token_issue"),
    path("staff/<int:pk>/tokens/<int:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
]
