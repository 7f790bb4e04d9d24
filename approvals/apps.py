from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # viewflow's pages ask the flow who may take a task: the access gate answers.
        from workflows.flows import task_gate_set

        from .access import flow_task_allowed

        task_gate_set(flow_task_allowed)
