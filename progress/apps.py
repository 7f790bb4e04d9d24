from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "progress"
    verbose_name = _("Indicators and progress reports")

    def ready(self) -> None:
        from notifications.render import notice_renderer_register

        from .notices import report_message

        notice_renderer_register("report", report_message)

    def demo_seed(self, plan: Any) -> int:
        """``seed_demo``'s hook: the reporting rules, and reports at every stage."""
        from .demo import demo_reports_create

        return demo_reports_create(plan)
