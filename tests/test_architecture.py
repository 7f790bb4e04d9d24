"""Rules of the codebase held by a test rather than by memory."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "tests", "migrations", "node_modules", "staticfiles", ".git"}
STATUS_WRITER = ROOT / "approvals" / "services.py"


def _product_files() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]


def _writes_estimate_status(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and "est" in ast.unparse(target.value).lower()
                ):
                    lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = ast.unparse(node.func)
            if (
                node.func.attr in {"update", "create", "bulk_create", "update_or_create"}
                and chain.startswith("Estimate.")
                and any(k.arg == "status" for k in node.keywords)
            ):
                lines.append(node.lineno)
    return lines


def test_only_the_approvals_services_write_an_estimates_status() -> None:
    offenders = []
    for path in _product_files():
        if path == STATUS_WRITER:
            continue
        for line in _writes_estimate_status(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "an estimate's status is written outside approvals/services.py"


def test_the_rule_catches_a_status_write() -> None:
    tree = ast.parse(
        "estimate.status = 'approved'\nEstimate.objects.filter(pk=1).update(status='x')"
    )
    assert _writes_estimate_status(tree) == [1, 2]
    tree = ast.parse("Estimate.objects.update(status='closed')")
    assert _writes_estimate_status(tree) == [1]


def test_no_float_in_money_code() -> None:
    """Money modules never touch floating point."""
    money_modules = [ROOT / "core" / "money.py", ROOT / "approvals" / "services.py"]
    money_modules += list((ROOT / "ledger").glob("*.py")) if (ROOT / "ledger").exists() else []
    for path in money_modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), (
                f"{path.relative_to(ROOT)}:{node.lineno} has a float literal"
            )
            assert not (isinstance(node, ast.Name) and node.id == "float"), (
                f"{path.relative_to(ROOT)}:{node.lineno} uses float"
            )


#: The modules whose saves must name the columns they change: the modules that write rows
#: on behalf of a service. Add a module here when it starts writing.
NARROW_SAVE_MODULES = [
    "core/db.py",
    "approvals/audit.py",
    "delegations/services.py",
    "estimates/plan_loader.py",
    "ledger/services.py",
    "notifications/services.py",
    "organization/demo.py",
    "organization/permissions.py",
    "api/idempotency.py",
]


def _broad_saves(tree: ast.AST) -> list[int]:
    """Lines of ``x.save(...)`` calls that name neither ``update_fields`` (an update of the
    changed columns) nor ``force_insert`` (a new row)."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "save"
        and not {"update_fields", "force_insert"} & {k.arg for k in node.keywords}
    ]


def test_saves_name_the_fields_they_change() -> None:
    offenders = []
    for name in NARROW_SAVE_MODULES:
        path = ROOT / name
        assert path.exists(), f"{name} is listed for the narrow-save rule but does not exist"
        for line in _broad_saves(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{name}:{line}")
    assert offenders == [], "a save without update_fields (or force_insert for a new row)"


def test_the_rule_catches_a_broad_save() -> None:
    tree = ast.parse(
        "row.save()\n"
        "row.save(update_fields=['status'])\n"
        "Row(a=1).save(force_insert=True)\n"
        "self.account.save(using='default')\n"
    )
    assert _broad_saves(tree) == [1, 4]
