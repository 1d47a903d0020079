#!/usr/bin/env bash
# Set up agenttui on a fresh Debian machine (Python >= 3.11), then start the offline demo
# (`demo`, the default) or run the whole test suite (`test`). Safe to run again.
#
# Installs what is missing: tmux (and for tests git, bubblewrap, node/npm, the Claude Code
# and Codex CLIs from the npm registry, into tests/.npm), a virtualenv in .venv with
# agenttui and its test tools. Extra arguments after `test` go to pytest.
set -euo pipefail

mode=${1:-demo}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

command -v tmux >/dev/null || apt_install tmux
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    "$python" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true

# pip's build warnings are noise on success; on failure show them.
pip_quiet() {
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

case "$mode" in
  demo)
    command -v git >/dev/null || apt_install git  # the demo's sample project is a git repo
    pip_quiet -e .
    exec .venv/bin/agenttui demo "$@"
    ;;
  test)
    command -v git >/dev/null || apt_install git
    command -v bwrap >/dev/null || apt_install bubblewrap
    command -v unshare >/dev/null || apt_install util-linux
    command -v npm >/dev/null || apt_install nodejs npm
    pip_quiet -e '.[test]'
    npm_prefix="$root/tests/.npm"
    if [ ! -x "$npm_prefix/node_modules/.bin/claude" ] || [ ! -x "$npm_prefix/node_modules/.bin/codex" ] \
      || [ ! -x "$npm_prefix/node_modules/.bin/gemini" ]; then
      # Pinned: the versions whose screens are recorded in tests/fixtures/screens (re-record
      # with `python -m tests.e2e.record_screens` when moving these).
      npm install --silent --no-audit --no-fund --prefix "$npm_prefix" \
        @anthropic-ai/claude-code@2.1.197 @openai/codex@0.169.0 @google/gemini-cli@0.61.0 >/dev/null
    fi
    export AGENTTUI_NPM_BIN="$npm_prefix/node_modules/.bin"
    export PATH="$root/.venv/bin:$PATH"
    .venv/bin/ruff check .
    .venv/bin/mypy
    exec .venv/bin/python -m pytest "$@"
    ;;
  *)
    echo "usage: tests/bootstrap.sh [demo|test] [args...]" >&2
    exit 2
    ;;
esac
