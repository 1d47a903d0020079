"""The offline forge (workflows/forge/offline.py) beyond what the run tests use: its pull requests
survive a restart through the state file, and a pull request's html_url is a page anyone on
the machine can open (no token), with the untrusted title escaped."""

from __future__ import annotations

from pathlib import Path

import httpx

from workflows.forge.offline import Forge

TITLE = "<script>alert(1)</script> & labels"


def open_pull(forge: Forge, head: str) -> httpx.Response:
    return httpx.post(
        f"{forge.url}/repos/demo/sample/pulls",
        json={"title": TITLE, "head": head, "base": "main", "body": "body"},
        headers={"Authorization": f"Bearer {forge.token}"},
        timeout=10,
    )


def test_pull_requests_survive_a_restart_and_have_a_page(tmp_path: Path) -> None:
    state = tmp_path / "pulls.json"
    forge = Forge(state_file=state).start()
    try:
        created = open_pull(forge, "feature")
        assert created.status_code == 201
        assert httpx.get(f"{forge.url}/repos/demo/sample/pulls", timeout=10).status_code == 401
    finally:
        forge.stop()

    again = Forge(state_file=state).start()
    try:
        assert [pull["head"]["ref"] for pull in again.pulls] == ["feature"]
        assert open_pull(again, "feature").status_code == 422  # still open: no duplicate
        page = httpx.get(created.json()["html_url"].replace(forge.url, again.url), timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "&lt;script&gt;" in page.text and "<script>" not in page.text
        index = httpx.get(f"{again.url}/", timeout=10)
        assert "#1 " in index.text and "feature" in index.text
        assert httpx.get(f"{again.url}/demo/sample/pull/9", timeout=10).status_code == 404
    finally:
        again.stop()
