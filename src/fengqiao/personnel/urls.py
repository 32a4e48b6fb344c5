from django.urls import path

from fengqiao.personnel import views

app_name = "personnel"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.template, name="template"),
    path("import/<int:pk>/", views.result, name="result"),
    path("import/<int:pk>/rejects.xlsx", views.rejects, name="rejects"),
    path("import/<int:pk>/sheet.xlsx", views.sheet, name="sheet"),
    path("<int:pk>/deactivate/", views.deactivate, name="deactivate"),
]
