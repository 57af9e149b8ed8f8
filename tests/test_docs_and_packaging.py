"""The README tells the truth about the tools; the wheel, the bundle and the registry entry
are complete and match the code."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from mcp import Client

from wix_data_mover_mcp.config import Settings
from wix_data_mover_mcp.serve.app import build_server

from .conftest import texts

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


def demo_samples() -> list[str]:
    """What the code says of the demo's members import, its logs, and the reviews import 9 s
    after it was submitted, at a fixed moment."""
    from datetime import UTC, datetime

    from wix_data_mover_mcp.emulator import DEMO_API_KEY, EmulatorState
    from wix_data_mover_mcp.emulator import seed as demo
    from wix_data_mover_mcp.wix.models import MovementLog, parse_job
    from wix_data_mover_mcp.words.job import summarize_job
    from wix_data_mover_mcp.words.logs import group_failures, summarize_logs

    state = EmulatorState(api_keys={DEMO_API_KEY})
    now = 1_800_000_000.0
    demo.seed(state, now=now, base_url="http://127.0.0.1:8100")
    members = state.jobs[demo.MEMBERS_PARTIAL]
    job, _ = parse_job(members.render(now))
    logs = [MovementLog.model_validate(log) for log in members.logs(now)]
    reviews, _ = parse_job(state.jobs[demo.REVIEWS_IMPORT].render(now + 9))
    return [
        summarize_job(job, now=datetime.fromtimestamp(now, UTC)),
        summarize_logs(
            demo.MEMBERS_PARTIAL, logs, group_failures(logs), more=False, source=job.source
        ),
        summarize_job(reviews, now=datetime.fromtimestamp(now + 9, UTC)),
    ]


def test_the_readmes_sample_summaries_are_the_codes_own_words():
    tools = (ROOT / "README.md").read_text().split("## Tools", 1)[1].split("\n## ", 1)[0]
    blocks = [" ".join(block.split()) for block in re.findall(r"```text\n(.*?)```", tools, re.S)]
    assert [" ".join(sample.split()) for sample in demo_samples()] == blocks


def test_the_readme_says_exactly_what_the_demo_adds_around_a_summary():
    from wix_data_mover_mcp.emulator import DEMO_API_KEY, DEMO_SITE_ID, EmulatorState
    from wix_data_mover_mcp.emulator import seed as demo
    from wix_data_mover_mcp.tools.results import job_result
    from wix_data_mover_mcp.wix.sites import Site

    tools = " ".join((ROOT / "README.md").read_text().split("## Tools", 1)[1].split())
    [label] = re.findall(r"The demo adds two things: its label, `([^`]*)`", tools)
    [site_and_job] = re.findall(r"the site before a job's summary: `([^`]*) …`", tools)
    state = EmulatorState(api_keys={DEMO_API_KEY})
    demo.seed(state, now=1_800_000_000.0, base_url="http://127.0.0.1:8100")
    raw = state.jobs[demo.MEMBERS_PARTIAL].render(1_800_000_000.0)
    said = job_result(raw, demo=True, site=Site(DEMO_SITE_ID, "Riverside Bakery")).summary
    assert said.startswith(f"{label}\n{site_and_job} ")


@pytest.mark.anyio
async def test_the_readmes_sample_errors_are_what_a_client_gets():
    import httpx

    tools = " ".join((ROOT / "README.md").read_text().split("## Tools", 1)[1].split())
    samples = re.findall(r"`((?:Error executing tool|Bad arguments for) [^`]*)`", tools)
    settings = Settings.model_validate(
        {"api_key": "IST.test", "site_id": "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"}
    )
    not_found = httpx.MockTransport(lambda _: httpx.Response(404, json={"message": "Not found"}))
    async with Client(build_server(settings, transport=not_found)) as client:
        missing = await client.call_tool(
            "get_data_movement_job", {"job_id": "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"}
        )
        bad = await client.call_tool("list_data_movement_jobs", {"limit": 51})
    real = [texts(result)[0] for result in (missing, bad)]
    assert missing.is_error and bad.is_error and len(samples) == len(real)
    for sample, text in zip(samples, real, strict=True):
        # "…" in a sample stands for the rest of an id, or of the sentence.
        assert re.fullmatch(".*".join(map(re.escape, sample.split("…"))) + ".*", text), text


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


SCHEMAS = Path(__file__).parent / "schemas"
REGISTRY_ENTRY = ROOT / "server" / "server.json"


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def setting_variables() -> set[str]:
    return {f"WIX_{name.upper()}" for name in Settings.model_fields}


def load_bundle_builder() -> Any:
    spec = importlib.util.spec_from_file_location("bundle_build", ROOT / "server/bundle/build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_registry_entry_follows_the_registrys_schema():
    entry = load_json(REGISTRY_ENTRY)
    schema = load_json(SCHEMAS / "server.schema.2025-12-11.json")
    assert entry["$schema"] == schema["$id"]
    errors = [e.message for e in Draft7Validator(schema).iter_errors(entry)]
    assert errors == []


def test_the_registry_entry_names_this_release_and_real_settings():
    entry = load_json(REGISTRY_ENTRY)
    [package] = entry["packages"]
    assert entry["version"] == package["version"] == project()["version"]
    assert package["identifier"] == project()["name"]
    variables = {variable["name"] for variable in package["environmentVariables"]}
    assert {"WIX_API_KEY", "WIX_SITE_ID", "WIX_ACCOUNT_ID"} <= variables <= setting_variables()
    secret = {v["name"] for v in package["environmentVariables"] if v.get("isSecret")}
    assert secret == {"WIX_API_KEY"}


def test_the_readme_proves_the_registry_name_to_pypi():
    """The registry accepts a PyPI package only if its description names the server."""
    name = load_json(REGISTRY_ENTRY)["name"]
    assert f"<!-- mcp-name: {name} -->" in (ROOT / "README.md").read_text()


def test_the_bundle_manifest_lists_what_the_server_offers_and_follows_the_bundlers_schema():
    manifest = load_bundle_builder().manifest()
    schema = load_json(SCHEMAS / "mcpb-manifest-v0.4.schema.json")
    assert [e.message for e in Draft7Validator(schema).iter_errors(manifest)] == []
    assert manifest["version"] == project()["version"]
    tool_names = [tool["name"] for tool in manifest["tools"]]
    assert "retry_data_movement_job" in tool_names
    assert "list_wix_sites" in tool_names
    assert all(tool["description"] for tool in manifest["tools"])
    prompt_names = {prompt["name"] for prompt in manifest["prompts"]}
    assert prompt_names == {path.stem for path in (ROOT / "prompts").glob("*.md")}
    diagnose = next(p for p in manifest["prompts"] if p["name"] == "diagnose_data_movement_job")
    assert "${arguments.job_id}" in diagnose["text"]
    assert "{retry_offer}" not in diagnose["text"]


def test_every_bundle_setting_reaches_the_server_and_only_the_key_is_sensitive():
    manifest = load_json(ROOT / "server/bundle/manifest.json")
    env = manifest["server"]["mcp_config"]["env"]
    assert set(env) <= setting_variables()
    used = {m for value in env.values() for m in re.findall(r"\$\{user_config\.(\w+)\}", value)}
    assert used == set(manifest["user_config"])
    sensitive = {k for k, v in manifest["user_config"].items() if v.get("sensitive")}
    assert sensitive == {"api_key"}
    assert (ROOT / "server/bundle" / manifest["icon"]).read_bytes().startswith(b"\x89PNG")


def test_settings_a_host_left_blank_count_as_unset(monkeypatch: pytest.MonkeyPatch):
    for name in ("WIX_SITE_ID", "WIX_ACCOUNT_ID", "WIX_ALLOW_WRITES", "WIX_RATE_LIMIT_PER_MINUTE"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("WIX_API_KEY", "a-key")
    settings = Settings()
    assert (settings.site_id, settings.account_id) == (None, None)
    assert settings.allow_writes is False
    assert settings.rate_limit_per_minute == 150


@pytest.mark.anyio
async def test_the_server_shows_its_icon_without_growing_tools_list():
    settings = Settings.model_validate({"site_id": "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"})
    async with Client(build_server(settings)) as client:
        assert client.server_info is not None
        [icon] = client.server_info.icons or []
        tools = (await client.list_tools()).tools
    assert icon.mime_type == "image/svg+xml"
    svg = base64.b64decode(icon.src.removeprefix("data:image/svg+xml;base64,"))
    assert svg.startswith(b"<svg") and len(svg) < 1024
    assert all(tool.icons is None for tool in tools)


def test_pypi_bundle_and_registry_point_at_one_repository():
    repository = project()["urls"]["Repository"]
    assert load_json(REGISTRY_ENTRY)["repository"]["url"] == repository
    assert load_json(ROOT / "server/bundle/manifest.json")["repository"]["url"] == repository


PACKAGE = ROOT / "server" / "wix_data_mover_mcp"


def test_architecture_md_maps_every_folder_and_names_only_modules_that_exist():
    text = (ROOT / "ARCHITECTURE.md").read_text()
    assert len(text.splitlines()) < 150
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    code_map = text.split("## Code map", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `(\w+)/` \|", code_map, re.M)) == folders
    named = set(re.findall(r"`((?:\w+/)?\w+\.(?:py|html))`", text))
    # A bare name (in a folder's row of the code map) is a module of some folder.
    missing = [name for name in named if not any(PACKAGE.rglob(name))]
    assert named and not missing


def test_no_room_of_the_house_outgrows_what_a_newcomer_reads_at_once():
    import ast

    too_big: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        if len(source.splitlines()) > 420:
            too_big.append(f"{path.relative_to(PACKAGE)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.stmt):
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if isinstance(node, ast.ClassDef) and size > 220:
                too_big.append(f"{path.relative_to(PACKAGE)}: class {node.name}, {size} lines")
    assert not too_big
