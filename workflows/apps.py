from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self) -> None:
        # Declaring the flow adds its permissions to the process model: import it early.
        from . import flows  # noqa: F401
