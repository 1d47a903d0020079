"""Drift check: do the agent profiles still recognise the screens of a CLI release?

    python -m tests.e2e.drift [--claude latest|VERSION|DIR|none] [--codex …] [--gemini …]
                              [--scenes main,blocked…] [--profiles DIR] [--cache DIR]

For each agent asked (all three by default, each ``latest``): installs that release from
the npm registry into ``--cache`` (default ``~/.cache/agenttui/drift``, once per version; a
DIR holding an installed CLI is used as is), drives it jailed against the scripted model
server through the recorder's scenes (tests/e2e/record_screens.py: start, idle, working,
approval, question, trust, exit; usage limit, auth error, menus, Claude Code's auto-mode
dialog) and classifies every screen with the profile, from the screen alone (no hooks, quiet
for a minute) as the fixture tests do. It prints the state each screen got, and every screen
the profile did not recognise in full, with what it should have been. A scene that waits for
a text the release no longer shows is reported with the screen it stopped on.

``--profiles DIR`` classifies with the profile files in DIR instead of the built-in ones
(e.g. an older checkout's, to see what a rule change fixed). Exit status 1 when a screen was
not recognised or a scene got stuck. After a release: run this, fix the profile rules, run
``python -m tests.e2e.record_screens`` to keep the new release's screens as fixtures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.agents import PACKAGES
from tests.e2e.record_screens import (
    Screen,
    StuckOnScreen,
    captured,
    cli_version,
    recording,
    scenes,
)
from workflows.agents.classifier import classify
from workflows.agents.profiles import Profile, parse_profile
from workflows.agents.settings import load_profile
from workflows.agents.state import AgentState, StateReading

QUIET_S = 60.0
"""Screens are judged as if unchanged this long: an unknown dialog then reads blocked."""


@dataclass
class Verdict:
    """One screen and what the profile made of it."""

    screen: Screen
    reading: StateReading

    @property
    def expected(self) -> AgentState:
        return AgentState(self.screen.name.split("-")[0])

    @property
    def recognised(self) -> bool:
        wanted = self.screen.detail
        got = {key: str(self.reading.detail.get(key)) for key in wanted}
        return self.reading.state is self.expected and got == wanted


@dataclass
class Report:
    agent: str
    version: str
    verdicts: list[Verdict] = field(default_factory=list)
    stuck: list[tuple[str, StuckOnScreen, StateReading]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.stuck and all(verdict.recognised for verdict in self.verdicts)

    def lines(self) -> Iterator[str]:
        yield f"{self.agent} {self.version}"
        for verdict in self.verdicts:
            mark = "ok" if verdict.recognised else f"NOT RECOGNISED (expected {verdict.expected})"
            yield f"  {verdict.screen.name:32} {describe(verdict.reading):44} {mark}"
        for scene, stuck, reading in self.stuck:
            waited = f"stuck waiting for {stuck.needle!r}"
            yield f"  scene {scene!r} {waited}; the screen reads {describe(reading)}"
            yield from screen_lines(stuck.lines)
        unknown = [verdict for verdict in self.verdicts if not verdict.recognised]
        yield f"  unrecognised: {len(unknown)} of {len(self.verdicts)} screens" + (
            f", {len(self.stuck)} scene(s) stuck" if self.stuck else ""
        )
        for verdict in unknown:
            got = describe(verdict.reading)
            yield f"  --- {verdict.screen.name} (expected {verdict.expected}, got {got})"
            for key, wanted in verdict.screen.detail.items():
                found = verdict.reading.detail.get(key)
                if str(found) != wanted:
                    yield f"      detail {key}: expected {wanted!r}, got {found!r}"
            yield from screen_lines(verdict.screen.lines)


def describe(reading: StateReading) -> str:
    reason = reading.detail.get("reason") if reading.state is AgentState.BLOCKED else None
    return f"{reading.state.value}{f' ({reason})' if reason else ''} [{reading.source}]"


def screen_lines(lines: list[str]) -> Iterator[str]:
    for line in lines:
        if line.strip():
            yield f"      | {line.rstrip()}"


def judge(profile: Profile, screen: Screen) -> StateReading:
    status, signal = screen.dead if screen.dead is not None else (None, None)
    return classify(
        profile, screen.lines, screen.title, [], QUIET_S,
        dead=screen.dead is not None, dead_status=status, dead_signal=signal,
    )  # fmt: skip


def npm(*args: str) -> str:
    done = subprocess.run(["npm", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def install(agent: str, wanted: str, cache: Path) -> tuple[Path, str]:
    """The bin directory holding ``agent``'s CLI at ``wanted`` (latest, a version or a DIR)."""
    if Path(wanted).is_dir():
        return Path(wanted), "as installed in " + wanted
    package = PACKAGES[agent]
    version = json.loads(npm("view", f"{package}@{wanted}", "version", "--json"))
    version = version[-1] if isinstance(version, list) else str(version)
    prefix = cache / f"{agent}-{version}"
    bin_dir = prefix / "node_modules" / ".bin"
    if not (bin_dir / agent).exists():
        print(f"installing {package}@{version} into {prefix}", flush=True)
        npm("install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix),
            f"{package}@{version}")  # fmt: skip
    return bin_dir, "npm latest" if wanted == "latest" else "from npm"


def profile_for(agent: str, override: Path | None) -> Profile:
    if override is None:
        return load_profile(agent)
    path = override / f"{agent}.toml"
    return parse_profile(tomllib.loads(path.read_text(encoding="utf-8")), path)


def check(agent: str, bin_dir: Path, origin: str, chosen: list[str], profile: Profile) -> Report:
    os.environ["AGENTTUI_NPM_BIN"] = str(bin_dir)
    report = Report(agent, f"{cli_version(agent)} ({origin})")
    with (
        recording() as (driver, root),
        captured(lambda screen: report.verdicts.append(Verdict(screen, judge(profile, screen)))),
    ):
        for name, scene in scenes(agent).items():
            if chosen and name not in chosen:
                continue
            try:
                scene(driver, root)
            except StuckOnScreen as stuck:
                reading = classify(profile, stuck.lines, stuck.title, [], QUIET_S)
                report.stuck.append((name, stuck, reading))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.drift", description=__doc__)
    for agent in PACKAGES:
        parser.add_argument(f"--{agent}", default="latest", help="latest, a version, a DIR, none")
    parser.add_argument("--scenes", default="", help="only these scenes, e.g. main,blocked")
    parser.add_argument("--profiles", type=Path, help="classify with the profiles in this DIR")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/agenttui/drift")
    args = parser.parse_args(argv)
    chosen = [name for name in args.scenes.split(",") if name]
    clean = True
    for agent in PACKAGES:
        wanted = getattr(args, agent)
        if wanted == "none":
            continue
        bin_dir, version = install(agent, wanted, args.cache)
        report = check(agent, bin_dir, version, chosen, profile_for(agent, args.profiles))
        for line in report.lines():
            print(line, flush=True)
        clean = clean and report.clean
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
