from django.urls import path

from fengqiao.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/reveal/<str:field>/", views.person_reveal, name="person_reveal"),
    path("communities/<int:pk>/", views.community, name="community"),
    path("addresses/new/", views.address_create, name="address_create"),
    path("houses/<int:pk>/", views.house, name="house"),
    path("houses/<int:pk>/reveal/<str:field>/", views.house_reveal, name="house_reveal"),
    path("houses/<int:house_pk>/people/new/", views.person_create, name="person_create"),
    path(
        "houses/<int:house_pk>/organisations/new/",
        views.organisation_create,
        name="organisation_create",
    ),
    path("residences/<int:pk>/move-out/", views.move_out, name="move_out"),
    path("organisations/", views.organisations, name="organisations"),
    path("tenants/", views.tenant_reviews, name="tenant_reviews"),
    path("tenants/<int:pk>/review/", views.tenant_review, name="tenant_review"),
    path("my-houses/", views.my_houses, name="my_houses"),
]
