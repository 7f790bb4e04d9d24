from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process


class EstimateProcess(Process):
    """The viewflow process of one estimate; the estimate is its ``artifact``."""

    class Meta:
        proxy = True
        verbose_name = _("estimate process")
        verbose_name_plural = _("estimate processes")
        #: Granted to an administrators' group, deliberately: cancel, undo or revive a
        #: task through ``approvals.services.repair`` (audited). A superuser's implied
        #: permissions do not count there.
        permissions = [("repair_estimateprocess", _("Can repair a stuck task (audited)"))]
