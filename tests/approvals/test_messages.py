"""People read the services' refusals in Vietnamese unless they chose English."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AbstractUser
from django.utils import translation

from approvals import services
from core.errors import Conflict, RuleViolation
from estimates.models import Estimate


def test_refusals_are_vietnamese_by_default(
    make_estimate: Callable[..., Estimate], people: dict[str, AbstractUser]
) -> None:
    est = make_estimate("review")
    with translation.override("vi"):
        with pytest.raises(RuleViolation) as empty_reason:
            services.estimate_return(actor=people["hoi.huyen"], estimate_id=est.pk, reason="")
        services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
        with pytest.raises(Conflict) as stale:
            services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
    assert "lý do" in empty_reason.value.message
    assert stale.value.message.startswith("Người khác vừa xử lý dự toán này")
    with translation.override("en"), pytest.raises(Conflict) as stale_en:
        services.estimate_forward(actor=people["hoi.huyen"], estimate_id=est.pk)
    assert stale_en.value.message.startswith("Someone else has just acted")
