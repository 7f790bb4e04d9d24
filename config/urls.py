from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from web.views import home as home_views
from web.views import language as language_views
from web.views import security as security_views
from web.viewsets import EstimateFlowApp
from workflows.flows import EstimateFlow

workflow_site = Site(
    title=_("Project 8 workflow"), viewsets=[EstimateFlowApp(EstimateFlow, icon="assignment")]
)

urlpatterns = [
    path("", home_views.home, name="home"),
    path("favicon.ico", home_views.favicon, name="favicon"),
    path("organization/", home_views.unit_tree, name="unit_tree"),
    path("security/refusals/", security_views.refusal_log, name="security_refusals"),
    path("estimates/", include("web.urls")),
    path("workflow/", workflow_site.urls),
    path("accounts/login/", home_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", language_views.language_choose, name="set_language"),
    path("notifications/", include("notifications.urls")),
    path("delegations/", include("delegations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
