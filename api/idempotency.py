"""The Idempotency-Key header: a write sent again with the same key (a client retrying
after a timeout) gets the first answer back instead of acting twice.

The first request with a key inserts its row, calls the service and stores the answer, all
in one transaction: if the service refuses, nothing is kept and a retry acts afresh. A
concurrent retry with the same key waits on the row's unique index until the first
commits, then replays its answer. The same key with another method, path or body is
refused with 422. Keys are kept ``API_IDEMPOTENCY_HOURS`` hours
(``manage.py api_purge_idempotency_keys`` deletes older ones).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .errors import IdempotencyKeyReused
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID), at most 255 printable ASCII characters. A retry "
        "with the same key and body within 24 hours returns the first answer (with the "
        "header `Idempotent-Replayed: true`) and does not act again; the same key with "
        "another body is refused with 422."
    ),
)


def _request_hash(request: Request) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(33 <= ord(ch) <= 126 for ch in key)


def expiry_cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)


def _replay(record: IdempotencyKey) -> Response:
    return Response(
        record.response_body,
        status=record.response_status,
        headers={"Idempotent-Replayed": "true"},
    )


Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Make a write view method honour the Idempotency-Key header."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not _valid_key(key):
            raise ValidationError(
                {HEADER: [_("Use at most 255 printable ASCII characters, without spaces.")]}
            )
        request_hash = _request_hash(request)
        user: Any = request.user
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                user=user, key=key, created_at__lt=expiry_cutoff()
            ).delete()
            record, created = IdempotencyKey.objects.get_or_create(
                user=user,
                key=key,
                defaults={
                    "method": request.method,
                    "path": request.path[:500],
                    "request_hash": request_hash,
                },
            )
            if not created:
                if record.request_hash != request_hash:
                    raise IdempotencyKeyReused(
                        _(
                            "This Idempotency-Key was already used for another request; "
                            "use a new key for a new request."
                        )
                    )
                if record.response_status is not None:
                    return _replay(record)
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                record.save(update_fields=["response_status", "response_body"])
            else:
                record.delete()
            return response

    return wrapper
