"""The job card's page and its place in tool results. The card is an MCP App (the
io.modelcontextprotocol/ui extension) that shows a job as a progress bar, its counts, its timing,
where the data went, and rejected items by error code.

The card is one self-contained HTML file (card.html: its CSS and JS inline, no outside origin).
What it shows is computed in words/card.py, in words the summary would use, and travels in the
tool result's _meta under CARD_META_KEY; the page only lays it out, setting every string as
text. The same page, filled in, is what `job ID --html FILE` writes for people without such a
host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.apps import Apps, ResourceCsp, client_supports_apps
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..config import is_guid
from ..errors import WixApiError
from ..wix.models import paging_cursor, parse_job
from ..words.card import job_card
from ..words.logs import FailureGroup, group_failures
from .logs import movement_logs
from .state import AppState

if TYPE_CHECKING:
    from ..wix.sites import Site

CARD_URI = "ui://wix-data-mover/job-card.html"
CARD_META_KEY = "wix-data-mover/card"


def job_card_app() -> Apps:
    """The MCP Apps extension with the job card: one self-contained page, nothing to load."""
    apps = Apps()
    apps.add_html_resource(
        CARD_URI,
        card_resource_html(),
        name="job_card",
        title="Job card",
        description="A data movement job at a glance: progress, counts, rejected items by code.",
        csp=ResourceCsp(
            connect_domains=[], resource_domains=[], frame_domains=[], base_uri_domains=[]
        ),
        prefers_border=True,
    )
    return apps


async def with_card(
    ctx: Context[AppState],
    result: CallToolResult,
    raw: dict[str, Any],
    where: Site | None,
    site: str | None,
) -> CallToolResult:
    """For a host that renders MCP Apps, the job card's facts in the result's _meta (with
    rejected items by code from the first page of logs); other clients get the result as is."""
    if not client_supports_apps(ctx):
        return result
    state = ctx.request_context.lifespan_context
    job, _ = parse_job(raw)
    groups, more = None, False
    if job.id and is_guid(job.id) and job.progress and job.progress.items_rejected:
        groups, more = await rejected_by_code(state, job.id, where and where.id)
    arguments = {"job_id": job.id, **({"site": site} if site else {})}
    card = job_card(
        job,
        now=datetime.now(UTC),
        site_label=where.label() if where else None,
        site_names=state.site_names(),
        groups=groups,
        more_logs=more,
        refresh={"tool": "get_data_movement_job", "arguments": arguments},
    )
    return result.model_copy(update={"meta": {CARD_META_KEY: card}})


async def rejected_by_code(
    state: AppState, job_id: str, site_id: str | None
) -> tuple[list[FailureGroup] | None, bool]:
    """Rejected items by error code from the first page of logs, and whether more logs exist;
    None when the logs cannot be read (the card then shows no chart)."""
    wix = state.wix()
    try:
        body = await wix.call(lambda: wix.client.list_logs(job_id, limit=100, site=site_id))
    except WixApiError:
        return None, False
    _, logs = movement_logs(body)
    return group_failures(logs), paging_cursor(body) is not None


@cache
def card_resource_html() -> str:
    """The page a host loads as the ui:// resource; the tool result fills it in."""
    return _page(None)


def filled_card_html(card: dict[str, Any]) -> str:
    """The same page with one card in it, to open in any browser."""
    return _page(card)


@cache
def _template() -> str:
    return (Path(__file__).parent / "card.html").read_text(encoding="utf-8")


def _page(card: dict[str, Any] | None) -> str:
    html = _template()
    # Only the page's own inline style and script may run (by hash); nothing may load.
    hashes = [
        f"'sha256-{_sha256(block)}'"
        for block in re.findall(r"<script>(.*?)</script>", html, re.S)
        + re.findall(r"<style>(.*?)</style>", html, re.S)
    ]
    script_hash, style_hash = hashes[0], hashes[-1]
    policy = (
        f"default-src 'none'; script-src {script_hash}; style-src {style_hash}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    data = "null" if card is None else _script_safe_json(card)
    return html.replace("{{CSP}}", policy).replace("{{CARD_JSON}}", data)


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _script_safe_json(value: Any) -> str:
    """JSON that cannot end the <script> data block it sits in, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
