from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """The pages people use: thin views, forms and templates over the selectors and
    services of the domain apps."""

    name = "web"
    verbose_name = _("Pages")
