"""Getting a client to start the server: `setup` prints a command that starts from wherever the
client runs it, the snippet alone on stdout; and the stdio server stops on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from wix_data_mover_mcp.cli.main import main
from wix_data_mover_mcp.cli.setup import Installation, clients, command

SCRIPT = Path(sys.executable).with_name("wix-data-mover-mcp")


def setup_output(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["setup", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.anyio
async def test_setup_prints_a_command_that_starts_with_the_environment_off_path(
    capsys, monkeypatch
):
    monkeypatch.setenv("PATH", "")  # run by absolute path, its folder on no PATH
    monkeypatch.delenv("UV", raising=False)
    code, out, _ = setup_output(capsys, "claude-desktop")
    assert code == 0
    server = json.loads(out)["mcpServers"]["wix-data-mover"]
    params = StdioServerParameters(
        command=server["command"], args=server["args"], env=server["env"] | {"PATH": ""}
    )
    async with Client(params, read_timeout_seconds=30) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
    assert "get_data_movement_job" in tools


def installation(tmp_path: Path, **changes: object) -> Installation:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "bin" / "python").touch()
    values: dict[str, object] = {
        "executable": venv / "bin" / "python",
        "scripts": venv / "bin",
        "windows": False,
        "uv": None,
        "uv_cache": None,
        "source": None,
    }
    return Installation(**(values | changes))  # pyright: ignore[reportArgumentType]


def test_setup_names_the_environments_own_script_never_the_interpreter_it_links_to(tmp_path):
    (tmp_path / "venv/bin").mkdir(parents=True)
    script = tmp_path / "venv/bin/wix-data-mover-mcp"
    script.touch()
    assert command(installation(tmp_path)) == [str(script)]
    script.unlink()  # no script (run from a source tree): the venv's python, as given, with -m
    assert command(installation(tmp_path)) == [
        str(tmp_path / "venv/bin/python"),
        "-m",
        "wix_data_mover_mcp",
    ]


def test_setup_under_uvx_prints_uvx_not_a_path_in_uvs_cache(tmp_path):
    cache = tmp_path / "cache"
    throwaway = cache / "archive-v0" / "abc123" / "bin"
    throwaway.mkdir(parents=True)
    (throwaway / "wix-data-mover-mcp").touch()
    uv_bin = tmp_path / "uv-bin"
    uv_bin.mkdir()
    (uv_bin / "uv").touch()
    (uv_bin / "uvx").touch()
    under_uvx = installation(
        tmp_path,
        executable=throwaway / "python",
        scripts=throwaway,
        uv=uv_bin / "uv",
        uv_cache=cache,
    )
    assert command(under_uvx) == [str(uv_bin / "uvx"), "wix-data-mover-mcp"]
    from_a_clone = installation(
        tmp_path,
        executable=throwaway / "python",
        scripts=throwaway,
        uv=uv_bin / "uv",
        uv_cache=cache,
        source="/src/wix-data-mover-mcp",
    )
    assert command(from_a_clone) == [
        str(uv_bin / "uvx"),
        "--from",
        "/src/wix-data-mover-mcp",
        "wix-data-mover-mcp",
    ]
    # `uv run` in a project also sets $UV, but its environment is not in the cache.
    in_a_project = installation(tmp_path, uv=uv_bin / "uv", uv_cache=cache)
    (tmp_path / "venv/bin/wix-data-mover-mcp").touch()
    assert command(in_a_project) == [str(tmp_path / "venv/bin/wix-data-mover-mcp")]


def test_setup_for_one_client_prints_only_its_file_and_explains_each_placeholder(capsys):
    code, out, err = setup_output(capsys, "cursor")
    assert code == 0
    server = json.loads(out)["mcpServers"]["wix-data-mover"]  # stdout is the file, whole
    assert server["env"] == {"WIX_API_KEY": "<your Wix API key>", "WIX_SITE_ID": "<your site id>"}
    assert "Replace <your Wix API key> with an API key from https://manage.wix.com" in err
    assert "Replace <your site id> with the site's id: the GUID after /dashboard/" in err
    assert err.endswith("Then restart Cursor.\n")


def test_setup_for_vscode_says_it_asks_for_the_key_and_mentions_no_key_placeholder(capsys):
    code, out, err = setup_output(capsys, "vscode")
    assert code == 0
    document = json.loads(out)
    assert document["servers"]["wix-data-mover"]["env"]["WIX_API_KEY"] == "${input:wix-api-key}"
    assert "VS Code asks for the API key" in err
    assert "<your Wix API key>" not in out + err


def test_setup_demo_configures_the_emulator_with_no_key(capsys, monkeypatch):
    monkeypatch.setenv("WIX_SITE_ID", "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
    code, out, err = setup_output(capsys, "claude-desktop", "--demo")
    assert code == 0
    server = json.loads(out)["mcpServers"]["wix-data-mover"]
    assert server["args"][-1] == "--demo" and "env" not in server
    desktop = clients(Path.home(), Path.cwd())["claude-desktop"].path
    assert err.splitlines() == [
        f'It goes under "mcpServers" in {desktop}; or run \'wix-data-mover-mcp setup '
        "claude-desktop --demo --write' to add it there, keeping what the file already has.",
        "This runs the demo: the built-in emulator, no key needed. Restart Claude Desktop.",
    ]
    code, out, err = setup_output(capsys, "claude-code", "--demo")
    assert out.startswith("claude mcp add wix-data-mover -- ") and out.endswith(" --demo\n")
    assert err == (
        "This runs the demo: the built-in emulator, no key needed. Run that command in a "
        "terminal; Claude Code starts the server itself.\n"
    ), "Claude Code starts the server from the command: there is nothing to restart"


def test_setup_takes_the_site_or_account_already_set(capsys, monkeypatch):
    monkeypatch.setenv("WIX_ACCOUNT_ID", "c9e6a4b2-5f3d-4a0b-8e79-8d7c6f5e4a33")
    code, out, err = setup_output(capsys, "cursor")
    assert code == 0
    env = json.loads(out)["mcpServers"]["wix-data-mover"]["env"]
    assert env == {
        "WIX_API_KEY": "<your Wix API key>",
        "WIX_ACCOUNT_ID": "c9e6a4b2-5f3d-4a0b-8e79-8d7c6f5e4a33",
    }
    assert "<your site id>" not in err


def test_ctrl_c_stops_the_stdio_server_while_its_client_holds_stdin_open():
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    with subprocess.Popen(
        [str(SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(hello).encode() + b"\n")
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["id"] == 1  # serving, stdin still open
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("the server was still running 10 s after Ctrl-C")
        stderr = server.stderr.read().decode() if server.stderr else ""
    assert code == 130
    assert "Traceback" not in stderr


def test_setup_write_keeps_what_the_user_filled_in_and_never_prints_a_secret(
    capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert setup_output(capsys, "cursor", "--write", "--yes")[0] == 0
    config = tmp_path / ".cursor" / "mcp.json"
    document = json.loads(config.read_text())
    servers = document["mcpServers"]
    servers["wix-data-mover"]["env"] = {
        "WIX_API_KEY": "IST.the-key-the-user-pasted-0123456789",
        "WIX_SITE_ID": "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    }
    servers["wix-data-mover"]["command"] = "/where/it/was/installed/before"
    servers["github"] = {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "ghp_0123456789abcdef"}}
    config.write_text(json.dumps(document, indent=2))
    code, out, _ = setup_output(capsys, "cursor", "--write", "--yes")
    assert code == 0
    assert '-      "command": "/where/it/was/installed/before",' in out  # what this run knows
    assert "the-key-the-user-pasted" not in out and "ghp_" not in out
    assert '"WIX_API_KEY": "<hidden>"' in out
    written = json.loads(config.read_text())["mcpServers"]
    assert written["wix-data-mover"]["env"] == {
        "WIX_API_KEY": "IST.the-key-the-user-pasted-0123456789",
        "WIX_SITE_ID": "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    }
    assert written["wix-data-mover"]["command"] != "/where/it/was/installed/before"
    assert written["github"]["env"] == {"GITHUB_TOKEN": "ghp_0123456789abcdef"}


def test_setup_write_fills_only_settings_nobody_gave(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    config = tmp_path / ".cursor" / "mcp.json"
    config.parent.mkdir()
    account = {"WIX_ACCOUNT_ID": "c9e6a4b2-5f3d-4a0b-8e79-8d7c6f5e4a33"}
    config.write_text(json.dumps({"mcpServers": {"wix-data-mover": {"env": account}}}))
    assert setup_output(capsys, "cursor", "--write", "--yes")[0] == 0
    env = json.loads(config.read_text())["mcpServers"]["wix-data-mover"]["env"]
    assert env == {"WIX_API_KEY": "<your Wix API key>"} | account, "no site id beside an account"
    monkeypatch.setenv("WIX_SITE_ID", "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b")
    assert setup_output(capsys, "cursor", "--write", "--yes")[0] == 0
    env = json.loads(config.read_text())["mcpServers"]["wix-data-mover"]["env"]
    assert env == {"WIX_API_KEY": "<your Wix API key>"} | account, "the file's account stays"
