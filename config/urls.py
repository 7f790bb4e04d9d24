from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from web.progress_urls import monitoring_urlpatterns
from web.views import dashboard as dashboard_views
from web.views import exports as export_views
from web.views import health as health_views
from web.views import home as home_views
from web.views import language as language_views
from web.views import repair as repair_views
from web.views import security as security_views
from web.viewsets import EstimateFlowApp
from workflows.flows import EstimateFlow

workflow_site = Site(
    title=_("Project 8 workflow"), viewsets=[EstimateFlowApp(EstimateFlow, icon="assignment")]
)

urlpatterns = [
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
    path("", home_views.home, name="home"),
    path("favicon.ico", home_views.favicon, name="favicon"),
    path("organization/", home_views.unit_tree, name="unit_tree"),
    path("organization/export.xlsx", export_views.unit_tree_export, name="unit_tree_export"),
    path("security/refusals/", security_views.refusal_log, name="security_refusals"),
    path("repair/tasks/<int:task_id>/", repair_views.task_repair, name="task_repair"),
    path(
        "security/refusals/export.xlsx",
        export_views.refusal_export,
        name="security_refusals_export",
    ),
    path("estimates/", include("web.urls")),
    path("progress/", include("web.progress_urls")),
    path("monitoring/", include((monitoring_urlpatterns, "monitoring"))),
    path("beneficiaries/", include("web.beneficiary_urls")),
    path("reports/", include("web.reports_urls")),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("workflow/", workflow_site.urls),
    path("accounts/login/", home_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("web.account_urls")),
    path("i18n/setlang/", language_views.language_choose, name="set_language"),
    # The Excel exports of the notifications' and delegations' lists are pages of ``web``
    # (the layer that may use ``reports``), served beside those apps' own pages.
    path("notifications/export.xlsx", export_views.notification_export, name="notification_export"),
    path("notifications/", include("notifications.urls")),
    path("delegations/export.xlsx", export_views.delegation_export, name="delegation_export"),
    path("delegations/", include("delegations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
