"""What a file is, read from its content (``filetype``: magic numbers, and for office
documents the names inside the ZIP or OLE container), never from its name; and the name a
person gave it, cleaned like every other text (``core.text.text_clean``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

import filetype
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.text import text_clean

#: How many bytes of the file the sniffing reads (``filetype`` reads at most 8 KiB).
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileType:
    extension: str  #: the extension of the stored file
    media_type: str  #: the Content-Type it is served with
    names: frozenset[str]  #: the extensions a file of this type may carry in its name


def _t(extension: str, media_type: str, *names: str) -> FileType:
    return FileType(extension, media_type, frozenset(names or (extension,)))


#: The types accepted, by the extension ``filetype`` gives them. Anything else (an
#: executable, an archive, a script, plain text, HTML, SVG...) is refused.
ACCEPTED: dict[str, FileType] = {
    t.extension: t
    for t in (
        _t("pdf", "application/pdf"),
        _t("jpg", "image/jpeg", "jpg", "jpeg"),
        _t("png", "image/png"),
        _t("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        _t("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        _t("odt", "application/vnd.oasis.opendocument.text"),
        _t("ods", "application/vnd.oasis.opendocument.spreadsheet"),
        _t("doc", "application/msword"),
        _t("xls", "application/vnd.ms-excel"),
    )
}

#: For the upload form's ``accept`` attribute (a hint to the browser; the server decides).
ACCEPT_ATTRIBUTE = ",".join(sorted(f".{n}" for t in ACCEPTED.values() for n in t.names))


def file_name_clean(value: Any, *, max_length: int) -> str:
    """The name the file is offered under: one line of text cleaned by ``text_clean``
    (NFC; control and invisible characters refused), no folder in it, with an extension.
    Refused, never cut or rewritten: a name with a path or a control character is a sign
    of a client that does not send what a person chose."""
    name = text_clean(
        value,
        field="file",
        max_length=max_length,
        required=True,
        required_message=_("The file has no name."),
    )
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise RuleViolation(
            _("The file name “%(name)s” holds a folder: give the file's own name only.")
            % {"name": name},
            field="file",
        )
    if not PurePosixPath(name).suffix.strip("."):
        raise RuleViolation(
            _("The file name “%(name)s” has no extension (such as .pdf).") % {"name": name},
            field="file",
        )
    return name


def file_type_check(head: bytes, name: str) -> FileType:
    """The file's type from its first bytes, if it is one accepted and its name's extension
    agrees with it; else a message for the person."""
    guess = filetype.guess(head)
    found = ACCEPTED.get(guess.extension) if guess is not None else None
    if found is None:
        raise RuleViolation(
            _(
                "“%(name)s” is not a PDF, an image (JPEG, PNG) or an office document (Word, "
                "Excel, OpenDocument): its content says otherwise, whatever its name."
            )
            % {"name": name},
            field="file",
        )
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    if extension not in found.names:
        raise RuleViolation(
            _(
                "The name “%(name)s” ends in .%(ext)s but the file is a %(type)s: rename it "
                "with the right extension (.%(right)s)."
            )
            % {
                "name": name,
                "ext": extension,
                "type": found.extension.upper(),
                "right": found.extension,
            },
            field="file",
        )
    return found


def file_size_check(size: int | None, *, limit: int) -> None:
    """Refuse an empty file, or one larger than ``limit`` bytes, from its announced size
    (before anything is read)."""
    if size is None or size <= 0:
        raise RuleViolation(_("The file is empty."), field="file")
    if size > limit:
        raise RuleViolation(
            _("The file is %(size)s; at most %(limit)s may be attached.")
            % {"size": size_label(size), "limit": size_label(limit)},
            field="file",
        )


def file_digest(file: IO[bytes] | Any, *, limit: int) -> tuple[str, int]:
    """SHA-256 and size of the whole file, read in chunks; refused past ``limit`` bytes
    (a size announced smaller than the content)."""
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(65536), b"")
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            file_size_check(size, limit=limit)
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def size_label(size: int) -> str:
    """1536 -> "1,5 KB"; 10485760 -> "10 MB" (Vietnamese decimal comma, binary units)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            tenths = (size * 10 + scale // 2) // scale
            whole, part = divmod(tenths, 10)
            return f"{whole},{part} {unit}" if part else f"{whole} {unit}"
    return f"{size} B"
