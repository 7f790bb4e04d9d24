from typing import Any

from django.core.management.base import BaseCommand

from api.idempotency import expiry_cutoff
from api.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete the stored answers of Idempotency-Key requests older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expiry_cutoff()).delete()
        self.stdout.write(f"{deleted} idempotency keys deleted")
