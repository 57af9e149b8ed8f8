"""`setup`: the configuration each MCP client needs, with a command that starts this server
from wherever the client runs it.

Prints the snippet for a client (only the snippet on stdout, so `setup cursor > mcp.json` is the
file; what to fill in goes to stderr); with --write, shows the change to the client's file and
then writes only this server's entry, leaving every other server as it was. The API key is never
printed or written: the snippet carries a placeholder (VS Code asks for the key itself). With
--demo, the configuration runs the built-in emulator and needs no key.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from ..config import API_KEYS_URL

NAME = "wix-data-mover"
SCRIPT = "wix-data-mover-mcp"
DISTRIBUTION = "wix-data-mover-mcp"
KEY_PLACEHOLDER = "<your Wix API key>"
SITE_PLACEHOLDER = "<your site id>"
PLACEHOLDERS = (KEY_PLACEHOLDER, SITE_PLACEHOLDER)


class SetupError(Exception):
    """One line saying what went wrong and what to do."""


@dataclass(frozen=True)
class ClientConfig:
    title: str
    path: Path | None  # None: configured with a command, not a file
    section: str  # "mcpServers" or "servers"


@dataclass(frozen=True)
class Installation:
    """What decides the command a client should start: where this process runs from."""

    executable: Path  # sys.executable as given: a venv's python, not the one it links to
    scripts: Path  # the environment's scripts folder (a venv's bin)
    windows: bool
    uv: Path | None  # the uv that started this process ($UV), if one did
    uv_cache: Path | None  # that uv's cache folder, where uvx keeps its throwaway environments
    source: str | None  # where this package was installed from, when not from an index


@cache
def this_installation() -> Installation:
    uv = os.environ.get("UV")
    return Installation(
        executable=Path(sys.executable).absolute(),
        scripts=Path(sysconfig.get_path("scripts")).absolute(),
        windows=os.name == "nt",
        uv=Path(uv) if uv else None,
        uv_cache=_uv_cache(uv) if uv else None,
        source=_installed_from(),
    )


def command(where: Installation | None = None) -> list[str]:
    """A command that starts this server whatever the client's PATH: uvx for a uvx run (its
    environment lives in uv's cache, which a cache clean removes); otherwise this environment's
    own script, by absolute path; otherwise its python with -m. Never a path resolved through
    a venv's symlinks, which would name an interpreter without this package."""
    where = where or this_installation()
    if where.uv is not None and where.uv_cache is not None and inside(where, where.uv_cache):
        source = ["--from", where.source] if where.source else []
        uvx = where.uv.with_name("uvx.exe" if where.windows else "uvx")
        if uvx.exists():
            return [str(uvx), *source, SCRIPT]
        return [str(where.uv), "tool", "run", *source, SCRIPT]
    script = where.scripts / (SCRIPT + ".exe" if where.windows else SCRIPT)
    if script.exists():
        return [str(script)]
    return [str(where.executable), "-m", "wix_data_mover_mcp"]


def inside(where: Installation, folder: Path) -> bool:
    return where.executable.is_relative_to(folder) or where.scripts.is_relative_to(folder)


def _uv_cache(uv: str) -> Path | None:
    """The cache folder of the uv that started this process, as that uv says it."""
    try:
        found = subprocess.run(
            [uv, "cache", "dir"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    line = found.stdout.strip()
    return Path(line).absolute() if line else None


def _installed_from() -> str | None:
    """A local path (or other URL) this package was installed from (PEP 610), or None when it
    came from a package index."""
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        data = json.loads(text or "")
        url = str(data["url"])
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(data.get("dir_info"), dict) and data["dir_info"].get("editable"):
        return None  # a development checkout runs its own script, never through uvx
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return url2pathname(unquote(parsed.path))
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and "vcs" in vcs:
        return f"{vcs['vcs']}+{url}"
    return url


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


def entry(client: str, *, demo: bool = False) -> dict[str, Any]:
    program, *args = command()
    server: dict[str, Any] = {"type": "stdio"} if client == "vscode" else {}
    server |= {"command": program, "args": [*args, "--demo"] if demo else args}
    if not demo:
        key = "${input:wix-api-key}" if client == "vscode" else KEY_PLACEHOLDER
        server["env"] = {"WIX_API_KEY": key} | _site_settings()
    return server


def _site_settings() -> dict[str, str]:
    """WIX_SITE_ID and WIX_ACCOUNT_ID as set here, or the site's placeholder."""
    found = {
        name: value
        for name in ("WIX_SITE_ID", "WIX_ACCOUNT_ID")
        if (value := os.environ.get(name, "").strip())
    }
    return found or {"WIX_SITE_ID": SITE_PLACEHOLDER}


def snippet(client: str, *, demo: bool = False) -> str:
    if client == "claude-code":
        settings = {} if demo else {"WIX_API_KEY": KEY_PLACEHOLDER} | _site_settings()
        parts = ["claude", "mcp", "add", NAME]
        for name, value in settings.items():
            parts += ["-e", f"{name}={value}"]
        program = command() + (["--demo"] if demo else [])
        return shlex.join([*parts, "--", *program])
    config = clients(Path.home(), Path.cwd())[client]
    document: dict[str, Any] = {config.section: {NAME: entry(client, demo=demo)}}
    if client == "vscode" and not demo:
        document["inputs"] = [VSCODE_INPUT]
    return json.dumps(document, indent=2)


def hints(client: str | None, *, demo: bool, text: str) -> list[str]:
    """What to do with the snippet: each placeholder it holds, explained; then how the client
    starts the server (a restart, or for Claude Code the command itself)."""
    titles = clients(Path.home(), Path.cwd())
    who = titles[client].title.removesuffix(" (this folder)") if client else "the client"
    if client == "claude-code":
        start = "Run that command in a terminal; Claude Code starts the server itself."
    else:
        start = f"Restart {who}." if demo else f"Then restart {who}."
    if demo:
        return [f"This runs the demo: the built-in emulator, no key needed. {start}"]
    lines: list[str] = []
    if KEY_PLACEHOLDER in text:
        lines.append(
            f"Replace {KEY_PLACEHOLDER} with an API key from {API_KEYS_URL} that has the "
            "'Data Mover Manage Jobs' permission."
        )
    if "${input:wix-api-key}" in text:
        lines.append("VS Code asks for the API key the first time it starts the server.")
    if SITE_PLACEHOLDER in text:
        lines.append(
            f"Replace {SITE_PLACEHOLDER} with the site's id: the GUID after /dashboard/ in the "
            "site's dashboard URL. For every site of an account, set WIX_ACCOUNT_ID instead "
            "(its id is on the API Keys page)."
        )
    return [*lines, start]


VSCODE_INPUT = {
    "type": "promptString",
    "id": "wix-api-key",
    "description": "Wix API key",
    "password": True,
}


def merged(
    current: dict[str, Any], client: str, section: str, *, demo: bool = False
) -> dict[str, Any]:
    """The client's document with this server's entry set and nothing else changed."""
    document = dict(current)
    servers = document.get(section, {})
    if not isinstance(servers, dict):
        raise SetupError(f"its {section!r} is not an object; fix the file by hand first.")
    known = cast(dict[str, Any], servers)
    document[section] = known | {NAME: _kept(known.get(NAME), entry(client, demo=demo))}
    if client == "vscode" and not demo:
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


def _kept(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    """This server's entry: the command (and its arguments) as this run finds it; every value
    the user set kept as it is (the key they pasted, the site id they typed), a placeholder
    only where nothing is set, and a placeholder of ours that no longer applies taken out."""
    if not isinstance(old, dict):
        return new
    kept = cast(dict[str, Any], old) | {name: value for name, value in new.items() if name != "env"}
    given = kept.get("env")
    env = {
        name: value
        for name, value in (cast(dict[str, Any], given) if isinstance(given, dict) else {}).items()
        if value not in PLACEHOLDERS or name in new.get("env", {})
    }
    which_sites = ("WIX_SITE_ID", "WIX_ACCOUNT_ID")  # one setting: the site, or the account's
    sites_given = any(_is_set(env.get(name)) for name in which_sites)
    for name, value in cast(dict[str, str], new.get("env", {})).items():
        if _is_set(env.get(name)):
            continue  # the user's value, never replaced
        if name in which_sites and sites_given:
            env.pop(name, None)  # the site or account the file names stays the setting
            continue
        env[name] = value
    if env:
        kept["env"] = env
    else:
        kept.pop("env", None)
    return kept


def _is_set(value: Any) -> bool:
    """A value the user gave: not empty, and not one of our placeholders."""
    return isinstance(value, str) and bool(value.strip()) and value not in PLACEHOLDERS


def plan_write(client: str, home: Path, cwd: Path, *, demo: bool = False) -> tuple[Path, str, str]:
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
        document = merged(cast(dict[str, Any], current), client, config.section, demo=demo)
    except SetupError as exc:
        raise SetupError(f"{config.path}: {exc}") from None
    return config.path, before, json.dumps(document, indent=2) + "\n"


# A JSON string, and a "name": "value" pair of them.
JSON_STRING = r'"(?:[^"\\]|\\.)*"'
PAIR = re.compile(rf"(?P<name>{JSON_STRING})(?P<colon>\s*:\s*)(?P<value>{JSON_STRING})")
STRING = re.compile(JSON_STRING)
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE", re.I)
# Shapes of well-known keys and tokens: Wix's, JWTs, GitHub's, OpenAI's and Slack's.
SECRET_VALUE = re.compile(r'"(?:IST\.|eyJ|gh[pousr]_|github_pat_|sk-|xox[abpr]-)')
HIDDEN = '"<hidden>"'


def diff(path: Path, before: str, after: str) -> str:
    """The change as a unified diff, with every secret in it hidden: the value of a setting
    named like a key, token or password, and any string shaped like a known key or token,
    whichever server's entry it is in."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{path} (now)",
        tofile=f"{path} (after)",
    )
    # A last line without its newline is marked, as diff(1) marks it, so two never run together.
    return "".join(
        masked(line) if line.endswith("\n") else f"{masked(line)}\n\\ No newline at end of file\n"
        for line in lines
    )


def masked(line: str) -> str:
    def pair(match: re.Match[str]) -> str:
        value = match["value"]
        if SECRET_NAME.search(match["name"]) and not _placeholder(value):
            value = HIDDEN
        return match["name"] + match["colon"] + value

    line = PAIR.sub(pair, line)
    return STRING.sub(lambda m: HIDDEN if SECRET_VALUE.match(m.group()) else m.group(), line)


def _placeholder(quoted: str) -> bool:
    value = quoted[1:-1]
    return not value or value in PLACEHOLDERS or value.startswith("${input:")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
