"""The demo: the emulator and the MCP server in one process, and a tour of what an assistant
would do with them. Also the settings that point any command at the emulator."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from contextlib import contextmanager
from typing import Any, cast

import anyio
from mcp import Client
from mcp.types import CallToolResult, TextContent

from ..config import Settings, SettingsError
from ..serve.app import build_server
from .output import print_text


def demo_settings(base_url: str, **overrides: Any) -> Settings:
    """The emulator's demo credentials, for an emulator at base_url."""
    from ..emulator import DEMO_API_KEY, DEMO_SITE_ID

    values = {"api_key": DEMO_API_KEY, "site_id": DEMO_SITE_ID, "api_base_url": base_url}
    return Settings.model_validate(values | overrides)


@contextmanager
def demo_or_real_settings(
    *, demo: bool, real: Callable[[], Settings | SettingsError]
) -> Generator[Settings | SettingsError]:
    """The real settings, or (with demo) settings for an emulator that runs until the end."""
    if not demo:
        yield real()
        return
    from ..emulator import Emulator  # only in demo mode: keeps the serving path light
    from ..emulator.seed import DEMO_ACCOUNT_ID

    with Emulator() as emulator:
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
    async with Client(server) as client:
        _heading("An assistant connects and sees these tools")
        for tool in (await client.list_tools()).tools:
            _say(f"{tool.name}: {tool.title}")

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

        _heading('"Tell me when the catalog upload is done"  →  wait_for_data_movement_job')
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
        _heading('"And tell me when it is done"  →  wait_for_data_movement_job')
        structured: dict[str, Any] = retried.structured_content or {}
        await _follow(client, str(cast(dict[str, Any], structured["job"])["id"]))

    print()
    print("That was the built-in emulator. To use your own site, see the README's Configuration.")


async def _show(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    _say(_first_text(result))
    return result


async def _follow(client: Client, job_id: str) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("  {task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("waiting", total=100)

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            bar.update(task, completed=progress, description=message or "")

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
    print(f"\n\033[1m{text}\033[0m" if sys.stdout.isatty() else f"\n{text}")


def _say(text: str) -> None:
    print_text(text, indent="  ", subsequent="    ")
