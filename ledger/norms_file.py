"""Read a YAML file of cost norms and load it through ``norm_create``/``norm_update``.

Atomic (a bad file writes nothing) and idempotent (a norm is matched by code and start
date; a second run of the same file changes nothing).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from estimates.models import Norm

from .norms import norm_create, norm_update

FIELDS = (
    "code",
    "item",
    "unit",
    "max_unit_price",
    "max_quantity",
    "max_times",
    "valid_from",
    "valid_to",
    "citation",
)


class NormFileError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise NormFileError(_("file not found: %(path)s") % {"path": path.name}) from exc
    except yaml.YAMLError as exc:
        raise NormFileError(_("not valid YAML: %(err)s") % {"err": exc}) from exc
    items = data.get("norms") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise NormFileError(_("the file must hold a list under “norms”"))
    rows = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise NormFileError(_("norm %(n)s is not a mapping") % {"n": n})
        unknown = set(item) - set(FIELDS)
        if unknown:
            raise NormFileError(
                _("norm %(n)s: unknown fields %(fields)s")
                % {"n": n, "fields": ", ".join(sorted(unknown))}
            )
        for key in ("valid_from", "valid_to"):
            if isinstance(item.get(key), str):
                try:
                    item[key] = dt.date.fromisoformat(item[key])
                except ValueError as exc:
                    raise NormFileError(
                        _("norm %(n)s: %(field)s is not a date (YYYY-MM-DD)")
                        % {"n": n, "field": key}
                    ) from exc
        rows.append({key: item.get(key) for key in FIELDS})
    return rows


@transaction.atomic
def norms_load_file(path: Path) -> dict[str, int]:
    """Create or update the norms of the file; returns the counts."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for n, row in enumerate(_read(path), start=1):
        existing = Norm.objects.filter(code=row["code"], valid_from=row["valid_from"]).first()
        try:
            if existing is None:
                norm_create(**row)
                counts["created"] += 1
            elif any(getattr(existing, key) != value for key, value in row.items()):
                norm_update(norm=existing, **row)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        except RuleViolation as exc:
            raise NormFileError(
                _("norm %(n)s (%(code)s): %(error)s")
                % {"n": n, "code": row["code"], "error": exc.message}
            ) from exc
    return counts
