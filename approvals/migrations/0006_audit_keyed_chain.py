"""The audit chain becomes keyed: every entry's hash is re-computed as an HMAC-SHA-256 with
``settings.AUDIT_HMAC_KEY`` (approvals/audit.py), after the unkeyed chain (plain SHA-256)
is verified whole; a broken chain stops the migration, so a change made before it is not
laundered by it. On PostgreSQL the append-only triggers are switched off for the length of
this migration, in its transaction, by the tables' owner that runs migrations."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations

#: approvals.audit.HASHED_FIELDS when this migration was written.
HASHED_FIELDS = (
    "seq", "created_at", "action", "stage", "actor_id", "actor_name", "acting_for_id",
    "acting_for_name", "role", "unit_name", "estimate_id", "from_status", "to_status",
    "amount", "comment", "data", "prev_hash",
)  # fmt: skip
TABLES = ("approvals_auditentry", "approvals_auditchainhead")


def _blob(entry, prev_hash):
    payload = {}
    for name in HASHED_FIELDS:
        value = prev_hash if name == "prev_hash" else getattr(entry, name)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        payload[name] = value
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def rekey(apps, schema_editor):
    AuditEntry = apps.get_model("approvals", "AuditEntry")
    AuditChainHead = apps.get_model("approvals", "AuditChainHead")
    entries = list(AuditEntry.objects.order_by("seq"))
    if not entries:
        return
    key = settings.AUDIT_HMAC_KEY.encode()
    if not key:
        raise RuntimeError("Set AUDIT_HMAC_KEY before migrating: the audit trail is keyed.")
    old_prev = ""
    for number, entry in enumerate(entries, start=1):
        if (
            entry.seq != number
            or entry.prev_hash != old_prev
            or hashlib.sha256(_blob(entry, old_prev)).hexdigest() != entry.hash
        ):
            raise RuntimeError(
                f"The audit trail is broken at entry #{number}: run verify_audit; "
                "the chain is not re-keyed."
            )
        old_prev = entry.hash
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER", params=None)
    new_prev = ""
    for entry in entries:
        new_hash = hmac.new(key, _blob(entry, new_prev), hashlib.sha256).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=new_prev, hash=new_hash)
        new_prev = new_hash
    AuditChainHead.objects.filter(id=1).update(last_seq=entries[-1].seq, last_hash=new_prev)
    if postgres:
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER", params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0005_audit_truncate_and_head")]
    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
