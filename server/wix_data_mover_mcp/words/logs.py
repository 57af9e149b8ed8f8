"""A job's movement logs in words: the items that failed to move, grouped by error code, the
most frequent first. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import Field

from ..text import quote, shown_code
from ..wix.models import MovementLog, OutputModel, Source
from .errors import ERROR_CODES
from .units import count, plural

ID_SHAPE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class FailureGroup(OutputModel):
    code: str = Field(description="Wix's error code, or NO_CODE.")
    count: int
    descriptions: list[str] = Field(description="Up to 3 distinct descriptions from Wix.")
    more_descriptions: int = Field(default=0, description="Distinct descriptions not listed.")
    example_item_ids: list[str] = Field(description="Up to 3 source item ids.")


def group_failures(logs: Sequence[MovementLog]) -> list[FailureGroup]:
    """Rejected items by error code, the most frequent first."""
    groups: dict[str, FailureGroup] = {}
    seen: dict[str, set[str]] = {}
    for log in logs:
        if log.failure is None:
            continue
        code = log.failure.code or "NO_CODE"
        group = groups.setdefault(
            code, FailureGroup(code=code, count=0, descriptions=[], example_item_ids=[])
        )
        group.count += 1
        description = log.failure.description
        known = seen.setdefault(code, set())
        if description and description not in known:
            known.add(description)
            if len(group.descriptions) < 3:
                group.descriptions.append(description)
            else:
                group.more_descriptions += 1
        if log.source_item_id and len(group.example_item_ids) < 3:
            group.example_item_ids.append(log.source_item_id)
    return sorted(groups.values(), key=lambda group: -group.count)


def item_word(source: Source | None, number: int = 2) -> str:
    """What a log's sourceItemId is, from the job's source: a row number only for a CSV file
    (the one case Wix's types name); an item's id otherwise, JSONL included. Plural unless
    `number` is 1."""
    file = (source.file or source.external_file) if source else None
    word = "row" if file is not None and file.format == "CSV" else "item"
    return word if number == 1 else word + "s"


def summarize_logs(
    job_id: str,
    logs: Sequence[MovementLog],
    groups: Sequence[FailureGroup],
    *,
    more: bool,
    later: bool = False,
    source: Source | None = None,
) -> str:
    """The logs in words: `more` when pages follow, `later` when this page is not the first
    (it was asked for with a cursor); `source` is the job's, when known, to name its items
    rightly. Each code's descriptions are those its group lists, then how many it does not."""
    failed = sum(group.count for group in groups)
    if not logs:
        if later and not more:
            return f"Job {job_id} has no more movement logs."
        return f"Job {job_id} has no movement logs{' on this page' if more else ''}."
    head = f"Job {job_id}: {plural(len(logs), 'movement log')}"
    head += f", {count(failed)} for items that failed to move" if failed else ", none a failure"
    if later:
        page = " (a later page)" if more else " (the last page)"
    else:
        page = " (first page)" if more else ""
    sentences = [f"{head}{page}."]
    for group in groups[:8]:
        said = [quote(text, 140) for text in group.descriptions]
        unsaid = group.more_descriptions
        what = "; ".join(said) + (f" (+{unsaid} more)" if unsaid else "")
        meaning, _ = ERROR_CODES.get(group.code, (None, None))
        line = f"{shown_code(group.code)}, {plural(group.count, 'item')}"
        line += f" ({meaning})" if meaning else ""
        line += f": {what}" if what else ""
        if ids := group.example_item_ids:
            shown = ", ".join(_ident_or_quote(item) for item in ids)
            line += f"; e.g. {item_word(source, len(ids))} {shown}"
        sentences.append(line + ".")
    if len(groups) > 8:
        sentences.append(f"And {plural(len(groups) - 8, 'other error code')}.")
    if more:
        sentences.append("More logs exist: call again with the next_cursor.")
    return "\n".join(sentences)


def _ident_or_quote(value: str) -> str:
    return value if ID_SHAPE.fullmatch(value) else quote(value, 60)
