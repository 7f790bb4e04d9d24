"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from approvals.audit import (
    anchors_read,
    audit_anchor,
    audit_key,
    audit_record,
    audit_verify,
    entry_hash,
)
from approvals.models import AuditChainHead, AuditEntry
from approvals.tasks import audit_anchor as audit_anchor_task
from estimates.models import Estimate


@pytest.fixture
def trail(make_estimate: Callable[..., Estimate]) -> list[AuditEntry]:
    make_estimate("review")
    make_estimate("returned")
    entries = list(AuditEntry.objects.order_by("seq"))
    assert len(entries) >= 5
    return entries


def _tamper(sql: str, *params: object) -> None:
    """What a database owner could do: switch the triggers off and write directly."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_intact_chain_verifies(trail: list[AuditEntry], capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_verify() is None
    call_command("verify_audit")
    assert f"{len(trail)}" in capsys.readouterr().out


def test_database_refuses_edits_and_deletes(trail: list[AuditEntry]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[1].pk).update(comment="sửa lén")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=trail[1].pk).delete()
    assert audit_verify() is None


def test_edited_entry_is_named(trail: list[AuditEntry]) -> None:
    target = trail[2]
    _tamper("UPDATE approvals_auditentry SET amount = amount + 1 WHERE id = %s", target.pk)
    problem = audit_verify()
    assert problem is not None
    assert problem.seq == target.seq
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        call_command("verify_audit")


def test_deleted_entry_is_named(trail: list[AuditEntry]) -> None:
    target = trail[3]
    _tamper("DELETE FROM approvals_auditentry WHERE id = %s", target.pk)
    problem = audit_verify()
    assert problem is not None
    assert problem.seq == target.seq
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        call_command("verify_audit")


def test_deleted_last_entry_is_named(trail: list[AuditEntry]) -> None:
    target = trail[-1]
    _tamper("DELETE FROM approvals_auditentry WHERE id = %s", target.pk)
    problem = audit_verify()
    assert problem is not None
    assert problem.seq == target.seq


def test_rewritten_comment_with_recomputed_own_hash_breaks_the_next_link(
    trail: list[AuditEntry],
) -> None:
    from approvals.audit import entry_hash

    target = AuditEntry.objects.get(pk=trail[1].pk)
    target.comment = "đã chỉnh"
    forged = entry_hash(target)
    _tamper(
        "UPDATE approvals_auditentry SET comment = %s, hash = %s WHERE id = %s",
        "đã chỉnh",
        forged,
        target.pk,
    )
    problem = audit_verify()
    assert problem is not None
    assert problem.seq == trail[2].seq


def _refused(sql: str, match: str) -> None:
    """``sql``, as the tables' owner who has not asked to truncate, is refused."""
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the inserts' deferred checks
        cursor.execute("SET LOCAL p8.allow_truncate = 'off'")
        cursor.execute(sql)


def _trail_state() -> tuple[object, ...]:
    head = AuditChainHead.objects.get(id=1)
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "hash"))
    return head.last_seq, head.last_hash, rows


@pytest.mark.parametrize("table", ["approvals_auditentry", "approvals_auditchainhead"])
def test_database_refuses_truncate(trail: list[AuditEntry], table: str) -> None:
    before = _trail_state()
    _refused(f"TRUNCATE {table} CASCADE", "TRUNCATE refused")
    assert _trail_state() == before
    assert audit_verify() is None


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE approvals_auditchainhead SET last_seq = last_seq + 2",
        "UPDATE approvals_auditchainhead SET last_seq = last_seq - 1",
        "UPDATE approvals_auditchainhead SET last_hash = 'forged'",
        "DELETE FROM approvals_auditchainhead",
    ],
)
def test_the_chain_head_only_moves_one_entry_forward(trail: list[AuditEntry], sql: str) -> None:
    before = _trail_state()
    _refused(sql, "only moves one entry forward")
    assert _trail_state() == before
    # The audit writer's own step still works.
    make_more = AuditEntry.objects.count()
    with transaction.atomic():
        audit_record(action="test.recorded", actor=None)
    assert AuditEntry.objects.count() == make_more + 1
    assert audit_verify() is None


def _rehash_whole_chain(key: bytes, comment_of_second: str) -> None:
    """What someone who can write the tables does: edit an entry and re-hash the whole
    chain after it with the application's own function and ``key``."""
    prev = ""
    for number, entry in enumerate(AuditEntry.objects.order_by("seq"), start=1):
        if number == 2:
            entry.comment = comment_of_second
        entry.prev_hash = prev
        entry.hash = entry_hash(entry, key)
        _tamper(
            "UPDATE approvals_auditentry SET comment = %s, prev_hash = %s, hash = %s WHERE id = %s",
            entry.comment,
            entry.prev_hash,
            entry.hash,
            entry.pk,
        )
        prev = entry.hash
    _tamper("UPDATE approvals_auditchainhead SET last_hash = %s WHERE id = 1", prev)


def test_a_chain_rehashed_without_the_key_fails_from_its_first_entry(
    trail: list[AuditEntry],
) -> None:
    _rehash_whole_chain(b"a guessed key", "đã chỉnh")
    problem = audit_verify()
    assert problem is not None
    assert problem.seq == trail[0].seq
    assert "changed" in problem.message
    with pytest.raises(CommandError, match=f"#{trail[0].seq}"):
        call_command("verify_audit")


def test_the_hash_is_keyed_with_the_setting(trail: list[AuditEntry], settings: Any) -> None:
    entry = AuditEntry.objects.get(pk=trail[0].pk)
    assert entry_hash(entry) == entry.hash
    assert entry_hash(entry, b"another key") != entry.hash
    settings.AUDIT_HMAC_KEY = "another key"
    assert audit_verify() is not None
    settings.AUDIT_HMAC_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        audit_verify()


# Anchors: the head written outside the database catches a chain re-hashed with the key.


def test_the_head_is_anchored_in_the_file_and_the_log(
    trail: list[AuditEntry], tmp_path: Path, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors" / "audit.jsonl")
    with caplog.at_level(logging.INFO, logger="security"):
        assert audit_anchor_task.delay().get() == trail[-1].seq
    lines = (tmp_path / "anchors" / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1
    written = json.loads(lines[0])
    assert (written["seq"], written["hash"]) == (trail[-1].seq, trail[-1].hash)
    assert written["at"].endswith("+00:00")
    assert f"seq={trail[-1].seq} hash={trail[-1].hash}" in caplog.text
    # Appended to, never rewritten.
    audit_anchor()
    assert len((tmp_path / "anchors" / "audit.jsonl").read_text().splitlines()) == 2


def test_the_beat_anchors_the_head_periodically() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["audit-anchor"]
    assert entry["task"] == "approvals.audit_anchor"
    assert entry["schedule"] == settings.AUDIT_ANCHOR_INTERVAL


def test_a_chain_rehashed_with_the_key_passes_alone_but_not_against_the_anchors(
    trail: list[AuditEntry], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    audit_anchor(anchors)
    call_command("verify_audit", anchors=str(anchors))
    assert "agrees with 1 anchors" in capsys.readouterr().out

    _rehash_whole_chain(audit_key(), "đã chỉnh")
    assert audit_verify() is None  # the key alone no longer tells
    problem = audit_verify(anchors=anchors_read(anchors))
    assert problem is not None
    assert problem.seq == trail[-1].seq
    assert "rewritten" in problem.message
    with pytest.raises(CommandError, match=f"#{trail[-1].seq}.*rewritten"):
        call_command("verify_audit", anchors=str(anchors))


def test_entries_removed_after_an_anchor_are_named(trail: list[AuditEntry], tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    audit_anchor(anchors)
    last = trail[-1]
    _tamper("DELETE FROM approvals_auditentry WHERE id = %s", last.pk)
    _tamper(
        "UPDATE approvals_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
        trail[-2].seq,
        trail[-2].hash,
    )
    assert audit_verify() is None
    problem = audit_verify(anchors=anchors_read(anchors))
    assert problem is not None
    assert problem.seq == last.seq
    assert "missing" in problem.message


def test_a_bad_anchors_file_is_refused_cleanly(trail: list[AuditEntry], tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text('{"seq": 1, "hash": "x", "at": "t"}\nnot json\n')
    with pytest.raises(CommandError, match="line 2"):
        call_command("verify_audit", anchors=str(anchors))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("verify_audit", anchors=str(tmp_path / "none.jsonl"))
