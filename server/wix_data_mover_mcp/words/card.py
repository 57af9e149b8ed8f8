"""The job card: an MCP App (the io.modelcontextprotocol/ui extension) that shows a job as a
progress bar, its counts, its timing, where the data went, and rejected items by error code.

The card is one self-contained HTML file (card.html: its CSS and JS inline, no outside origin).
What it shows is computed here, in words the summary would use, and travels in the tool result's
_meta under CARD_META_KEY; the page only lays it out, setting every string as text. The same
page, filled in, is what `job ID --html FILE` writes for people without such a host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..text import clean
from ..wix.models import DataMovementJob
from .job import counts_phrase, download_url, is_finished, percent_complete, timing_sentences
from .logs import FailureGroup
from .route import route

CARD_URI = "ui://wix-data-mover/job-card.html"
CARD_META_KEY = "wix-data-mover/card"
MAX_CODES = 8
STATUS_LABELS = {
    "UNINITIALIZED": ("Not started yet", "busy"),
    "INITIALIZING": ("Initializing", "busy"),
    "IN_PROGRESS": ("In progress", "busy"),
    "COMPLETED": ("Completed", "ok"),
    "FAILED": ("Failed", "bad"),
    "PARTIALLY_SUCCESSFUL": ("Partly successful", "warn"),
}


def job_card(
    job: DataMovementJob,
    *,
    now: datetime,
    site_label: str | None = None,
    site_names: dict[str, str] | None = None,
    groups: list[FailureGroup] | None = None,
    more_logs: bool = False,
    refresh: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the card shows, every figure taken from the job (and its logs, when read)."""
    label, tone = STATUS_LABELS.get(job.status or "", ("Unknown status", "busy"))
    progress = job.progress
    in_bytes = progress is not None and progress.units == "BYTES"
    card: dict[str, Any] = {
        "name": clean(job.name or "", 200) or "(no name)",
        "jobId": clean(job.id or "", 80),
        "site": clean(site_label or "", 200) or None,
        "status": clean(job.status or "", 40) or None,
        "label": label,
        "tone": tone,
        "finished": is_finished(job),
        "percent": percent_complete(job),
        "moved": progress.moved if progress else None,
        "rejected": progress.items_rejected if progress else None,
        "total": None if in_bytes or progress is None else progress.total,
        "counts": counts_phrase(job),
        "timing": timing_sentences(job, now),
        "route": route(job, site_names),
        "download": download_url(job),
        "rejectedByCode": None,
        "refresh": refresh,
    }
    if groups is not None:
        card["rejectedByCode"] = [
            {"code": clean(group.code, 60), "count": group.count} for group in groups[:MAX_CODES]
        ]
        hidden = len(groups) - MAX_CODES
        notes: list[str] = []
        if hidden > 0:
            notes.append(f"{hidden} more codes not shown")
        if more_logs:
            notes.append("counted from the first page of movement logs; more logs exist")
        card["rejectedNote"] = "; ".join(notes) or None
    return card


@cache
def card_resource_html() -> str:
    """The page a host loads as the ui:// resource; the tool result fills it in."""
    return _page(None)


def filled_card_html(card: dict[str, Any]) -> str:
    """The same page with one card in it, to open in any browser."""
    return _page(card)


@cache
def _template() -> str:
    return (Path(__file__).parents[1] / "tools" / "card.html").read_text(encoding="utf-8")


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
