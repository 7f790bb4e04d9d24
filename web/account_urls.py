"""/accounts/: the user's own sign-in pages (``web.views.account``)."""

from django.urls import path

from web.views import account as views

app_name = "account"

urlpatterns = [
    path("", views.account_security, name="security"),
    path("2fa/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("2fa/setup/qr.svg", views.second_factor_qr, name="second_factor_qr"),
    path("2fa/codes/", views.second_factor_codes, name="second_factor_codes"),
    path("2fa/verify/", views.second_factor_verify, name="second_factor_verify"),
    path("2fa/disable/", views.second_factor_disable, name="second_factor_disable"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
