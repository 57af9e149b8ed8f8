"""The command line's grammar: every command with its arguments, help and example, and any
mistake said in one line. main.py runs what it parses."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn, cast

from .. import __version__
from .wording import PROG, program

Runner = Callable[[argparse.Namespace], int]
WATCH_TIMED_OUT = 3
JOBS_PER_PAGE = 10
LOGS_PER_PAGE = 50

EPILOG = """\
With no command, serves MCP over stdio (what an assistant runs). Configuration comes from
WIX_API_KEY, WIX_SITE_ID, WIX_ACCOUNT_ID, WIX_API_BASE_URL and WIX_API_TIMEOUT; add --demo to
use the built-in emulator instead of Wix.
"""


class _Parser(argparse.ArgumentParser):
    """Every mistake on the command line is one line with what to do, never a usage dump: it
    names the nearest right word when there is one, and the help of the command it is about."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: "--all" must never read as a prefix of "--allow-writes".
        super().__init__(*args, **kwargs, allow_abbrev=False)
        self.commands: dict[str, _Parser] = {}

    def error(self, message: str) -> NoReturn:
        helps = self.prog.replace(PROG, program(), 1)  # as this run was started
        sys.stderr.write(f"{self.prog}: {_sentence(message)} See '{helps} --help'.\n")
        raise SystemExit(2)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        choices = action.choices
        if choices is not None and value not in choices:
            names = [str(choice) for choice in choices]
            if action.metavar == "COMMAND":
                raise argparse.ArgumentError(
                    None,
                    f"{value!r} is not a command; the commands are {', '.join(names)}."
                    + _did_you_mean(value, names),
                )
            raise argparse.ArgumentError(
                action, f"{value!r} is not one of {', '.join(names)}.{_did_you_mean(value, names)}"
            )

    def parse_command_line(self, argv: Sequence[str] | None) -> argparse.Namespace:
        """parse_args, with a flag that is not known said by the parser it was given to: the
        command's, or the program's own when it came before the command."""
        words = list(sys.argv[1:] if argv is None else argv)
        args, extras = self.parse_known_args(words)
        if not extras:
            return args
        name = getattr(args, "command", "")
        command = self.commands.get(name, self)
        first = extras[0].partition("=")[0]
        # The program's own flags take no value, so the first word without a dash is the command.
        at = next((i for i, word in enumerate(words) if not word.startswith("-")), len(words))
        if command is not self and first in (word.partition("=")[0] for word in words[:at]):
            theirs = [flag for action in command._actions for flag in action.option_strings]
            if close := _closest(first, theirs):
                hint = f" Did you mean '{program()} {name} {close}', after the command?"
            else:
                hint = _did_you_mean(first, (f for a in self._actions for f in a.option_strings))
            self.error(f"{first} is not an option of {self.prog} itself.{hint}")
        known = [flag for action in command._actions for flag in action.option_strings]
        hint = _did_you_mean(first, known) if first.startswith("-") else ""
        command.error(f"{' '.join(extras)} is not an argument of this command.{hint}")


def _closest(word: str, known: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = _closest(word, known)
    return f" Did you mean {close}?" if close else ""


def _sentence(message: str) -> str:
    """argparse's words (or ours) as a sentence: a capital first, a full stop last."""
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?")) else message + "."


def _file_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("give the name of the file to write, e.g. rejected.csv")
    return text


class _Statuses(argparse.Action):
    """--status FAILED COMPLETED, --status failed,completed: one list of statuses."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        given = [values] if isinstance(values, str) else list(values or [])
        words = [part.strip().upper() for value in given for part in str(value).split(",")]
        if not any(words):
            raise argparse.ArgumentError(self, "give at least one status, e.g. FAILED")
        # --status FAILED --status COMPLETED asks for both, as one --status FAILED COMPLETED.
        earlier = getattr(namespace, self.dest, None)
        kept = [str(word) for word in cast("list[object]", earlier)] if earlier else []
        setattr(namespace, self.dest, kept + [word for word in words if word and word not in kept])


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"give a number from {low} to {high}, not {value}")
        return value

    return parse


PORT = _whole_number(0, 65535)  # 0: any free port
COMMANDS_HELP = {
    "serve": (
        "serve MCP (stdio by default; what an assistant runs)",
        "wix-data-mover-mcp serve --transport http --port 8000",
    ),
    "demo": ("a guided tour on demo data, no Wix account needed", "wix-data-mover-mcp demo"),
    "emulator": (
        "run the Data Mover emulator on loopback, for trying things by hand",
        "wix-data-mover-mcp emulator --port 8765",
    ),
    "doctor": ("check the settings and the access to Wix", "wix-data-mover-mcp doctor"),
    "setup": (
        "print (or write) the configuration for Claude Desktop, Claude Code, Cursor or VS Code",
        "wix-data-mover-mcp setup cursor --write",
    ),
    "sites": (
        "list the sites of the account (account mode: WIX_ACCOUNT_ID)",
        "wix-data-mover-mcp sites --name bakery",
    ),
    "job": ("show one job: status, progress, errors", "wix-data-mover-mcp job 0a3c5f2e-…"),
    "jobs": (
        "list recent jobs, newest first; or across every site of the account",
        "wix-data-mover-mcp jobs --all-sites --status FAILED --since 7d",
    ),
    "logs": (
        "why a job's items were rejected, grouped by error code",
        "wix-data-mover-mcp logs 0a3c5f2e-… --export rejected.csv",
    ),
    "schedules": (
        "the site's scheduled data syncs: cadence, last and next run, latest job",
        "wix-data-mover-mcp schedules",
    ),
    "retry": (
        "submit a finished job again (asks first on a terminal)",
        "wix-data-mover-mcp retry 0a3c5f2e-… --skip-existing",
    ),
    "watch": (
        "follow a job to its end with a progress bar",
        "wix-data-mover-mcp watch 0a3c5f2e-… --timeout 600",
    ),
}


def build_parser(runner: Callable[[str], Runner]) -> _Parser:
    """The parser; runner(name) gives what runs each command."""
    parser = _Parser(
        prog="wix-data-mover-mcp",
        description="MCP server for Wix Data Mover jobs: imports, exports and copies.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, default=False)
    _add_allow_terminate(parser, default=False)
    parser.set_defaults(
        run=runner("serve"),
        transport="stdio",
        host=None,
        port=None,
        allowed_host=[],
        metrics_port=None,
        metrics_host=None,
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, run: Callable[[argparse.Namespace], int], *, demo: bool = True) -> Any:
        text, example = COMMANDS_HELP[name]
        sub = commands.add_parser(
            name,
            help=text,
            description=text[0].upper() + text[1:] + ".",
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # SUPPRESS: a flag given before the command is not overwritten by the command's default.
        _add_common(sub, default=argparse.SUPPRESS, demo=demo)
        sub.set_defaults(run=run, command=name)
        parser.commands[name] = sub
        return sub

    serve = command("serve", runner("serve"))
    serve.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio: an assistant starts this command (the default); http: a shared server",
    )
    serve.add_argument("--host", help="HTTP address (default 127.0.0.1)")
    serve.add_argument("--port", type=PORT, help="HTTP port (default 8000)")
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="a Host header to accept behind a proxy or DNS name (repeatable)",
    )
    serve.add_argument(
        "--metrics-port",
        type=PORT,
        help="serve Prometheus metrics at /metrics on this port (or WIX_MCP_METRICS_PORT)",
    )
    serve.add_argument("--metrics-host", help="the metrics' address (default 127.0.0.1)")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="serve a non-loopback address without WIX_MCP_AUTH_TOKEN (not recommended)",
    )
    _add_allow_terminate(serve, default=argparse.SUPPRESS)

    command("demo", runner("demo"), demo=False)
    emulator = command("emulator", runner("emulator"), demo=False)
    emulator.add_argument("--port", type=PORT, default=8765, help="port (default 8765)")
    command("doctor", runner("doctor"))
    setup = command("setup", runner("setup"), demo=False)
    setup.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="configure the demo instead (the built-in emulator): no key or site needed",
    )
    setup.add_argument(
        "client",
        nargs="?",
        choices=["claude-desktop", "claude-code", "cursor", "vscode"],
        help="which client (all of them when left out)",
    )
    setup.add_argument(
        "--write",
        action="store_true",
        help="show the change to the client's file, then write only this server's entry",
    )
    setup.add_argument("--yes", action="store_true", help="with --write: do not ask first")

    sites = command("sites", runner("sites"))
    sites.add_argument("--name", help="text in the site's name")
    _add_json(sites)

    job = command("job", runner("job"))
    job.add_argument("job_id", metavar="ID", help="the job's id, a GUID")
    job.add_argument("--html", metavar="FILE", help="also write the job card, to open in a browser")
    _add_site(job)
    _add_json(job)

    jobs = command("jobs", runner("jobs"))
    jobs.add_argument(
        "--status",
        nargs="+",
        action=_Statuses,
        metavar="STATUS",
        help="e.g. FAILED IN_PROGRESS, or FAILED,IN_PROGRESS (any case)",
    )
    jobs.add_argument("--name", help="text in the job's name, collection or file name")
    jobs.add_argument(
        "--limit", type=_whole_number(1, 50), default=JOBS_PER_PAGE, help="jobs per page, 1 to 50"
    )
    _add_site(jobs)
    jobs.add_argument(
        "--all-sites", action="store_true", help="search every site of the account at once"
    )
    jobs.add_argument(
        "--since", metavar="SPAN", help="with --all-sites: submitted within, e.g. 24h or 7d"
    )
    _add_paging(jobs)
    _add_json(jobs)

    logs = command("logs", runner("logs"))
    logs.add_argument("job_id", metavar="ID", help="the job's id, a GUID")
    logs.add_argument(
        "--limit",
        type=_whole_number(1, 100),
        default=LOGS_PER_PAGE,
        help="logs per page, 1 to 100",
    )
    logs.add_argument(
        "--export",
        metavar="FILE",
        type=_file_name,
        help="write every rejected item (all pages) to a CSV file: item or row, code, "
        "description; a cell that a spreadsheet would run as a formula (starting with = + - @, "
        "a tab or a carriage return, after any spaces) gets a leading ' so it stays text, and "
        "control and invisible characters are left out",
    )
    _add_site(logs)
    _add_paging(logs)
    _add_json(logs)

    schedules = command("schedules", runner("schedules"))
    _add_site(schedules)
    _add_json(schedules)

    retry = command("retry", runner("retry"))
    retry.add_argument("job_id", metavar="ID", help="the finished job's id, a GUID")
    retry.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave items already in the destination collection alone",
    )
    retry.add_argument("--yes", action="store_true", help="do not ask first")
    retry.add_argument(
        "--dry-run",
        action="store_true",
        help="make every check and show what would be submitted, without submitting it",
    )
    _add_site(retry)
    _add_json(retry)

    watch = command("watch", runner("watch"))
    watch.add_argument("job_id", metavar="ID", help="the job's id, a GUID")
    _add_site(watch)
    watch.add_argument(
        "--timeout",
        type=_whole_number(1, 86_400),
        metavar="SECONDS",
        help=f"give up after this long (exit code {WATCH_TIMED_OUT})",
    )
    return parser


def _add_common(parser: argparse.ArgumentParser, *, default: Any, demo: bool = True) -> None:
    if demo:
        parser.add_argument(
            "--demo",
            action="store_true",
            default=default,
            help="use the built-in emulator and its demo jobs",
        )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log more on stderr"
    )


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the tool's structured result as JSON"
    )


def _add_site(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--site", metavar="NAME|ID", help="the site, in account mode (default: WIX_SITE_ID)"
    )


def _add_paging(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cursor", help="continue from the cursor a previous page printed")
    group.add_argument("--all", action="store_true", help="read every page")


def _add_allow_terminate(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--allow-terminate",
        action="store_true",
        default=default,
        help="offer terminate_data_movement_job",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        default=default,
        help="offer the tools that write: retry_data_movement_job and terminate_data_movement_job",
    )
