"""The tools speak to an assistant ("call wait_for_data_movement_job", "pass site", "call again
with the next_cursor"); a person at the command line needs the command to run and the flag to
give. This module turns one into the other at the boundary, so the tools keep their words and
every command suggested here runs as printed (with --site and --demo when this run had them,
and through `uv run` or `uvx` when that is how this run was started).

A command inside a sentence is always in single quotes, 'wix-data-mover-mcp logs ID --demo', so
what is between them pastes into a shell as it is: no colon or full stop glued to it. An
argument that needs quoting inside it gets double quotes (--site "Riverside Bakery").
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # setup loads the settings (pydantic): only a suggestion needs it
    from .setup import Installation

PROG = "wix-data-mover-mcp"


def runs_as(env: Mapping[str, str], where: Installation, which: Callable[[str], str | None]) -> str:
    """How the person at the shell runs this program: through uv when uv started it (`uv run`
    in a project, `uvx` from uv's cache; its folder is on no PATH of theirs then), by name when
    the name finds this program on their PATH, else by its path."""
    from .setup import inside

    script = where.scripts / (PROG + ".exe" if where.windows else PROG)
    if env.get("UV_RUN_RECURSION_DEPTH"):
        if where.uv_cache is not None and inside(where, where.uv_cache):
            return shell_join(["uvx", *(["--from", where.source] if where.source else []), PROG])
        return f"uv run {PROG}"
    found = which(PROG)
    if not script.exists() or (found is not None and Path(found).resolve() == script.resolve()):
        return PROG
    return shell_join([str(script)])


@cache
def program() -> str:
    """This run's `runs_as`, the start of every command it suggests."""
    from .setup import this_installation

    return runs_as(os.environ, this_installation(), shutil.which)


# Each tool, as the command that does its job; the fallback for a sentence not rewritten below.
TOOL_COMMANDS = {
    "list_data_movement_jobs_across_sites": "jobs --all-sites",
    "list_data_movement_job_logs": "logs",
    "list_data_movement_jobs": "jobs",
    "get_data_movement_job": "job",
    "wait_for_data_movement_job": "watch",
    "list_data_sync_schedules": "schedules",
    "list_wix_sites": "sites",
    "retry_data_movement_job": "retry",
}
TOOL_NAME = re.compile("|".join(sorted(TOOL_COMMANDS, key=len, reverse=True)))


@dataclass(frozen=True)
class Say:
    """How this run of the command line names a command, so a suggestion runs as printed."""

    demo: bool = False
    site: str | None = None
    job: str = "ID"
    skip_existing: bool = False  # retry's flag, kept in the command that submits for real

    def command(self, *words: str, site: bool = True) -> str:
        """The command, quoted for a sentence: 'wix-data-mover-mcp jobs --demo'."""
        parts = list(words)
        if site and self.site:
            parts += ["--site", self.site]
        if self.demo:
            parts.append("--demo")
        return f"'{program()} {shell_join(parts)}'"


SAFE_WORD = re.compile(r"[\w@%+=:,./-]+")
DOUBLE_QUOTED = re.compile(r'[^"\\$`!]*')  # nothing a shell reads inside double quotes


def shell_join(words: list[str]) -> str:
    """The words as one shell command line: double quotes where a word needs quoting (so the
    command reads well inside single quotes), shlex's quoting where even those would not do."""
    return " ".join(
        word
        if SAFE_WORD.fullmatch(word)
        else f'"{word}"'
        if DOUBLE_QUOTED.fullmatch(word)
        else shlex.quote(word)
        for word in words
    )


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str], Say], str]
    usage: bool = False  # the sentence is about what the person gave: exit code 2


def _rule(
    pattern: str, replace: Callable[[re.Match[str], Say], str], *, usage: bool = False
) -> Rule:
    return Rule(re.compile(pattern), replace, usage)


RULES = [
    # Paging: the command line prints its own "More:" line with the command for the next page.
    _rule(r"\n?next_cursor: \S+", lambda m, say: ""),
    _rule(r"\n?More (?:jobs|logs exist): call again with the next_cursor\.", lambda m, say: ""),
    _rule(r" ?Older jobs exist: call again with the next_cursor\.", lambda m, say: ""),
    _rule(
        r"call list_data_movement_job_logs with this job id",
        lambda m, say: f"run {say.command('logs', say.job)}",
    ),
    _rule(
        r"call wait_for_data_movement_job again( to keep waiting)?",
        lambda m, say: f"run {say.command('watch', say.job)}{m.group(1) or ''}",
    ),
    _rule(
        r"Follow it with wait_for_data_movement_job \(job_id (\S+)\)",
        lambda m, say: f"To follow it, run {say.command('watch', m.group(1))}",
    ),
    _rule(
        r"wait for it to finish \(wait_for_data_movement_job\), or terminate it first",
        lambda m, say: f"wait for it to finish, following it with {say.command('watch', say.job)}",
    ),
    _rule(
        r"Call retry_data_movement_job again with dry_run false to submit it",
        lambda m, say: (
            "To submit it, run "
            + say.command("retry", say.job, *(["--skip-existing"] if say.skip_existing else []))
        ),
    ),
    _rule(r"\bskip_existing applies", lambda m, say: "--skip-existing applies", usage=True),
    _rule(
        r"That cursor was not given out by list_data_movement_jobs\. Call it without a cursor "
        r"to start from the newest jobs\.",
        lambda m, say: (
            f"That --cursor was not printed by '{program()} jobs': leave it out to start "
            "from the newest jobs."
        ),
        usage=True,
    ),
    _rule(
        r"That cursor was not given out by list_data_movement_job_logs for this job\. Call it "
        r"without a cursor for the first page\.",
        lambda m, say: (
            f"That --cursor was not printed by '{program()} logs' for this job: leave it "
            "out for the first page."
        ),
        usage=True,
    ),
    _rule(r"\bPass site as ", lambda m, say: "Pass --site ", usage=True),
    _rule(r"^No site is named ", lambda m, say: m.group(0), usage=True),
    _rule(
        r"name the site it was submitted for with site \(list_wix_sites lists them\), or "
        r"search every site with list_data_movement_jobs_across_sites",
        lambda m, say: (
            f"name the site it was submitted for with --site ({say.command('sites', site=False)} "
            f"lists them), or search every site with "
            f"{say.command('jobs', '--all-sites', site=False)}"
        ),
    ),
    # Whatever still names a tool names the command instead.
    _rule(
        TOOL_NAME.pattern,
        lambda m, say: say.command(*TOOL_COMMANDS[m.group(0)].split(), site=False),
    ),
]


def for_people(text: str, say: Say) -> str:
    """The tool's words, with each piece of advice for an assistant as a command for a person."""
    for rule in RULES:
        text = rule.pattern.sub(_replacer(rule, say), text)
    return text


def _replacer(rule: Rule, say: Say) -> Callable[[re.Match[str]], str]:
    return lambda match: rule.replace(match, say)


def is_about_usage(text: str) -> bool:
    """Whether a tool's refusal is about what the person gave (a flag or an argument)."""
    return any(rule.usage and rule.pattern.search(text) for rule in RULES)
