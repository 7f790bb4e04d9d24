from django.urls import path

from web.views import monitoring as views_monitoring
from web.views import progress as views

app_name = "progress"

#: Every POST route under ``reports/<pk>/`` is an action of the report's lifecycle table
#: (``progress.lifecycle``; tests/progress/test_pages.py holds that).
urlpatterns = [
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_create, name="report_create"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_update, name="report_update"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/accept/", views.report_accept, name="report_accept"),
    path("reports/<int:pk>/return/", views.report_return, name="report_return"),
    path("reports/<int:pk>/correct/", views.report_correct, name="report_correct"),
    path("reports/<int:pk>/consolidate/", views.report_consolidate, name="report_consolidate"),
    path(
        "reports/<int:pk>/submit-upward/",
        views.report_submit_upward,
        name="report_submit_upward",
    ),
    path("reports/<int:pk>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("reports/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("periods/<int:pk>/", views.period_status, name="period"),
    path("periods/<int:pk>/remind/", views.period_remind, name="period_remind"),
    path("periods/<int:pk>/consolidate/", views.period_consolidate, name="period_consolidate"),
    path("indicators/", views.indicator_list, name="indicators"),
]

monitoring_urlpatterns = [
    path("", views_monitoring.note_list, name="notes"),
    path("new/", views_monitoring.note_create, name="note_create"),
    path("<int:pk>/", views_monitoring.note_detail, name="note_detail"),
    path("<int:pk>/answer/", views_monitoring.note_answer, name="note_answer"),
    path("<int:pk>/close/", views_monitoring.note_close, name="note_close"),
]
