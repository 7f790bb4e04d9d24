from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The pages people use: thin views, forms and templates over the selectors and
    services of the domain apps."""

    name = "web"
    verbose_name = _("Pages")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .views.language import language_on_login

        user_logged_in.connect(language_on_login, dispatch_uid="web.language_on_login")
        # The estimate list and inbox exports, which a worker may produce in the background
        # (``reports.exports.PREPARERS``), are registered by importing their module.
        from .views import exports  # noqa: F401
