"""Run the periodic notification jobs once, in this process: the outbox relay, the reminder
job and today's digests (each is idempotent). For the embedded default, which has no beat,
and for servers that prefer cron to beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from notifications import services
from notifications.tasks import publish_event


class Command(BaseCommand):
    help = "Publish pending notifications, create due reminders and today's digests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-digest", action="store_true", help="Skip the daily digest.")

    def handle(self, *args: object, **options: object) -> None:
        reminders = services.reminders_run()
        digests = 0 if options["no_digest"] else services.digests_run()
        published = services.outbox_relay(publish=publish_event)
        self.stdout.write(
            f"reminders: {reminders}, digests: {digests}, events published: {published}"
        )
