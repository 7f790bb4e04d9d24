"""Rules of the codebase held by a test rather than by memory."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "tests", "migrations", "node_modules", "staticfiles", ".git"}
STATUS_WRITERS = ROOT / "approvals" / "services"


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
        if STATUS_WRITERS in path.parents:
            continue
        for line in _writes_estimate_status(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "an estimate's status is written outside approvals/services/"


def test_the_rule_catches_a_status_write() -> None:
    tree = ast.parse(
        "estimate.status = 'approved'\nEstimate.objects.filter(pk=1).update(status='x')"
    )
    assert _writes_estimate_status(tree) == [1, 2]
    tree = ast.parse("Estimate.objects.update(status='closed')")
    assert _writes_estimate_status(tree) == [1]


def test_no_float_in_money_code() -> None:
    """Money modules never touch floating point."""
    money_modules = [ROOT / "core" / "money.py", *(ROOT / "approvals" / "services").glob("*.py")]
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


#: Layers, lowest first: a module imports its own layer or lower ones, never a higher one.
#: The lifecycle table and the audit models are plain rules and data: every domain app may
#: read them. Pages (``web``) and the API sit on top and never import each other.
LAYERS: dict[str, int] = {
    "core": 0,
    "organization": 1,
    "estimates": 2,
    "approvals.lifecycle": 3,
    "approvals.models": 3,
    "delegations": 4,
    "ledger": 4,
    "workflows": 4,
    "notifications": 5,
    "approvals": 6,
    "reports": 7,
    "accounts": 7,
    "attachments": 7,
    "reorganisations": 7,
    "progress": 7,
    "monitoring": 7,
    "beneficiaries": 7,
    "web": 8,
    "api": 8,
    "config": 9,
}


def _layer(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name, LAYERS[name]
    return None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module or ""]).strip(".")
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _layer_violations(files: list[Path]) -> list[str]:
    offenders = []
    for path in files:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = _layer(module)
        if own is None:
            continue
        for line, imported in _imports(path):
            other = _layer(imported)
            if other is None or other[0].split(".")[0] == own[0].split(".")[0] == other[0]:
                continue
            if other[0].split(".")[0] == own[0].split(".")[0] and other[1] <= own[1]:
                continue
            if other[1] > own[1] or {own[0], other[0]} == {"web", "api"}:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return offenders


def test_no_app_imports_a_higher_layer() -> None:
    assert _layer_violations(_product_files()) == []


def test_the_layer_rule_catches_an_upward_import() -> None:
    assert _layer("approvals.services.review") == ("approvals", 6)
    assert _layer("approvals.lifecycle") == ("approvals.lifecycle", 3)
    bad = ROOT / "estimates" / "_layer_probe.py"
    bad.write_text("from approvals import services\nfrom web.forms import X\nimport core.money\n")
    try:
        found = _layer_violations([bad])
    finally:
        bad.unlink()
    assert found == [
        "estimates/_layer_probe.py:1 imports approvals.services",
        "estimates/_layer_probe.py:2 imports web.forms.X",
    ]


#: The modules whose saves must name the columns they change: the modules that write rows
#: on behalf of a service. Add a module here when it starts writing.
NARROW_SAVE_MODULES = [
    "core/db.py",
    "approvals/services/drafting.py",
    "approvals/services/review.py",
    "approvals/services/money.py",
    "approvals/services/transition.py",
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


def _unit_ids_as_in_lists(tree: ast.AST) -> list[int]:
    """Lines filtering with ``…__in=`` a user's unit ids (``unit_ids_with(…)``, or a name
    bound to it): a parameter per unit, a thousand for a district role; ``__any`` sends
    them as one array (``core/lookups.py``)."""
    bound = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func).endswith("unit_ids_with")
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and node.arg.endswith("__in"):
            value = node.value
            if (
                isinstance(value, ast.Call) and ast.unparse(value.func).endswith("unit_ids_with")
            ) or (isinstance(value, ast.Name) and value.id in bound):
                lines.append(value.lineno)
    return lines


def test_a_users_unit_ids_filter_as_one_array() -> None:
    offenders = []
    for path in _product_files():
        for line in _unit_ids_as_in_lists(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert offenders == [], "filter a user's unit ids with __any, not __in"


def test_the_rule_catches_unit_ids_as_an_in_list() -> None:
    tree = ast.parse(
        "Unit.objects.filter(pk__in=perms.unit_ids_with(user, VIEW))\n"
        "units = unit_ids_with(user, VIEW)\n"
        "Estimate.objects.filter(unit_id__in=units)\n"
        "Estimate.objects.filter(unit_id__any=units)"
    )
    assert _unit_ids_as_in_lists(tree) == [1, 3]
