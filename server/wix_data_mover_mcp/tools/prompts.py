"""Prompts kept as Markdown files in prompts/, offered as MCP prompts with arguments.

A file starts with a front matter block:

    ---
    title: Check on a data migration
    description: What the prompt is for.
    argument: job_id | optional | The job's id, if you have it.
    ---

and its body names arguments as {job_id}. An optional argument left out reads "not given".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import MCPError
from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument
from mcp.types import INVALID_PARAMS

from ..words.arguments import job_id_problem

MAX_ARGUMENT_CHARS = 2000
NOT_GIVEN = "not given"


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: list[PromptArgument]
    body: str

    def render(self, *, _server: Mapping[str, str] | None = None, **values: str | None) -> str:
        text = self.body
        for argument in self.arguments:
            value = (values.get(argument.name) or "").strip()[:MAX_ARGUMENT_CHARS]
            text = text.replace(f"{{{argument.name}}}", value or NOT_GIVEN)
        for name, value in (_server or {}).items():  # what the server fills in, on its own line
            text = text.replace(f"{{{name}}}\n", f"{value}\n" if value else "")
        return text

    def as_prompt(self, server_values: Mapping[str, str] | None = None) -> Prompt:
        """The MCP prompt; `server_values` fill the body's server-side placeholders (an empty
        value removes its line)."""
        render: Callable[..., str] = functools.partial(self.render, _server=server_values or {})
        return CheckedPrompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=self.arguments,
            fn=render,
            context_kwarg=None,
        )


class CheckedPrompt(Prompt):
    """A prompt whose missing or malformed arguments are refused as invalid params (-32602)
    with one sentence, before it renders."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        given = arguments or {}
        for argument in self.arguments or []:
            value = given.get(argument.name)
            if argument.required and not (isinstance(value, str) and value.strip()):
                raise MCPError(
                    code=INVALID_PARAMS,
                    message=f"The {self.name} prompt needs {argument.name}: {argument.description}",
                )
            is_job_id = argument.name == "job_id" and isinstance(value, str) and value.strip()
            if is_job_id and (problem := job_id_problem(str(value))):
                raise MCPError(code=INVALID_PARAMS, message=problem)
        return await super().render(arguments, context)


def prompts_dir() -> Path:
    """In a wheel the prompts sit inside the package; in a checkout, at the top level."""
    package = Path(__file__).parents[1]
    packaged = package / "prompts"
    return packaged if packaged.is_dir() else package.parents[1] / "prompts"


def load_prompts(directory: Path | None = None) -> Iterator[PromptFile]:
    for path in sorted((directory or prompts_dir()).glob("*.md")):
        yield parse_prompt(path.stem, path.read_text(encoding="utf-8"))


def parse_prompt(name: str, text: str) -> PromptFile:
    head, separator, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not separator:
        raise ValueError(f"prompt {name}: missing the --- front matter block")
    fields: dict[str, str] = {}
    arguments: list[PromptArgument] = []
    for line in head.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "argument":
            arg_name, need, description = (part.strip() for part in value.split("|", 2))
            arguments.append(
                PromptArgument(name=arg_name, description=description, required=need == "required")
            )
        elif key.strip():
            fields[key.strip()] = value.strip()
    return PromptFile(
        name=name,
        title=fields["title"],
        description=fields["description"],
        arguments=arguments,
        body=body.strip() + "\n",
    )
