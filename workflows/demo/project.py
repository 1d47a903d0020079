"""What ``agenttui demo`` prepares under ``state_dir()/demo`` so a feedback run works offline.

A small sample git project (a Python module with a passing ``unittest`` suite) with a local
bare remote named ``origin``, and a generated config file (tomli-w; the user's config is never
touched) that points runs at it: ``[workflows] repo``, ``agent = "demo"``, the test command,
``github_repo = "demo/sample"`` (served by the offline forge, ``workflows.forge.offline``) and the
local issue source. Everything is made once and reused by the next ``agenttui demo``.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from workflows.base.config import section
from workflows.base.paths import state_dir
from workflows.demo.qa import slot_table
from workflows.forge.git import git

DEMO_GITHUB_REPO = "demo/sample"
DEMO_TOKEN = "demo-forge-token"  # not a secret: it only opens the offline forge
DEMO_ISSUES = ("PCL-101", "PCL-102", "PCL-103")  # a parent, its sub-issue and a related bug

SAMPLE_FILES = {
    "README.md": "# parcel\n\nShipping labels for the parcel service (agenttui demo project).\n",
    ".gitignore": "__pycache__/\n",
    "parcel/__init__.py": '"""Shipping labels."""\n',
    "parcel/labels.py": '''"""Label sizes and a tiny ZPL renderer."""

SIZES_INCH = {"4x6": (4.0, 6.0), "a6": (4.13, 5.83)}


def label_dots(size: str, dpi: int = 203) -> tuple[int, int]:
    """The label's width and height in printer dots."""
    width, height = SIZES_INCH[size]
    return round(width * dpi), round(height * dpi)


def zpl(address: str, tracking: str) -> str:
    """A minimal Zebra ZPL label: the address and a Code 128 barcode."""
    rows = enumerate(address.splitlines())
    lines = "".join(f"^FO40,{40 + 40 * n}^FD{line}^FS" for n, line in rows)
    return f"^XA{lines}^FO40,400^BCN,120^FD{tracking}^FS^XZ"
''',
    "tests/__init__.py": "",
    "tests/test_labels.py": """import unittest

from parcel.labels import label_dots, zpl


class LabelTest(unittest.TestCase):
    def test_4x6_at_203_dpi(self) -> None:
        self.assertEqual(label_dots("4x6"), (812, 1218))

    def test_zpl_has_the_tracking_number(self) -> None:
        label = zpl("Ada Lovelace\\n1 Main St", "1Z999")
        self.assertTrue(label.startswith("^XA") and label.endswith("^XZ"))
        self.assertIn("^FD1Z999^FS", label)


if __name__ == "__main__":
    unittest.main()
""",
}


@dataclass(frozen=True)
class DemoProject:
    folder: Path  # state_dir()/demo
    repo: Path  # the sample project (a git working tree)
    remote: Path  # its bare `origin`
    config: Path  # the generated config file

    @property
    def test_command(self) -> str:
        return f"{shlex.quote(sys.executable)} -m unittest discover -s tests -q"


def demo_folder() -> Path:
    return state_dir() / "demo"


def prepare_demo() -> DemoProject:
    """The sample project, its remote and the demo config (made once, then reused)."""
    folder = demo_folder()
    project = DemoProject(
        folder, folder / "project" / "sample", folder / "project" / "origin.git",
        folder / "config.toml",
    )  # fmt: skip
    if not (folder / "project" / ".ready").exists():
        _build(project)
    write_config(project)
    return project


def _build(project: DemoProject) -> None:
    """Build in a scratch folder and move it in place, so a crash leaves nothing half-made."""
    final = project.repo.parent
    scratch = final.with_name("project.tmp")
    for leftover in (scratch, final):
        shutil.rmtree(leftover, ignore_errors=True)
    (scratch / "sample").mkdir(parents=True)
    git(scratch, "init", "-q", "--bare", "-b", "main", "origin.git")
    repo = scratch / "sample"
    for name, text in SAMPLE_FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "agenttui demo")
    git(repo, "config", "user.email", "demo@agenttui.invalid")
    git(repo, "config", "commit.gpgsign", "false")  # a demo never asks for a passphrase
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "parcel: label sizes and ZPL")
    scratch.rename(final)
    git(project.repo, "remote", "add", "origin", str(project.remote))
    git(project.repo, "push", "-q", "-u", "origin", "main")
    git(project.repo, "remote", "set-head", "origin", "main")
    (final / ".ready").write_text("ok\n", encoding="utf-8")


def write_config(project: DemoProject) -> None:
    config: dict[str, Any] = {
        "issues": {"source": "local"},
        "workflows": {
            "repo": str(project.repo),
            "agent": "demo",
            "test_command": project.test_command,
            "github_repo": DEMO_GITHUB_REPO,
            "worktree_root": str(project.folder / "worktrees"),
            "keep_agents": True,  # the agents screen keeps the run's agents for a look
        },
        "slots": {"staging": slot_table(project.folder)},  # the QA demo's (demo --qa)
    }
    tui = section("tui")  # the user's keys and bell carry over; nothing else does
    if tui:
        config["tui"] = tui
    text = tomli_w.dumps(config)
    if not project.config.exists() or project.config.read_text(encoding="utf-8") != text:
        temporary = project.config.with_suffix(".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(project.config)


def demo_env(project: DemoProject, forge_url: str) -> dict[str, str]:
    """The environment of the demo's app and runs: the demo config, the offline forge, and
    no Linear key (an empty value also hides one a tmux server may have inherited)."""
    from workflows.base.childenv import agenttui_env

    env = agenttui_env()
    env.update(
        AGENTTUI_CONFIG=str(project.config),
        GITHUB_API_URL=forge_url,
        GITHUB_TOKEN=DEMO_TOKEN,
        LINEAR_API_KEY="",
    )
    return env
