"""Build the MCP bundle (.mcpb) that Claude Desktop installs by opening the file.

    uv run python server/bundle/build.py [--out DIR] [--stage-only]

The bundle uses the bundler's `uv` server type: it carries this project's source, pyproject.toml
and uv.lock, and the host installs Python and the locked dependencies itself. The manifest is
manifest.json here with the version, tools and prompts filled in from the code, so it cannot
drift from what the server offers. Packing and validating use the official bundler,
@anthropic-ai/mcpb, through npx.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.serve.app import build_server
from wix_data_mover_mcp.serve.instructions import RETRY_OFFER
from wix_data_mover_mcp.tools.prompts import load_prompts

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BUNDLER = "@anthropic-ai/mcpb@2.1.2"
# What the host needs to build and run the server; nothing of tests or development.
CARRIED = [
    "pyproject.toml",
    "uv.lock",
    "README.md",
    "LICENSE",
    "prompts",
    "server/wix_data_mover_mcp",
]
# A server with every tool on: what a user can reach through the bundle's settings.
EVERYTHING = Settings.model_validate(
    {
        "api_key": "listing-only",
        "account_id": "00000000-0000-4000-8000-000000000000",
        "allow_writes": True,
    }
)


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


async def offered_tools() -> list[dict[str, str]]:
    """The tools of a server with everything enabled, each with its first sentence."""
    async with Client(build_server(EVERYTHING)) as client:
        tools = (await client.list_tools()).tools
    return [{"name": t.name, "description": first_sentence(t.description or "")} for t in tools]


def offered_prompts() -> list[dict[str, Any]]:
    """The prompts, their arguments written as the bundle spec has them: ${arguments.name}."""
    return [
        {
            "name": prompt.name,
            "description": prompt.description,
            "arguments": [argument.name for argument in prompt.arguments],
            "text": prompt.render(
                _server={"retry_offer": RETRY_OFFER},
                **{a.name: f"${{arguments.{a.name}}}" for a in prompt.arguments},
            ),
        }
        for prompt in load_prompts()
    ]


def first_sentence(text: str) -> str:
    line = " ".join(text.split())
    end = line.find(". ")
    return line if end < 0 else line[: end + 1]


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / "manifest.json").read_text())
    data["version"] = project_version()
    data["tools"] = anyio.run(offered_tools)
    data["prompts"] = offered_prompts()
    return data


def stage(into: Path) -> Path:
    """Lay out the bundle's files in `into` (emptied first) and return it."""
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in CARRIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=ignore)
        else:
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    shutil.copy2(HERE / "main.py", into / "main.py")
    shutil.copy2(HERE / "icon.png", into / "icon.png")
    (into / "manifest.json").write_text(json.dumps(manifest(), indent=2) + "\n")
    return into


def npx(*args: str) -> None:
    subprocess.run(["npx", "--yes", BUNDLER, *args], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the MCP bundle (.mcpb).")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where to write it")
    parser.add_argument("--stage-only", action="store_true", help="lay out the files, no pack")
    args = parser.parse_args(argv)
    staged = stage(args.out / "bundle")
    if args.stage_only:
        print(staged)
        return 0
    if shutil.which("npx") is None:
        print("The bundler runs with Node's npx: install Node.js 20 or later.", file=sys.stderr)
        return 1
    target = args.out / f"wix-data-mover-mcp-{project_version()}.mcpb"
    npx("validate", str(staged / "manifest.json"))
    npx("pack", str(staged), str(target))
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
