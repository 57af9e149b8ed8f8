"""Fails when Wix's generated SDK and this project's models or emulator disagree on the job.

    python .ci/sdk_drift.py path/to/index.typings.d.ts

Reads the SDK's TypeScript declarations (fields of each interface, members of each enum) and
compares them, both ways, with the pydantic models' wire names and the emulator's jobs.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from pydantic import BaseModel

from wix_data_mover_mcp.emulator import DEMO_API_KEY, EmulatorState
from wix_data_mover_mcp.emulator.seed import seed
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
FIELD = re.compile(r"^    (\w+)\??:", re.M)
MEMBER = re.compile(r"^    (\w+) = \"", re.M)


def declarations(text: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    interfaces: dict[str, set[str]] = {}
    enums: dict[str, set[str]] = {}
    for kind, name, body in BLOCK.findall(text):
        if kind == "interface":
            interfaces[name] = set(FIELD.findall(body))
        else:
            enums[name] = set(MEMBER.findall(body))
    # "extends XOneOf": the one-of members are declared in the parent interface.
    for name in list(interfaces):
        parent = re.search(rf"^interface {name} extends (\w+)", text, re.M)
        if parent and parent.group(1) in interfaces:
            interfaces[name] |= interfaces[parent.group(1)]
    return interfaces, enums


def wire_names(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def emulator_fields() -> set[str]:
    state = EmulatorState(api_keys={DEMO_API_KEY})
    now = time.time()
    seed(state, now=now, base_url="http://127.0.0.1:1")
    seen: set[str] = set()
    for offset in (0, 5, 30, 3600):
        for timeline in state.jobs.values():
            seen |= set(timeline.render(now + offset))
    return seen


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
    job_fields = {"id" if n == "_id" else n for n in interfaces.get("DataMovementJob", set())}
    for name in sorted(emulator_fields() - job_fields):
        problems.append(f"the emulator sends {name}, which the SDK's DataMovementJob lacks")
    summary = f"{len(PAIRS)} types and {len(ENUMS)} enums compared, {len(problems)} problems"
    sys.stdout.write("".join(f"sdk drift: {line}\n" for line in [*problems, summary]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
