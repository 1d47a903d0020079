"""Every test's fixtures live in tests/support, registered here (one module per job).

No test touches the person's tmux server, ~/.tmux.conf, config or store: HOME and the XDG
dirs point into tmp_path, tmux runs in the test's own TMUX_TMPDIR on a socket unique to it.
"""

pytest_plugins = [
    "tests.support.environment",  # isolated_env (autouse): HOME, config and state in tmp_path
    "tests.support.tmux_guard",  # every test's own TMUX_TMPDIR; no server outlives its test
    "tests.support.tmux",  # tmux_server, driver, demo_worker
    "tests.support.linear_fixtures",  # linear_server, linear_source (issue 4)
    "tests.support.runs",  # github (the GitHub stand-in), project (a repo for runs)
    "tests.support.sshd",  # ssh_host: a real sshd on 127.0.0.1 as a remote host (issue 17)
]
