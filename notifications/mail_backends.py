"""An e-mail backend for development and benchmarks: each message is written to its own
file in ``EMAIL_FILE_PATH`` (atomically, so several worker processes can share the folder),
where a person or a program can read it. Production uses SMTP; ``make run`` the console."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class DirectoryBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        directory = Path(str(settings.EMAIL_FILE_PATH))
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            self.before_write(message, directory)
            name = uuid.uuid4().hex
            tmp = directory / f".{name}.tmp"
            tmp.write_bytes(message.message().as_bytes())
            tmp.rename(directory / f"{name}.eml")
        return len(email_messages)

    def before_write(self, message: EmailMessage, directory: Path) -> None:
        """A hook for tests."""
