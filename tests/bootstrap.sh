#!/usr/bin/env bash
# Set up agenttui on a fresh Debian machine (Python >= 3.11), then start the offline demo
# (`demo`, the default) or run the whole test suite (`test`). Safe to run again.
#
# Installs what is missing: tmux (and for tests git, bubblewrap, node/npm, chromium, the Claude Code,
# Codex and Gemini CLIs from the npm registry: the sets in tests/agent-clis.txt, each under
# tests/.npm/<set>), a virtualenv in .venv with agenttui and its test tools. Extra arguments
# after `test` go to pytest.
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

# True when pytest gets no test path (the whole suite, as CI runs it).
whole_suite() {
  for arg in "$@"; do
    case "$arg" in -*) continue ;; esac
    [ -e "${arg%%::*}" ] && return 1
  done
  return 0
}

floor_check() {
  [ -x .venv-floor/bin/python ] || "$python" -m venv .venv-floor
  .venv-floor/bin/python -m pip install -q -c tests/floor-versions.txt -e '.[test]'
  PATH="$root/.venv-floor/bin:$PATH" .venv-floor/bin/python -m pytest -q -p no:cacheprovider -n 2 \
    tests/unit tests/tui -k "not snapshot"
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
    command -v chromium >/dev/null || apt_install chromium  # agenttui serve's browser test
    [ -x /usr/sbin/sshd ] || apt_install openssh-server openssh-client  # remote hosts (tests/hosts)
    pip_quiet -e '.[test]'
    # Each set of agent CLIs in tests/agent-clis.txt into its own prefix, tests/.npm/<set>
    # (again only when the set's versions changed: the prefix remembers them in .specs).
    while read -r set specs; do
      case "$set" in ''|'#'*) continue ;; esac
      prefix="$root/tests/.npm/$set"
      if [ "$(cat "$prefix/.specs" 2>/dev/null)" != "$specs" ]; then
        rm -rf "$prefix"
        mkdir -p "$prefix"
        # shellcheck disable=SC2086  # one word per package
        npm install --silent --no-audit --no-fund --prefix "$prefix" $specs </dev/null >/dev/null
        echo "$specs" >"$prefix/.specs"
      fi
    done <tests/agent-clis.txt
    # The e2e suite drives the current set (AGENTTUI_NPM_BIN); tests that name a set use
    # AGENTTUI_NPM_BIN_CURRENT / AGENTTUI_NPM_BIN_PINNED (the older release's smoke tests).
    export AGENTTUI_NPM_BIN_CURRENT="$root/tests/.npm/current/node_modules/.bin"
    export AGENTTUI_NPM_BIN_PINNED="$root/tests/.npm/pinned/node_modules/.bin"
    export AGENTTUI_NPM_BIN="$AGENTTUI_NPM_BIN_CURRENT"
    export PATH="$root/.venv/bin:$PATH"
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    # The layers of ARCHITECTURE.md (pyproject [tool.importlinter]); its report only if broken.
    layers=$(.venv/bin/lint-imports --no-cache 2>&1) || { echo "$layers" >&2; exit 1; }
    # The whole suite (no test path given) also runs the unit and tui tests on the oldest
    # versions pyproject.toml declares (tests/floor-versions.txt), beside the main run: the
    # suite mostly waits on tmux and agents, so this costs little wall time.
    floor_pid=
    if whole_suite "$@"; then
      floor_log=$(mktemp)
      floor_check >"$floor_log" 2>&1 &
      floor_pid=$!
    fi
    status=0
    # In parallel: every test has its own HOME, state, TMUX_TMPDIR and ports, and most of them
    # wait on tmux and agents rather than the CPU (AGENTTUI_TEST_WORKERS=0: one process).
    # One worker per core: four on 2 cores pushed the load to 8-10 and timing tests (mirror
    # batches, a tile's one-key approve, Linear activity order) failed 1 run in 2.
    .venv/bin/python -m pytest -n "${AGENTTUI_TEST_WORKERS:-$(nproc)}" "$@" || status=$?
    if [ -n "$floor_pid" ]; then
      if wait "$floor_pid"; then
        echo "Oldest declared versions (tests/floor-versions.txt): unit and tui tests pass"
      else
        cat "$floor_log" >&2
        echo "Oldest declared versions (tests/floor-versions.txt): tests FAILED (above)" >&2
        [ "$status" != 0 ] || status=1
      fi
      rm -f "$floor_log"
    fi
    exit "$status"
    ;;
  *)
    echo "usage: tests/bootstrap.sh [demo|test] [args...]" >&2
    exit 2
    ;;
esac
