"""Bad bytes, bad answers and bad config (issue 18 item 6): a clear message naming the
problem (file:line, HTTP status), a non-zero exit, never a traceback, nothing else lost."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import agenttui
from tests.support.linear_server import Injection, LinearServer
from workflows.base.config import load_config
from workflows.base.errors import EXIT_USAGE
from workflows.base.paths import config_file, state_dir
from workflows.forge.github import GitHubError, create_pull_request


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    load_config.cache_clear()
    return path


def failed_cleanly(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


@pytest.mark.parametrize(
    ("config", "verb", "message"),
    [
        (
            '[linear]\napi_key = "lin_x"\ntimeout = "fast"\n',
            ("issues", "--source", "linear"),
            ':3: [linear] timeout must be a number, not "fast"',
        ),
        (
            "\n[workflows]\nrepo = 5\n",
            ("run", "quick-fix", "--issues", "PCL-101"),
            ":3: [workflows] repo must be a string, not 5",
        ),
        (
            '[watch]\nretrigger = "labels_added"\n',
            ("poll", "--dry-run"),
            ':2: [watch] retrigger must be a list of strings (like ["labels_added"])',
        ),
        (
            '[watch]\n[watch.filters.default]\nlabels = "agent"\n',
            ("poll", "--dry-run"),
            ":3: [watch.filters.default] labels must be a list of strings",
        ),
        (
            '[grouping]\nmerge_threshold = "high"\n',
            ("groups",),
            ':2: [grouping] merge_threshold must be a number, not "high"',
        ),
        ("[local]\npath = 7\n", ("issues",), ":2: [local] path must be a string, not 7"),
        ("[issues]\nsource = true\n", ("issues",), ":2: [issues] source must be a string"),
        ("[grouping]\nbogus = 1\n", ("groups",), ":2: [grouping] has an unknown key 'bogus'"),
        ("local = 3\n", ("issues",), ":1: [local] must be a table"),
    ],
)
def test_wrong_config_types_are_named_with_file_and_line(
    config: str, verb: tuple[str, ...], message: str
) -> None:
    path = write_config(config)
    result = agenttui(*verb, check=False)
    failed_cleanly(result, f"{path}{message}")
    assert result.returncode == EXIT_USAGE


@pytest.mark.parametrize("value", ['"no"', '"false"', "0", '"yes"'])
def test_keep_agents_is_true_or_false_only(value: str) -> None:
    from workflows.base.config import table

    path = write_config(f"[workflows]\nkeep_agents = {value}\n")
    with pytest.raises(Exception, match=f"{path}:2: \\[workflows\\] keep_agents must be true or"):
        table("workflows").get_bool("keep_agents", False)
    write_config("[workflows]\nkeep_agents = true\n")
    assert table("workflows").get_bool("keep_agents", False) is True


def test_workflow_worktree_must_be_a_boolean(tmp_path: Path) -> None:
    flow = tmp_path / "flow.toml"
    flow.write_text(
        'name = "flow"\nworktree = "no"\n\n[[steps]]\nid = "t"\nrun = "true"\n', encoding="utf-8"
    )
    failed_cleanly(
        agenttui("workflows", "--check", str(flow), check=False),
        f"{flow}:2: worktree must be true or false, not 'no'",
    )


def test_a_non_utf8_issue_file_is_named_and_the_others_listed(tmp_path: Path) -> None:
    folder = tmp_path / "issues"
    folder.mkdir()
    (folder / "OK-1.md").write_text("# Fine issue\n\nbody\n", encoding="utf-8")
    (folder / "OK-2.toml").write_text('title = "Also fine"\n', encoding="utf-8")
    (folder / "BAD-1.md").write_bytes(b"# Broken\n\ncaf\xe9 latin-1\n")
    write_config(f'[local]\npath = "{folder}"\n')
    for verb in (("issues",), ("issues", "--json"), ("groups", "--all")):
        result = agenttui(*verb, check=False)
        failed_cleanly(result, f"skipped {folder / 'BAD-1.md'}:3: not UTF-8 text (byte 0xe9")
        assert "OK-1" in result.stdout and "OK-2" in result.stdout, verb
    listed = json.loads(agenttui("issues", "--json", check=False).stdout)
    assert sorted(issue["identifier"] for issue in listed) == ["OK-1", "OK-2"]
    shown = agenttui("issue", "OK-2")  # the good ones still open, with a warning
    assert "Also fine" in shown.stdout and "skipped" in shown.stderr
    missing = agenttui("issue", "BAD-1", check=False)  # the skipped file is named as the cause
    failed_cleanly(missing, "no issue BAD-1", f"files skipped: {folder / 'BAD-1.md'}:3")


def test_an_answer_without_data_fields_is_a_linear_error(linear_server: LinearServer) -> None:
    linear_server.inject(Injection(200, {"data": {}}))
    failed_cleanly(
        agenttui("issues", "--source", "linear", check=False),
        "Linear's answer is not what agenttui expects: no field 'issues'",
    )
    linear_server.inject(Injection(200, {"data": {"issue": {"id": "x"}}}))
    failed_cleanly(
        agenttui("issue", "ENG-1", "--source", "linear", check=False),
        "Linear's answer is not what agenttui expects: no field 'identifier'",
    )


class _PlainTextPulls(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self._answer(200, b"[]")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(201, b"<html>Created</html>")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def plain_text_github(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PlainTextPulls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    yield url
    server.shutdown()
    server.server_close()


def test_a_201_that_is_not_json_is_a_github_error(plain_text_github: str) -> None:
    with pytest.raises(GitHubError) as caught:
        create_pull_request("acme/app", head="fix", base="main", title="t", body="b")
    message = str(caught.value)
    assert "HTTP 201 but not JSON ('<html>Created</html>')" in message
    assert "may have been opened: a resumed run looks for it" in message


def _hold_store_lock(seconds: float) -> subprocess.Popen[str]:
    """Another process holding the store's write lock (a stuck writer)."""
    path = state_dir() / "agenttui.sqlite3"
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_locked_store_is_a_message_not_a_traceback() -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    sqlite3.connect(state_dir() / "agenttui.sqlite3").close()
    holder = _hold_store_lock(120)
    try:
        started = time.monotonic()
        failed_cleanly(agenttui("issues", check=False), "is locked by another agenttui process")
        assert json.loads(agenttui("issues", "--json", check=False).stdout)["exit_code"] == 1
        for verb in (("issue", "PCL-101"), ("runs",)):
            result = agenttui(*verb, check=False)  # read-only verbs: an answer or a message
            assert "Traceback" not in result.stderr, (verb, result.stderr)
            assert result.returncode == 0 or "is locked by another" in result.stderr, verb
        assert time.monotonic() - started < 90
    finally:
        holder.kill()
        holder.wait()
    assert agenttui("issues").returncode == 0  # nothing lost once it is free


def test_a_full_disk_is_a_message_not_a_traceback() -> None:
    """RLIMIT_FSIZE stands in for a full disk: every write past 64 KB fails."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))\n"
        "from tui.cli import main\n"
        "sys.exit(main(['issues']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    failed_cleanly(result, "the store", "(is the disk full?)")


def test_a_socket_path_where_a_socket_name_belongs_is_named(tmp_path: Path) -> None:
    # tmux -L takes a name; a path used to fail on a lock file of that name instead.
    path = str(tmp_path / "tmux.sock")
    result = agenttui("--socket", path, "ls", check=False)
    failed_cleanly(
        result, f"--socket takes a tmux socket name (tmux -L NAME), not a path: {path!r}"
    )
    assert result.returncode == 2
