"""/api/v1/: the REST API, its OpenAPI schema and its interactive docs.

Every view here is exempt from the site's LoginRequiredMiddleware: the API authenticates
by token (or session) itself and answers 401 in JSON rather than redirecting to the login
page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from . import beneficiaries, progress, views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("plans", views.PlanViewSet, basename="plan")
router.register("estimates", views.EstimateViewSet, basename="estimate")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("disbursements", views.DisbursementViewSet, basename="disbursement")
router.register("settlements", views.SettlementViewSet, basename="settlement")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("reorganisations", views.ReorganisationViewSet, basename="reorganisation")
router.register("amendments", views.AmendmentViewSet, basename="amendment")
router.register("periods", progress.PeriodViewSet, basename="period")
router.register("indicators", progress.IndicatorViewSet, basename="indicator")
router.register("progress-reports", progress.ProgressReportViewSet, basename="progress-report")
router.register("monitoring-notes", progress.MonitoringNoteViewSet, basename="monitoring-note")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path(
        "estimates/<str:pk>/attachments/",
        views.EstimateAttachmentsView.as_view(),
        name="estimate-attachments",
    ),
    path("attachments/<str:pk>/", views.AttachmentView.as_view(), name="attachment-detail"),
    path(
        "attachments/<str:pk>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path(
        "estimates/<str:pk>/beneficiaries/",
        beneficiaries.EstimateBeneficiariesView.as_view(),
        name="estimate-beneficiaries",
    ),
    path(
        "estimates/<str:pk>/payment-list.xlsx",
        beneficiaries.PaymentListExcelView.as_view(),
        name="estimate-payment-list-xlsx",
    ),
    path(
        "estimates/<str:pk>/payment-list.pdf",
        beneficiaries.PaymentListPdfView.as_view(),
        name="estimate-payment-list-pdf",
    ),
    path(
        "estimates/<str:pk>/groups/",
        beneficiaries.EstimateGroupsView.as_view(),
        name="estimate-groups",
    ),
    path(
        "beneficiaries/<str:pk>/",
        beneficiaries.BeneficiaryView.as_view(),
        name="beneficiary-detail",
    ),
    path("priority-groups/", beneficiaries.PriorityGroupsView.as_view(), name="priority-groups"),
    path("ethnicities/", beneficiaries.EthnicitiesView.as_view(), name="ethnicities"),
    path(
        "reports/priority-groups/",
        beneficiaries.GroupTotalsReportView.as_view(),
        name="report-priority-groups",
    ),
    path("token/", views.TokenView.as_view(), name="token"),
    path(
        "reports/consolidated/",
        views.ConsolidatedReportView.as_view(),
        name="report-consolidated",
    ),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        # The split view serves its script as a file: no inline script (Content-Security-Policy).
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="redoc",
    ),
    re_path(r"^(?P<path>.*)$", views.api_not_found, name="not-found"),
]

for pattern in urlpatterns:
    if isinstance(pattern, URLPattern):
        login_not_required(pattern.callback)
