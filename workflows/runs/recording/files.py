"""Where recordings live and how long: ``state_dir/recordings/<run>/<agent>.cast``, 0600
files in 0700 folders (agents print secrets too: no looser than the store), within the
limits of ``[recordings]`` in config.toml.

```toml
[recordings]
enabled = true       # the default
max_mb = 64          # one pane's recording stops (with a marker) past this size
keep_days = 30       # older recordings go at the next run's start and at `agenttui clean`
max_total_mb = 2048  # the oldest runs' recordings go first past this
attach_to_pr = false # pushed with the pull request as proof of work (proof.py)
```
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from workflows.base.config import table
from workflows.base.paths import state_dir

MIB = 1 << 20
DAY_S = 86400.0


@dataclass(frozen=True)
class RecordingLimits:
    enabled: bool = True
    max_bytes: int = 64 * MIB
    keep_s: float = 30 * DAY_S
    max_total_bytes: int = 2048 * MIB
    attach_to_pr: bool = False  # pushed as proof of work (proof.py): secrets go with them

    @classmethod
    def from_config(cls) -> RecordingLimits:
        config = table("recordings")
        config.check_known(("enabled", "max_mb", "keep_days", "max_total_mb", "attach_to_pr"))
        return cls(
            enabled=config.get_bool("enabled", True),
            attach_to_pr=config.get_bool("attach_to_pr", False),
            max_bytes=int(config.get_float("max_mb", 64, minimum=0.001) * MIB),
            keep_s=config.get_float("keep_days", 30, minimum=0) * DAY_S,
            max_total_bytes=int(config.get_float("max_total_mb", 2048, minimum=0.001) * MIB),
        )


def recordings_root() -> Path:
    return state_dir() / "recordings"


def run_folder(run_id: str) -> Path:
    return recordings_root() / run_id


def cast_path(run_id: str, agent: str) -> Path:
    return run_folder(run_id) / f"{agent}.cast"


def run_casts(run_id: str) -> list[Path]:
    """A run's recordings, oldest first (the order its agents started)."""
    folder = run_folder(run_id)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.cast"), key=lambda path: (path.stat().st_mtime, path.name))


def remove_run(run_id: str) -> list[str]:
    """Delete a run's recordings; the files removed."""
    casts = [str(path) for path in run_casts(run_id)]
    shutil.rmtree(run_folder(run_id), ignore_errors=True)
    return casts


def prune(
    limits: RecordingLimits, *, keep: str | None = None, now: float | None = None
) -> list[str]:
    """Remove whole runs' recordings past the age limit, then the oldest past the total
    size; never the run ``keep`` (the one recording now). The runs removed."""
    root = recordings_root()
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    folders = []
    for folder in root.iterdir():
        casts = list(folder.glob("*.cast")) if folder.is_dir() else []
        newest = max((path.stat().st_mtime for path in casts), default=folder.stat().st_mtime)
        size = sum(path.stat().st_size for path in casts)
        folders.append((newest, size, folder))
    folders.sort()
    removed: list[str] = []
    total = sum(size for _, size, _ in folders)
    for newest, size, folder in folders:
        if folder.name == keep:
            continue
        if now - newest > limits.keep_s or total > limits.max_total_bytes:
            shutil.rmtree(folder, ignore_errors=True)
            total -= size
            removed.append(folder.name)
    return removed
