"""The dependencies between the apps point one way (README, "How the code is laid out"):
every module of every app is parsed and each ``fengqiao.*`` import it makes — at the top
or inside a function, for type checking or not — must reach an app in a lower layer."""

from __future__ import annotations

import ast
from pathlib import Path

import fengqiao

PACKAGE = Path(fengqiao.__file__).parent

# Bottom to top. An app may import the apps of the layers below its own, and no other: not
# its own layer's (the top layer's apps stand side by side), nothing above. ``audit`` is
# kernel: every layer records what it changes. ``rollups`` sits under every domain, which
# announces its facts to it. A new app (cases/, community/, prevention/) fails the test
# until it is placed here; the architecture doc puts the domains above registry/addresses.
LAYERS: list[set[str]] = [
    {"core"},
    {"audit"},
    {"jurisdictions"},
    {"rollups"},
    {"accounts"},
    {"addresses"},
    {"registry"},
    {"incidents"},
    {"disputes"},
    {"personnel"},  # staff import (the ledger import's reader) and hand-over (the domains' work)
    {"scoring"},
    {"home"},  # 我的工作: composes the domains' selectors; mounted by dashboards' root url
    {"api", "dashboards", "demo", "portal", "ops", "setup"},
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def apps_in(root: Path) -> set[str]:
    return {p.parent.name for p in root.glob("*/__init__.py")}


def imported_apps(path: Path, root: Path) -> list[tuple[str, int]]:
    """The apps of the package that a module imports, with the line of each import."""
    module = path.relative_to(root).with_suffix("").parts
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the module's own package
                base = list(module[: len(module) - node.level])
                names = [".".join(["fengqiao", *base, *([node.module] if node.module else [])])]
            else:
                names = [node.module or ""]
            if names[0] == "fengqiao":  # from fengqiao import scoring
                names = [f"fengqiao.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "fengqiao" and len(parts) > 1:
                found.append((parts[1], node.lineno))
    return found


def violations(root: Path) -> list[str]:
    """Every import that runs sideways or upward, as ``file:line app → app``."""
    apps = apps_in(root)
    wrong: list[str] = []
    for app in sorted(apps):
        for path in sorted((root / app).rglob("*.py")):
            for target, line in imported_apps(path, root):
                if target == app or target not in apps:
                    continue
                if target not in LEVEL or LEVEL[target] >= LEVEL.get(app, -1):
                    wrong.append(f"{path.relative_to(root)}:{line} {app} → {target}")
    return wrong


def test_every_app_has_a_layer():
    assert apps_in(PACKAGE) - LEVEL.keys() == set(), "place the new app in LAYERS"


def test_every_import_between_apps_points_down():
    assert violations(PACKAGE) == []


def test_the_kernel_and_the_rollups_import_no_domain():
    """Spelled out, since these are what new domains are built on."""
    below = {"core": set(), "audit": {"core"}, "jurisdictions": {"core", "audit"},
             "rollups": {"core", "audit", "jurisdictions"}}  # fmt: skip
    for app, allowed in below.items():
        reached = {
            target
            for path in (PACKAGE / app).rglob("*.py")
            for target, _line in imported_apps(path, PACKAGE)
            if target != app
        }
        assert reached <= allowed, (app, reached - allowed)


def test_an_upward_import_is_caught(tmp_path):
    """The checker itself: a domain reaching up into scoring is named, file and line."""
    for app in ("core", "scoring", "incidents"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    (tmp_path / "incidents" / "services.py").write_text(
        "from fengqiao.core import models\n\n\ndef f():\n    from fengqiao.scoring import rollups\n"
    )
    (tmp_path / "core" / "models.py").write_text("from .. import incidents\n")
    assert violations(tmp_path) == [
        "core/models.py:1 core → incidents",
        "incidents/services.py:5 incidents → scoring",
    ]
