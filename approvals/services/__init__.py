"""The only place an estimate's state changes, split by stage around one transition helper
(``transition.py``): drafting, review/appraisal/approval, and the money stages. Which
action starts from which status, needs which permission and tells whom is in
``approvals.lifecycle``; each function here holds only what is particular to its action.
"""

from .amendments import (
    AmendmentLineInput,
    amendment_appraise,
    amendment_approve,
    amendment_forward,
    amendment_propose,
    amendment_return,
    amendment_withdraw,
)
from .drafting import (
    MAX_LINES,
    EstimateInput,
    LineInput,
    estimate_create,
    estimate_submit,
    estimate_update,
    estimate_withdraw,
    participants_counted,
)
from .money import (
    estimate_clear_advance,
    estimate_disburse,
    estimate_return_settlement,
    estimate_settle,
    estimate_verify_settlement,
    subenvelope_change,
)
from .review import (
    LineCut,
    estimate_appraise,
    estimate_approve,
    estimate_forward,
    estimate_return,
)

__all__ = [
    "MAX_LINES",
    "AmendmentLineInput",
    "EstimateInput",
    "LineCut",
    "LineInput",
    "amendment_appraise",
    "amendment_approve",
    "amendment_forward",
    "amendment_propose",
    "amendment_return",
    "amendment_withdraw",
    "estimate_appraise",
    "estimate_approve",
    "estimate_clear_advance",
    "estimate_create",
    "estimate_disburse",
    "estimate_forward",
    "estimate_return",
    "estimate_return_settlement",
    "estimate_settle",
    "estimate_submit",
    "estimate_update",
    "estimate_verify_settlement",
    "estimate_withdraw",
    "participants_counted",
    "subenvelope_change",
]
