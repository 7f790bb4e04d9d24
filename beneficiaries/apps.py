from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BeneficiariesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "beneficiaries"
    verbose_name = _("Beneficiaries")

    def ready(self) -> None:
        # The drafting service asks this app which lines an estimate of a register
        # activity must hold (its beneficiary list) and how many women it counts, and
        # lets a withdrawn estimate release its beneficiaries: hooks, since approvals
        # sits below.
        from approvals.services import drafting

        from .services import (
            REGISTER_ACTIVITY_ANNOTATION,
            register_lines_for,
            register_participants_for,
            register_release,
        )

        drafting.register_lines = register_lines_for
        drafting.register_participants = register_participants_for
        drafting.register_release = register_release
        drafting.activity_annotations.update(REGISTER_ACTIVITY_ANNOTATION)
