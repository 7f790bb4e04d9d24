from django.urls import path

from web.views import reports as views

app_name = "reports"

urlpatterns = [
    path("", views.consolidated, name="consolidated"),
    path("consolidated.xlsx", views.consolidated_xlsx, name="consolidated_xlsx"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions.xlsx", views.decisions_xlsx, name="decisions_xlsx"),
    path("exports/", views.export_create, name="export_create"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/file", views.export_download, name="export_file"),
]
