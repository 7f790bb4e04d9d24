from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"
    verbose_name = _("Monitoring notes")

    def ready(self) -> None:
        from notifications.render import notice_renderer_register

        from .notices import note_message

        notice_renderer_register("monitoring", note_message)

    def demo_seed(self, plan: Any) -> int:
        """``seed_demo``'s hook: notes open, answered and closed."""
        from .demo import demo_notes_create

        return demo_notes_create(plan)
