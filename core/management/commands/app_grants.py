"""Give the application's database role its rights: ``docs/sql/app_grants.sql``, run as
the owner role right after ``migrate`` (the compose file's migrate service does), so that
new tables are covered. Idempotent. On SQLite (the embedded demo) there are no roles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

GRANTS = Path(settings.BASE_DIR) / "docs" / "sql" / "app_grants.sql"
ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = "Grant the application's database role its rights (docs/sql/app_grants.sql)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role", default="p8_app", help="The application's role (default p8_app)."
        )

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: no database roles to grant.")
            return
        if not ROLE.match(role):
            raise CommandError(f"Not a plain role name: {role!r}")
        statements = GRANTS.read_text(encoding="utf-8").replace("p8_app", role)
        with connection.cursor() as cursor:
            cursor.execute(statements)
        self.stdout.write(f"Rights granted to {role}.")
