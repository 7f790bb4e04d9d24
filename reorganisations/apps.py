from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReorganisationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reorganisations"
    verbose_name = _("Reorganisations of units")
