"""What a finished export's file holds in the emulator: a row per item the job moved, with the
fields it asked for (all of them when it named none), in plausible values for its source."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, cast

Row = Callable[[int], list[object]]

# Columns and a row maker per source collection; other collections get an id and a title.
SHAPES: dict[str, tuple[list[str], Row]] = {
    "Orders": (
        ["_id", "orderNumber", "status", "total"],
        lambda n: [f"o-{1001 + n}", 1001 + n, "PAID", f"{10 + (n * 37) % 190}.{n % 100:02}"],
    ),
    "Patients": (
        ["_id", "name", "lastVisit"],
        lambda n: [f"p-{n + 1:04}", f"Patient {n + 1}", f"2026-{1 + n % 12:02}-{1 + n % 28:02}"],
    ),
}
OTHER: tuple[list[str], Row] = (["_id", "title"], lambda n: [f"item-{n + 1}", f"Item {n + 1}"])


def export_csv(job: dict[str, Any]) -> str:
    source = _object(job.get("source"))
    collection = _object(source.get("wixDataCollection"))
    columns, row = SHAPES.get(str(collection.get("collectionId")), OTHER)
    if "localization" in source:
        columns, row = _translations(_strings(_object(source["localization"]).get("languages")))
    wanted = _strings(_object(collection.get("filterQuery")).get("fields"))
    keep = [i for i, name in enumerate(columns) if not wanted or name in wanted]
    moved = _object(job.get("progress")).get("itemsSuccessful")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([columns[i] for i in keep])
    for n in range(moved if isinstance(moved, int) else 0):
        values = row(n)
        writer.writerow([values[i] for i in keep])
    return out.getvalue()


def _translations(languages: list[str]) -> tuple[list[str], Row]:
    """A key per translated item, and its text in each language."""

    def row(n: int) -> list[object]:
        return [f"menu.item.{n + 1}", *(f"{lang}: item {n + 1}" for lang in languages)]

    return ["key", *languages], row


def _object(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    items = cast(list[Any], value) if isinstance(value, list) else []
    return [item for item in items if isinstance(item, str)]
