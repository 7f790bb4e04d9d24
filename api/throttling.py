from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class PerUserRateThrottle(UserRateThrottle):
    """Requests per user (one token per user, so per token) at ``API_THROTTLE_RATE``;
    anonymous requests are counted per address."""

    def get_rate(self) -> str | None:
        return str(settings.API_THROTTLE_RATE)
