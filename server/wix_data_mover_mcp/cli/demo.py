"""The demo: the emulator and the MCP server in one process, and a tour of what an assistant
would do with them. Also the settings that point any command at the emulator, and where the
demo keeps its state between commands."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent

from ..config import Settings, SettingsError
from ..serve.app import build_server
from .output import console, print_text, styled


def demo_settings(base_url: str, **overrides: Any) -> Settings:
    """The emulator's demo credentials, for an emulator at base_url."""
    from ..emulator import DEMO_API_KEY, DEMO_SITE_ID

    values = {"api_key": DEMO_API_KEY, "site_id": DEMO_SITE_ID, "api_base_url": base_url}
    return Settings.model_validate(values | overrides)


def demo_state_path(env: Mapping[str, str] = os.environ) -> Path:
    """Where `--demo` keeps the demo between commands: WIX_DEMO_STATE, or demo.json in this
    program's folder of the user's cache ($XDG_CACHE_HOME, or ~/.cache)."""
    if given := env.get("WIX_DEMO_STATE", "").strip():
        return Path(given).expanduser()
    cache = env.get("XDG_CACHE_HOME", "").strip()
    if cache and Path(cache).is_absolute():
        folder = Path(cache)
    else:
        try:
            folder = Path.home() / ".cache"
        except RuntimeError:  # no home to be found (no HOME, no user entry)
            folder = Path(tempfile.gettempdir())
    return folder / "wix-data-mover-mcp" / "demo.json"


@contextmanager
def demo_or_real_settings(
    *, demo: bool, real: Callable[[], Settings | SettingsError]
) -> Generator[Settings | SettingsError]:
    """The real settings, or (with demo) settings for an emulator that runs until the end, on
    the demo its file keeps, so that one command goes on where the last one left it."""
    if not demo:
        yield real()
        return
    from ..emulator import Emulator  # only in demo mode: keeps the serving path light
    from ..emulator.seed import DEMO_ACCOUNT_ID

    with Emulator(saved=demo_state_path()) as emulator:
        # The demo is an agency's account: every site, the bakery by default.
        yield demo_settings(emulator.url, account_id=DEMO_ACCOUNT_ID)


TOUR_PACE = 0.05  # the tour's moving jobs take a twentieth of their usual time


def run_tour() -> int:
    from ..emulator import Emulator

    with Emulator(pace=TOUR_PACE) as emulator:
        anyio.run(_tour, emulator.url)
    return 0


async def _tour(base_url: str) -> None:
    from ..emulator import seed as demo_jobs

    settings = demo_settings(base_url, account_id=demo_jobs.DEMO_ACCOUNT_ID, allow_writes=True)
    server = build_server(settings, demo=False)
    faster = f"{round(1 / TOUR_PACE)} times faster than real time"
    async with Client(server) as client:
        _heading("An assistant connects and sees these tools")
        for tool in (await client.list_tools()).tools:
            _say(f"{tool.name}: {tool.title}")
        _say(
            "The tour allows writes, as WIX_ALLOW_WRITES=true (or --allow-writes) does; without "
            "it, as 'setup --demo' configures the demo, retry_data_movement_job and "
            "terminate_data_movement_job are not offered. The tour's emulator runs its jobs "
            f"{faster}, so the times it gives are the tour's own."
        )

        _heading('"What data jobs ran on my site lately?"  →  list_data_movement_jobs')
        await _show(client, "list_data_movement_jobs", {"limit": 6})

        for question, job_id in [
            ('"Is the spring products import done?"', demo_jobs.PRODUCTS_IMPORT),
            ('"Why did the blog import fail?"', demo_jobs.BLOG_IMPORT_FAILED),
            ('"How did the members import go?"', demo_jobs.MEMBERS_PARTIAL),
        ]:
            _heading(f"{question}  →  get_data_movement_job")
            await _show(client, "get_data_movement_job", {"job_id": job_id})

        _heading('"Which members were rejected, and why?"  →  list_data_movement_job_logs')
        await _show(
            client,
            "list_data_movement_job_logs",
            {"job_id": demo_jobs.MEMBERS_PARTIAL, "limit": 30},
        )

        _heading(
            '"Which of my clients\' sites had failed imports this week?"  →  '
            "list_data_movement_jobs_across_sites"
        )
        await _show(
            client,
            "list_data_movement_jobs_across_sites",
            {"status": ["FAILED", "PARTIALLY_SUCCESSFUL"], "since": "7d"},
        )

        _heading(
            '"Tell me when the catalog upload is done"  →  wait_for_data_movement_job '
            f"(the tour runs {faster})"
        )
        await _follow(client, demo_jobs.CATALOG_UPLOAD)

        _heading(
            '"I fixed the file: run the blog import again, skipping posts already there"  →  '
            "retry_data_movement_job"
        )
        retried = await _show(
            client,
            "retry_data_movement_job",
            {"job_id": demo_jobs.BLOG_IMPORT_FAILED, "skip_existing": True},
        )
        _heading(
            f'"And tell me when it is done"  →  wait_for_data_movement_job (the tour runs {faster})'
        )
        structured: dict[str, Any] = retried.structured_content or {}
        await _follow(client, str(cast(dict[str, Any], structured["job"])["id"]))

    print()
    print("That was the built-in emulator. To use your own site, see the README's Configuration.")


async def _show(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    _say(_first_text(result))
    return result


async def _follow(client: Client, job_id: str) -> None:
    """A bar on a terminal; in a pipe, a plain line for each change."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("  {task.description}"), BarColumn(), TimeElapsedColumn())
    shown = console()
    lines: list[str] = []
    with Progress(*columns, console=shown, disable=not shown.is_terminal) as bar:
        task = bar.add_task("waiting", total=100)

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            bar.update(task, completed=progress, description=message or "")
            if not shown.is_terminal and message and message not in lines[-1:]:
                lines.append(message)
                _say(message)

        result = await client.call_tool(
            "wait_for_data_movement_job",
            {"job_id": job_id, "timeout_seconds": 60},
            progress_callback=on_progress,
        )
    _say(_first_text(result))


def _first_text(result: CallToolResult) -> str:
    block = result.content[0] if result.content else None
    return block.text if isinstance(block, TextContent) else "(no text)"


def _heading(text: str) -> None:
    print(f"\n{styled(text, 'bold')}")


def _say(text: str) -> None:
    print_text(text, indent="  ", subsequent="    ")
