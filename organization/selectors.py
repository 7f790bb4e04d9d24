"""Reads of the organisation tree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .models import Unit


@dataclass
class TreeNode:
    unit: Unit
    children: list[TreeNode] = field(default_factory=list)


def unit_tree() -> list[TreeNode]:
    """The whole tree in one query, roots first, children in their order."""
    units = list(Unit.objects.filter(is_active=True).order_by("sort_order", "name"))
    by_parent: dict[int | None, list[Unit]] = defaultdict(list)
    for u in units:
        by_parent[u.parent_id].append(u)

    def build(u: Unit) -> TreeNode:
        return TreeNode(u, [build(c) for c in by_parent.get(u.pk, [])])

    return [build(root) for root in by_parent.get(None, [])]
