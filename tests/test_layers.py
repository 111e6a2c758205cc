"""The layers, checked rather than kept by habit: the Qt-free core never imports Qt or the app, and each core
package imports only the layers below it.  Every import counts, including the ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gpmc_desktop"
CORE = ("profile", "gp", "mailchimp", "sync", "store", "credentials", "scheduling")
NEVER_IN_CORE = ("PySide6", "shiboken6", "gpmc_desktop.ui", "gpmc_desktop.cli", "gpmc_desktop.demo")
# What each core package must not import (besides NEVER_IN_CORE): the layers above it.
ABOVE = {
    "profile": ("gpmc_desktop.gp", "gpmc_desktop.mailchimp", "gpmc_desktop.sync", "gpmc_desktop.store",
                "gpmc_desktop.credentials", "gpmc_desktop.scheduling"),
    "store": ("gpmc_desktop.gp", "gpmc_desktop.mailchimp", "gpmc_desktop.sync"),
    "mailchimp": ("gpmc_desktop.gp", "gpmc_desktop.sync", "gpmc_desktop.store"),
    "gp": ("gpmc_desktop.sync", "gpmc_desktop.mailchimp"),
    "credentials": ("gpmc_desktop.gp", "gpmc_desktop.mailchimp", "gpmc_desktop.sync", "gpmc_desktop.store"),
    "scheduling": ("gpmc_desktop.gp", "gpmc_desktop.mailchimp", "gpmc_desktop.sync"),
    "sync": (),
}


def imported_modules(path: Path, root: Path = PACKAGE) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def violations(layer: str, root: Path = PACKAGE) -> list[str]:
    forbidden = NEVER_IN_CORE + ABOVE[layer]
    found = []
    for path in sorted((root / layer).rglob("*.py")):
        for module in sorted(imported_modules(path, root)):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(root.parent).as_posix()} imports {module}")
    return found


@pytest.mark.parametrize("layer", CORE)
def test_core_layers_import_only_what_is_below_them(layer: str) -> None:
    assert violations(layer) == []


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    probe = tmp_path / "gpmc_desktop" / "gp" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("def f():\n    from PySide6.QtCore import QObject\n    from ..sync import engine\n")
    assert violations("gp", tmp_path / "gpmc_desktop") == [
        "gpmc_desktop/gp/probe.py imports PySide6.QtCore",
        "gpmc_desktop/gp/probe.py imports PySide6.QtCore.QObject",
        "gpmc_desktop/gp/probe.py imports gpmc_desktop.sync",
        "gpmc_desktop/gp/probe.py imports gpmc_desktop.sync.engine",
    ]
