"""[hosts.NAME] in config.toml: read and checked with file:line; ssh words agenttui runs."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.support.environment import write_config
from workflows.base.config import ConfigError
from workflows.base.hosts import SshHost, host_named, load_hosts, load_pools
from workflows.base.paths import agenttui_argv
from workflows.base.target import TmuxTarget
from workflows.definitions.loader import WorkflowError, parse_workflow
from workflows.definitions.model import Workflow
from workflows.tmux.host_status import parse_load
from workflows.tmux.ssh import client_argv, on_host


def test_hosts_are_read_with_their_settings() -> None:
    write_config(
        '[hosts.gpu]\nssh = "me@gpu.lan"\nrepo = "/src/app"\nmax_agents = 4\n'
        'ssh_options = ["-o", "ForwardAgent=yes"]\n\n[hosts.box]\nssh = "box"\n'
    )
    hosts = load_hosts()
    assert hosts["gpu"] == SshHost(
        name="gpu", ssh="me@gpu.lan", repo="/src/app", max_agents=4,
        ssh_options=("-o", "ForwardAgent=yes"),
    )  # fmt: skip
    assert hosts["box"].repo == "" and hosts["box"].agenttui == "agenttui"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[hosts.a]\nrepo = "/x"\n', ':1: [hosts.a] needs ssh = "user@host or alias"'),
        ('[hosts.a]\nssh = "a"\nmax_agents = "4"\n', ":3: [hosts.a] max_agents must be a whole"),
        ('[hosts.a]\nssh = "a"\nmax_agents = -1\n', ":3: [hosts.a] max_agents must be a whole"),
        ('[hosts.a]\nssh = "a"\nport = 22\n', ":3: [hosts.a] has an unknown key 'port'"),
        ('[hosts]\na = "b"\n', "[hosts.a] must be a table"),
    ],
)
def test_a_bad_host_table_names_the_line(text: str, message: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_hosts()
    assert message in str(caught.value)


def test_an_unknown_host_lists_the_known_ones() -> None:
    write_config('[hosts.a]\nssh = "a"\n')
    with pytest.raises(ConfigError, match=r"no host 'b' in the config \(known: a\)"):
        host_named("b")


def test_tmux_over_ssh_is_one_quoted_command_with_batch_mode_and_a_shared_connection() -> None:
    host = SshHost(name="h", ssh="alias", ssh_config="/c/ssh config")
    argv = client_argv(TmuxTarget("s k", "agenttui", host), "send-keys", "-t", "%1", "$(x); y")
    assert argv[:3] == ["ssh", "-F", "/c/ssh config"]
    assert "BatchMode=yes" in argv and "ControlMaster=auto" in argv
    assert argv[-3:-1] == ["--", "alias"]
    assert shlex.split(argv[-1]) == ["tmux", "-L", "s k", "send-keys", "-t", "%1", "$(x); y"]
    assert client_argv(TmuxTarget("s", "agenttui"), "ls")[1:] == ["-L", "s", "ls"]  # local


def test_this_agenttui_becomes_the_host_s() -> None:
    host = SshHost(name="h", ssh="h", agenttui="/opt/agenttui/bin/agenttui")
    argv = [*agenttui_argv(), "demo-agent", "--work", "1"]
    assert on_host(argv, host) == ["/opt/agenttui/bin/agenttui", "demo-agent", "--work", "1"]


def test_load_is_parsed_from_proc_loadavg_and_nproc() -> None:
    load = parse_load("0.52 0.40 0.33 1/234 5678\n8\n")
    assert (load.load, load.cores) == (0.52, 8)
    assert (parse_load("").load, parse_load("").cores) == (None, None)


def test_a_workflow_and_its_agent_steps_take_a_host(tmp_path: Path) -> None:
    text = (
        'name = "w"\nagent = "demo"\nhost = "gpu"\n\n[[steps]]\nid = "a"\nprompt = "p"\n'
        'host = "box"\n\n[[steps]]\nid = "b"\nprompt = "q"\n'
    )
    workflow = parse_workflow(text, tmp_path / "w.toml")
    assert workflow.host == "gpu" and [s.host for s in workflow.steps] == ["box", None]
    assert Workflow.from_json(workflow.to_json()) == workflow  # a run's snapshot keeps it
    with pytest.raises(WorkflowError) as caught:
        parse_workflow(text.replace('host = "box"', "host = 3"), tmp_path / "w.toml")
    assert "w.toml:8: host must be a string" in str(caught.value)
    with pytest.raises(WorkflowError) as caught:
        parse_workflow(
            text + '\n[[steps]]\nid = "c"\nkind = "linear"\ncomment = "x"\nhost = "gpu"\n',
            tmp_path / "w",
        )
    assert "step 'c': unknown key 'host' for a linear step" in str(caught.value)


def test_pools_name_configured_hosts() -> None:
    write_config('[hosts.a]\nssh = "a"\n[hosts.b]\nssh = "b"\n[hosts.ab]\npool = ["a", "b"]\n')
    assert load_pools() == {"ab": ("a", "b")} and sorted(load_hosts()) == ["a", "b"]
    with pytest.raises(ConfigError, match=r"'ab' is a pool of hosts \(a, b\): name one"):
        host_named("ab")
    write_config('[hosts.a]\nssh = "a"\n[hosts.ab]\npool = ["a", "c"]\n')
    with pytest.raises(ConfigError, match=r":4: \[hosts.ab\] pool names no configured host: c"):
        load_pools()


def test_run_and_watch_take_host_for_their_steps_and_keep_their_runner_here() -> None:
    from tui.cli import _resolve_globals, build_parser

    write_config('[hosts.a]\nssh = "a"\n[hosts.ab]\npool = ["a"]\n')
    for verb in (["run", "quick-fix", "--issues", "X-1"], ["watch"], ["poll"]):
        args = build_parser().parse_args(["--host", "ab", *verb])
        _resolve_globals(args)
        assert (args.run_host, args.tmux.host) == ("ab", None), verb
    args = build_parser().parse_args(["--host", "a", "ls"])
    _resolve_globals(args)
    assert args.tmux.host is not None and args.tmux.host.name == "a"


def test_agenttui_host_in_the_env_points_verbs_there_but_never_its_own_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tui.cli import _resolve_globals, build_parser
    from workflows.base.childenv import agenttui_env

    write_config('[hosts.a]\nssh = "a"\n')
    monkeypatch.setenv("AGENTTUI_HOST", "a")
    args = build_parser().parse_args(["read", "w1"])
    _resolve_globals(args)
    assert args.tmux.host is not None and args.tmux.host.name == "a"
    args = build_parser().parse_args(["run-worker", "r1"])
    _resolve_globals(args)
    assert args.tmux.host is None  # a runner started from such a shell drives from here
    assert "AGENTTUI_HOST" not in agenttui_env()


def test_a_runner_gets_the_ssh_agent_so_host_steps_use_the_person_s_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workflows.base.childenv import agenttui_env

    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/ssh-XXXX/agent.1")
    assert agenttui_env()["SSH_AUTH_SOCK"] == "/tmp/ssh-XXXX/agent.1"
