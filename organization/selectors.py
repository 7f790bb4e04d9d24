"""Reads of the organisation tree."""

from __future__ import annotations

import datetime as dt
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


# ---------------------------------------------------------------------------------------
# Lineage: which unit carries an abolished unit's work, and how units stood on a day.


def successor_map() -> dict[int, int]:
    """{unit id: id of the unit that carries its work today} for every abolished unit,
    following successors to the end of the chain (one query)."""
    direct = dict(Unit.objects.filter(successor__isnull=False).values_list("pk", "successor_id"))
    final: dict[int, int] = {}
    for pk in direct:
        seen = {pk}
        node = direct[pk]
        while node in direct and node not in seen:  # a cycle is refused when applied
            seen.add(node)
            node = direct[node]
        final[pk] = node
    return final


def unit_as_of(unit_id: int, day: dt.date, successors: dict[int, tuple[int, dt.date]]) -> int:
    """The unit that carried ``unit_id``'s work on ``day``: the unit itself, or the
    successor of the last reorganisation effective on or before ``day``.
    ``successors`` is :func:`successions` (read once)."""
    node = unit_id
    seen = {node}
    while node in successors:
        successor, effective = successors[node]
        if effective > day or successor in seen:
            break
        seen.add(successor)
        node = successor
    return node


def successions() -> dict[int, tuple[int, dt.date]]:
    """{abolished unit id: (successor id, date abolished)} (one query)."""
    return {
        pk: (successor, day or dt.date.min)
        for pk, successor, day in Unit.objects.filter(successor__isnull=False).values_list(
            "pk", "successor_id", "abolished_on"
        )
    }


def predecessors_of(unit_ids: set[int], succession: dict[int, int] | None = None) -> set[int]:
    """Every unit whose work ended, directly or through others, in one of ``unit_ids``."""
    final = successor_map() if succession is None else succession
    return {pk for pk, end in final.items() if end in unit_ids}
