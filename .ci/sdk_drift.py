"""Fails when Wix's generated SDK and this project's models or emulator disagree on the job.

    python .ci/sdk_drift.py path/to/index.typings.d.ts

Reads the SDK's TypeScript declarations (fields of each interface with their types and their
@minSize, @maxSize, @minLength and @maxLength bounds, members of each enum) and compares them,
both ways, with the pydantic models' wire names; then walks every job and movement log the
emulator sends (at several moments of their lives) through the SDK's types: each key must be
a field of its type, each enum value one of the enum's, each list and string within its
bounds, and a source or destination exactly one kind.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel

from wix_data_mover_mcp.emulator import DEMO_API_KEY, EmulatorState
from wix_data_mover_mcp.emulator.seed import seed, seed_agency
from wix_data_mover_mcp.wix import models
from wix_data_mover_mcp.words.route import FILE_FORMATS, WRITE_POLICIES

# SDK interface -> our model. The SDK renames `id` to `_id`; the REST API sends `id`.
PAIRS: dict[str, type[BaseModel]] = {
    "DataMovementJob": models.DataMovementJob,
    "Source": models.Source,
    "Destination": models.Destination,
    "WixDataSource": models.WixDataCollectionSource,
    "LocalizationSource": models.LocalizationSpec,
    "FileSource": models.FileSource,
    "ExternalFileSource": models.ExternalFileSource,
    "GoogleSheetsSource": models.GoogleSheetsSource,
    "WixMediaSource": models.WixMediaSource,
    "WixDataCollectionDefinitionSource": models.CollectionDefinitionsSource,
    "DataMovementJobLogs": models.MovementLogsSource,
    "TestSource": models.TestSpec,
    "WixDataDestination": models.WixDataCollectionDestination,
    "LocalizationDestination": models.LocalizationSpec,
    "FileDestination": models.FileDestination,
    "WixMediaDestination": models.WixMediaDestination,
    "WixDataCollectionDefinitionDestination": models.CollectionDefinitionsDestination,
    "TestDestination": models.TestSpec,
    "Progress": models.Progress,
    "ItemsSuccessfulInfo": models.ItemsSuccessfulInfo,
    "ApplicationError": models.ApplicationError,
    "PartiallySuccessfulStatusOptions": models.PartiallySuccessfulOptions,
    "ExtendedFields": models.ExtendedFields,
    "MovementLog": models.MovementLog,
}
ENUMS = {
    "JobStatus": models.KNOWN_STATUSES,
    "Units": frozenset({"ITEMS", "BYTES"}),
    "WixDataDestinationWritePolicy": frozenset(WRITE_POLICIES),
    "FileFormat": frozenset(FILE_FORMATS) | {"UNKNOWN"},
}

BLOCK = re.compile(r"^(interface|declare enum) (\w+)[^{]*\{\n(.*?)^\}", re.S | re.M)
# A field, with the JSDoc comment before it when there is one: its type and its bounds.
FIELD = re.compile(
    r"^    (?:/\*\*(?P<doc>(?:(?!\*/).)*?)\*/\n    )?(?P<name>\w+)\??: (?P<type>[^;]+);",
    re.S | re.M,
)
MEMBER = re.compile(r"^    (\w+) = \"", re.M)
BOUND = re.compile(r"@(minSize|maxSize|minLength|maxLength) (\d+)")
ONE_KIND = ("Source", "Destination")  # Submit Job needs exactly one kind of each


@dataclass(frozen=True)
class Field:
    type: str
    bounds: dict[str, int]


def declarations(text: str) -> tuple[dict[str, dict[str, Field]], dict[str, set[str]]]:
    interfaces: dict[str, dict[str, Field]] = {}
    enums: dict[str, set[str]] = {}
    for kind, name, body in BLOCK.findall(text):
        if kind == "interface":
            interfaces[name] = {
                match["name"]: Field(
                    match["type"].strip(),
                    {key: int(value) for key, value in BOUND.findall(match["doc"] or "")},
                )
                for match in FIELD.finditer(body)
            }
        else:
            enums[name] = set(MEMBER.findall(body))
    # "extends XOneOf": the one-of members are declared in the parent interface.
    for name in list(interfaces):
        parent = re.search(rf"^interface {name} extends (\w+)", text, re.M)
        if parent and parent.group(1) in interfaces:
            interfaces[name] = interfaces[parent.group(1)] | interfaces[name]
    return interfaces, enums


def walk(
    value: Any,
    type_: str,
    where: str,
    interfaces: dict[str, dict[str, Field]],
    enums: dict[str, set[str]],
) -> list[str]:
    """Where `value` (as the emulator sends it) breaks the SDK's `type_`."""
    base = type_.replace(" | null", "").strip()
    if base.endswith("[]"):
        items = cast(list[Any], value) if isinstance(value, list) else []
        return [
            problem
            for index, item in enumerate(items)
            for problem in walk(item, base[:-2], f"{where}[{index}]", interfaces, enums)
        ]
    name = base.removesuffix("WithLiterals")
    if name in enums:
        if value not in enums[name]:
            return [f"{where} is {value!r}, not one of the SDK's {name} {sorted(enums[name])}"]
        return []
    if name not in interfaces or not isinstance(value, dict):
        return []
    fields = interfaces[name]
    given = cast(dict[str, Any], value)
    problems: list[str] = []
    if name in ONE_KIND and len(given) != 1:
        problems.append(f"{where} sets {len(given)} kinds; the SDK's {name} is one of them")
    for key, item in given.items():
        field = fields.get("_id" if key == "id" else key)
        if field is None:
            problems.append(f"{where}.{key} is not a field of the SDK's {name}")
            continue
        problems += _outside_bounds(item, field, f"{where}.{key}", f"{name}.{key}")
        problems += walk(item, field.type, f"{where}.{key}", interfaces, enums)
    return problems


def _outside_bounds(value: Any, field: Field, where: str, declared: str) -> list[str]:
    problems: list[str] = []
    sized = cast(list[Any], value) if isinstance(value, list) else None
    texts = [value] if isinstance(value, str) else [v for v in sized or [] if isinstance(v, str)]
    checks = [
        ("minSize", sized is not None and len(sized or []) < field.bounds.get("minSize", 0)),
        ("maxSize", sized is not None and len(sized or []) > field.bounds.get("maxSize", 1 << 30)),
        ("minLength", any(len(t) < field.bounds.get("minLength", 0) for t in texts)),
        ("maxLength", any(len(t) > field.bounds.get("maxLength", 1 << 30) for t in texts)),
    ]
    for bound, broken in checks:
        if broken:
            problems.append(f"{where} breaks {declared}'s @{bound} {field.bounds[bound]}")
    return problems


def wire_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def emulator_problems(
    interfaces: dict[str, dict[str, Field]], enums: dict[str, set[str]]
) -> list[str]:
    """Every job and movement log the seeded emulators send, from submission to long after,
    walked through the SDK's types."""
    state = EmulatorState(api_keys={DEMO_API_KEY})
    now = time.time()
    seed(state, now=now, base_url="http://127.0.0.1:1")
    seed_agency(state, sites=3, now=now)
    problems: list[str] = []
    for offset in (0, 5, 15, 30, 3600):
        for timeline in state.jobs.values():
            label = timeline.fields.get("name") or timeline.id
            job = timeline.render(now + offset)
            problems += walk(job, "DataMovementJob", label, interfaces, enums)
            for log in timeline.logs(now + offset):
                problems += walk(log, "MovementLog", f"{label} log", interfaces, enums)
    return [f"the emulator's {problem}" for problem in dict.fromkeys(problems)]


def main(path: str) -> int:
    interfaces, enums = declarations(Path(path).read_text())
    problems: list[str] = []
    for sdk_name, model in PAIRS.items():
        if sdk_name not in interfaces:
            problems.append(f"the SDK no longer declares {sdk_name}")
            continue
        sdk = {"id" if name == "_id" else name for name in interfaces[sdk_name]}
        ours = wire_names(model)
        for name in sorted(sdk - ours):
            problems.append(f"{sdk_name}.{name} is in the SDK but not in {model.__name__}")
        for name in sorted(ours - sdk):
            problems.append(f"{model.__name__}.{name} is not in the SDK's {sdk_name}")
    for sdk_name, known in ENUMS.items():
        for value in sorted(enums.get(sdk_name, set()) - known):
            problems.append(f"{sdk_name}.{value} is in the SDK but unknown here")
        for value in sorted(known - enums.get(sdk_name, set())):
            problems.append(f"{value} is known here but not in the SDK's {sdk_name}")
    problems += emulator_problems(interfaces, enums)
    summary = (
        f"{len(PAIRS)} types and {len(ENUMS)} enums compared, the emulator's jobs and logs "
        f"walked through {len(interfaces)} types, {len(problems)} problems"
    )
    sys.stdout.write("".join(f"sdk drift: {line}\n" for line in [*problems, summary]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
