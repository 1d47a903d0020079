"""The suite's tmux guard (tests/support/tmux_guard.py), checked by running a small suite under it.

The inner suite's "person's default server" is a server of this test's own: the guard takes
the socket folder it finds at start-up as the person's, and this test gives it a private one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.tmux_guard import server_alive, stop_server, windows

INNER_TESTS = """
import os
import subprocess
from pathlib import Path

from workflows.base.target import TmuxTarget
from workflows.tmux.driver import TmuxDriver


def test_a_bare_tmux_lands_on_a_server_of_the_test_and_outlives_it():
    subprocess.run(["tmux", "new-session", "-d", "-s", "bare", "sleep 300"], check=True)
    own = Path(os.environ["TMUX_TMPDIR"]) / f"tmux-{os.getuid()}" / "default"
    assert own.is_socket()


def test_code_that_escapes_to_the_person_server(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # as tests/conftest.py's isolated_env does
    monkeypatch.setenv("AGENTTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("TMUX_TMPDIR", os.environ["PERSON_TMUX_TMPDIR"])  # the escape
    driver = TmuxDriver(TmuxTarget(None, "person"))
    driver.spawn(["sleep", "300"], name="leaked", env={"HOME": str(tmp_path)})
    driver.close()


def test_clean():
    assert True
"""


def test_the_guard_confines_tmux_and_fails_the_suite_on_leaks(
    tmp_path: Path, private_tmux_dir: Path
) -> None:
    person = private_tmux_dir / f"tmux-{os.getuid()}" / "default"
    person.parent.mkdir(mode=0o700)
    subprocess.run(
        ["tmux", "-S", str(person), "new-session", "-d", "-s", "person", "sleep 300"], check=True
    )
    try:
        before = set(windows(person))
        (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
        (tmp_path / "pytest.ini").write_text("[pytest]\n")
        repo = Path(__file__).resolve().parents[2]
        env = {
            **os.environ,
            "PERSON_TMUX_TMPDIR": str(private_tmux_dir),
            "PYTHONPATH": str(repo),
        }
        inner = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "tests.support.tmux_guard",
             "-p", "no:cacheprovider",
             "-c", str(tmp_path / "pytest.ini"), "-q", str(tmp_path / "test_inner.py")],
            capture_output=True, text=True, cwd=repo, env=env, timeout=240, check=False,
        )  # fmt: skip
        output = inner.stdout + inner.stderr
        assert inner.returncode == 1, output
        assert "3 passed, 1 error" in output, output
        # The leftover is named with what it serves, so a failure says who left it.
        assert "tmux server(s) outlived the test: default (bare:" in output, output
        assert '"sleep 300") (stopped now)' in output, output
        assert "FAILED: the suite left window person:leaked on the default server" in output, output
        # The person's own window is untouched; the leaked one was closed; nothing else came.
        assert set(windows(person)) == before and len(before) == 1
    finally:
        stop_server(person)
    assert not server_alive(person)
