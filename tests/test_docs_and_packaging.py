"""The README tells the truth about the tools, and the wheel carries the prompts."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from mcp import Client

from wix_data_mover_mcp.app import build_server
from wix_data_mover_mcp.config import Settings

ROOT = Path(__file__).parents[1]


@pytest.mark.anyio
async def test_the_readme_lists_exactly_the_tools_and_prompts_the_server_offers():
    readme = (ROOT / "README.md").read_text()
    account = "c9e6a4b2-5f3d-4a0b-8e79-8d7c6f5e4a33"  # account mode offers every tool
    settings = Settings.model_validate({"allow_writes": True, "account_id": account})
    async with Client(build_server(settings)) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
    tools_table = readme.split("## Tools", 1)[1].split("\n\n", 2)[1]
    prompts_table = (
        readme.split("## Prompts and resources", 1)[1].split("| prompt |", 1)[1].split("\n\n", 1)[0]
    )
    assert set(re.findall(r"^\| `(\w+)` \|", tools_table, re.M)) == tools
    assert set(re.findall(r"^\| `(\w+)` \|", prompts_table, re.M)) == prompts


def test_the_wheel_carries_the_prompts(tmp_path: Path):
    built = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        f"wix_data_mover_mcp/prompts/{path.name}" for path in (ROOT / "prompts").glob("*.md")
    }
    assert expected and expected <= names
    assert "wix_data_mover_mcp/emulator/seed.py" in names
