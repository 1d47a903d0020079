"""The headless core must never pull in the UI layers (ARCHITECTURE: tui → widgets → workflows)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import workflows

FORBIDDEN = ("textual", "tui", "widgets")


def all_workflow_modules() -> list[str]:
    names = ["workflows"]
    for info in pkgutil.walk_packages(workflows.__path__, prefix="workflows."):
        names.append(info.name)
    return names


def test_core_modules_exist() -> None:
    assert "workflows.base.store" in all_workflow_modules()


def test_importing_workflows_never_imports_ui() -> None:
    modules = all_workflow_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"workflows imported UI modules: {result.stdout}"
