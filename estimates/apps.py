from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EstimatesConfig(AppConfig):
    name = "estimates"
    verbose_name = _("Estimates")

    def ready(self) -> None:
        from organization import permissions

        from .selectors import plan_stage_actors

        permissions.stage_actors_source = plan_stage_actors
