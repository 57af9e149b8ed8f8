"""`setup`: the configuration each MCP client needs, with this installation's absolute command.

Prints the snippet for a client; with --write, shows the change to the client's file and then
writes only this server's entry, leaving every other server as it was. The API key is never
printed or written: the snippet carries a placeholder (VS Code asks for the key itself).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

NAME = "wix-data-mover"
KEY_PLACEHOLDER = "<your Wix API key>"
SITE_PLACEHOLDER = "<your site id>"


class SetupError(Exception):
    """One line saying what went wrong and what to do."""


@dataclass(frozen=True)
class ClientConfig:
    title: str
    path: Path | None  # None: configured with a command, not a file
    section: str  # "mcpServers" or "servers"


def command() -> list[str]:
    """This installation, by absolute path, so the client finds it whatever its PATH."""
    found = shutil.which("wix-data-mover-mcp")
    if found:
        return [str(Path(found).resolve())]
    return [str(Path(sys.executable).resolve()), "-m", "wix_data_mover_mcp"]


def clients(home: Path, cwd: Path) -> dict[str, ClientConfig]:
    if sys.platform == "darwin":
        desktop = home / "Library/Application Support/Claude/claude_desktop_config.json"
    elif sys.platform == "win32":
        desktop = Path(os.environ.get("APPDATA", home)) / "Claude/claude_desktop_config.json"
    else:
        desktop = home / ".config/Claude/claude_desktop_config.json"
    return {
        "claude-desktop": ClientConfig("Claude Desktop", desktop, "mcpServers"),
        "claude-code": ClientConfig("Claude Code", None, ""),
        "cursor": ClientConfig("Cursor", home / ".cursor/mcp.json", "mcpServers"),
        "vscode": ClientConfig("VS Code (this folder)", cwd / ".vscode/mcp.json", "servers"),
    }


def entry(client: str) -> dict[str, Any]:
    site = os.environ.get("WIX_SITE_ID", "").strip() or SITE_PLACEHOLDER
    program, *args = command()
    server: dict[str, Any] = {"command": program, "args": args}
    if client == "vscode":
        server["type"] = "stdio"
        server["env"] = {"WIX_API_KEY": "${input:wix-api-key}", "WIX_SITE_ID": site}
    else:
        server["env"] = {"WIX_API_KEY": KEY_PLACEHOLDER, "WIX_SITE_ID": site}
    return server


def snippet(client: str) -> str:
    if client == "claude-code":
        site = os.environ.get("WIX_SITE_ID", "").strip() or SITE_PLACEHOLDER
        parts = [
            "claude mcp add",
            NAME,
            f"-e 'WIX_API_KEY={KEY_PLACEHOLDER}'",
            f"-e 'WIX_SITE_ID={site}'",
            "--",
            *command(),
        ]
        return " ".join(parts)
    config = clients(Path.home(), Path.cwd())[client]
    document: dict[str, Any] = {config.section: {NAME: entry(client)}}
    if client == "vscode":
        document["inputs"] = [VSCODE_INPUT]
    return json.dumps(document, indent=2)


VSCODE_INPUT = {
    "type": "promptString",
    "id": "wix-api-key",
    "description": "Wix API key",
    "password": True,
}


def merged(current: dict[str, Any], client: str, section: str) -> dict[str, Any]:
    """The client's document with this server's entry set and nothing else changed."""
    document = dict(current)
    servers = document.get(section, {})
    if not isinstance(servers, dict):
        raise SetupError(f"its {section!r} is not an object; fix the file by hand first.")
    document[section] = {**cast(dict[str, Any], servers), NAME: entry(client)}
    if client == "vscode":
        inputs = document.get("inputs", [])
        if not isinstance(inputs, list):
            raise SetupError("its 'inputs' is not a list; fix the file by hand first.")
        ids = [
            cast(dict[str, Any], i).get("id")
            for i in cast(list[Any], inputs)
            if isinstance(i, dict)
        ]
        if "wix-api-key" not in ids:
            document["inputs"] = [*cast(list[Any], inputs), VSCODE_INPUT]
    return document


def plan_write(client: str, home: Path, cwd: Path) -> tuple[Path, str, str]:
    """The file, its text now and its text after; nothing is written."""
    config = clients(home, cwd)[client]
    if config.path is None:
        raise SetupError(f"{config.title} is configured with a command: run it as printed.")
    before = config.path.read_text(encoding="utf-8") if config.path.exists() else ""
    current: Any
    try:
        current = json.loads(before) if before.strip() else {}
    except ValueError:
        raise SetupError(f"{config.path} is not valid JSON; fix or move it first.") from None
    if not isinstance(current, dict):
        raise SetupError(f"{config.path} does not hold a JSON object; fix or move it first.")
    try:
        document = merged(cast(dict[str, Any], current), client, config.section)
    except SetupError as exc:
        raise SetupError(f"{config.path}: {exc}") from None
    return config.path, before, json.dumps(document, indent=2) + "\n"


def diff(path: Path, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{path} (now)",
        tofile=f"{path} (after)",
    )
    return "".join(lines)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
