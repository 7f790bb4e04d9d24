"""Writing and verifying the hash-chained audit trail.

Each entry's hash is an HMAC-SHA-256 of its fields (and the previous entry's hash) keyed
with ``settings.AUDIT_HMAC_KEY``, which is not in the database: someone who edits an entry
and re-hashes the whole chain without the key leaves a chain that ``audit_verify`` refuses
from its first entry. Someone who also holds the key is caught by the anchors: the chain's
head (sequence, hash) written periodically outside the database (``audit_anchor``), which
``audit_verify(anchors=...)`` compares with the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.sql import InsertQuery
from django.utils import timezone

from core.db import CompiledQueries

from .models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from estimates.models import Estimate

#: The fields an entry's hash covers, in this order.
HASHED_FIELDS = (
    "seq", "created_at", "action", "stage", "actor_id", "actor_name", "acting_for_id",
    "acting_for_name", "role", "unit_name", "estimate_id", "from_status", "to_status",
    "amount", "comment", "data", "prev_hash",
)  # fmt: skip


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


logger = logging.getLogger("security")


def audit_key() -> bytes:
    """The chain's key (``settings.AUDIT_HMAC_KEY``)."""
    key: str = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set: the audit trail is keyed.")
    return key.encode("utf-8")


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """The entry's HMAC-SHA-256 over its hashed fields, keyed with ``key`` (default: the
    chain's key)."""
    payload = {name: _canonical(getattr(entry, name)) for name in HASHED_FIELDS}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key or audit_key(), blob.encode("utf-8"), hashlib.sha256).hexdigest()


def _display(user: AbstractBaseUser | None) -> str:
    if user is None:
        return ""
    full = getattr(user, "get_full_name", lambda: "")()
    return f"{full} ({user.get_username()})" if full else user.get_username()


#: The chain head's lock, compiled once per connection (``core.db``).
_HEAD = CompiledQueries()


def _head_locked() -> QuerySet[AuditChainHead]:
    return AuditChainHead.objects.select_for_update().filter(pk=1)


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    estimate: Estimate | None = None,
    stage: str = "",
    acting_for: AbstractBaseUser | None = None,
    role: str = "",
    unit_name: str = "",
    from_status: str = "",
    to_status: str = "",
    amount: int | None = None,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction (the state change it
    records commits or rolls back with it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change")
    found = _HEAD.fetch("head", _head_locked, [])
    head = found[0] if found else AuditChainHead.objects.select_for_update().get_or_create(id=1)[0]
    entry = AuditEntry(
        seq=head.last_seq + 1,
        created_at=timezone.now(),
        action=action,
        stage=stage,
        actor_id=getattr(actor, "pk", None),
        actor_name=_display(actor) or "system",
        acting_for_id=getattr(acting_for, "pk", None),
        acting_for_name=_display(acting_for),
        role=role,
        unit_name=unit_name,
        estimate_id=getattr(estimate, "pk", None),
        from_status=from_status,
        to_status=to_status,
        amount=amount,
        comment=comment,
        data=data or {},
        prev_hash=head.last_hash,
    )
    # Store exactly what will be read back (JSON round trip) before hashing.
    entry.data = json.loads(json.dumps(entry.data, ensure_ascii=False, default=str))
    entry.hash = entry_hash(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        _insert_and_advance(entry, connection)
    else:
        entry.save(force_insert=True)
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


def _insert_and_advance(entry: AuditEntry, connection: Any) -> None:
    """Insert the entry and move the chain head to it in one statement (PostgreSQL: a
    data-modifying WITH), the head row being locked already."""
    query = InsertQuery(AuditEntry)
    query.insert_values([f for f in AuditEntry._meta.concrete_fields if not f.primary_key], [entry])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [AuditEntry._meta.pk]
    ((insert_sql, insert_params),) = compiler.as_sql()
    head_table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    # Only the ORM's own INSERT and a quoted table name are interpolated; values are params.
    sql = "".join(
        [
            f"WITH ins AS ({insert_sql}) UPDATE {head_table} ",
            "SET last_seq = %s, last_hash = %s WHERE id = 1 RETURNING (SELECT id FROM ins)",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*insert_params, entry.seq, entry.hash])
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


def audit_verify(batch_size: int = 2000, anchors: Iterable[Anchor] = ()) -> ChainProblem | None:
    """Walk the chain in order; return the first problem (an edited, deleted or inserted
    entry; with ``anchors``, an entry whose hash is not the one anchored outside the
    database, or an anchored entry that is gone), or None when every entry, the head and
    the anchors agree."""
    key = audit_key()
    anchored: dict[int, Anchor] = {}
    for anchor in anchors:
        known = anchored.setdefault(anchor.seq, anchor)
        if known.hash != anchor.hash:
            return ChainProblem(anchor.seq, f"the anchors disagree on entry #{anchor.seq}")
    expected_seq = 1
    prev_hash = ""
    for entry in _entries(batch_size):
        if entry.seq != expected_seq:
            return ChainProblem(expected_seq, f"entry #{expected_seq} is missing (deleted)")
        if entry.prev_hash != prev_hash:
            return ChainProblem(entry.seq, f"entry #{entry.seq} does not follow the one before")
        if entry_hash(entry, key) != entry.hash:
            return ChainProblem(entry.seq, f"entry #{entry.seq} was changed after it was written")
        mark = anchored.get(entry.seq)
        if mark is not None and mark.hash != entry.hash:
            return ChainProblem(
                entry.seq,
                f"entry #{entry.seq} is not the one anchored at {mark.at}: the chain was rewritten",
            )
        prev_hash = entry.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return ChainProblem(head.last_seq, f"entry #{head.last_seq} is missing (deleted)")
    beyond = [seq for seq in anchored if seq > last_seq]
    if beyond:
        seq = max(beyond)
        return ChainProblem(
            seq, f"entry #{seq} was anchored at {anchored[seq].at} and is missing (deleted)"
        )
    return None


# ---------------------------------------------------------------------------------------
# Anchors: the chain's head, kept outside the database.


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str


def audit_anchor(path: str | Path | None = None) -> Anchor | None:
    """Append the chain's head (sequence, hash, time) to the anchors file
    (``settings.AUDIT_ANCHOR_FILE``) and to the ``security`` log; None while the chain is
    empty. The beat runs it every ``AUDIT_ANCHOR_INTERVAL`` seconds; an auditor keeps the
    file (or the log) where the database's administrators cannot write."""
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None or head.last_seq == 0:
        return None
    anchor = Anchor(
        seq=head.last_seq,
        hash=head.last_hash,
        at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
    )
    target = Path(path or settings.AUDIT_ANCHOR_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": anchor.seq, "hash": anchor.hash, "at": anchor.at})
    with target.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    logger.info(
        "audit.anchor seq=%s hash=%s",
        anchor.seq,
        anchor.hash,
        extra={"event": "audit.anchor", "audit_seq": anchor.seq, "audit_hash": anchor.hash},
    )
    return anchor


def anchors_read(path: str | Path) -> list[Anchor]:
    """The anchors of a file ``audit_anchor`` wrote (one JSON object a line); ValueError
    naming the line of one that is not."""
    anchors = []
    with Path(path).open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                anchors.append(Anchor(seq=int(item["seq"]), hash=str(item["hash"]), at=item["at"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"line {number} is not an anchor") from exc
    return anchors


def _entries(batch_size: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
