"""Command line: `wix-data-mover-mcp` serves MCP over stdio; subcommands are for people.

Imports are deferred to the command that needs them, so the stdio path starts quickly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NoReturn

from .. import __version__

if TYPE_CHECKING:
    from ..config import Settings, SettingsError

log = logging.getLogger("wix_data_mover_mcp")
WATCH_TIMED_OUT = 3

EPILOG = """\
With no command, serves MCP over stdio (what an assistant runs). Configuration comes from
WIX_API_KEY, WIX_SITE_ID, WIX_ACCOUNT_ID, WIX_API_BASE_URL and WIX_API_TIMEOUT; add --demo to
use the built-in emulator instead of Wix.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(verbose=args.verbose)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


class _Parser(argparse.ArgumentParser):
    """Every mistake on the command line is one line with what to do, never a usage dump."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No abbreviations: "--all" must never read as a prefix of "--allow-writes".
        super().__init__(*args, **kwargs, allow_abbrev=False)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message}; see '{self.prog} --help'.\n")
        raise SystemExit(2)


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wix-data-mover-mcp",
        description="MCP server for Wix Data Mover jobs: imports, exports and copies.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, default=False)
    _add_allow_terminate(parser, default=False)
    parser.set_defaults(run=_serve, transport="stdio", host=None, port=None, allowed_host=[])
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
        sub.set_defaults(run=run)
        return sub

    serve = command("serve", _serve)
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
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
        "--insecure-no-auth",
        action="store_true",
        help="serve a non-loopback address without WIX_MCP_AUTH_TOKEN (not recommended)",
    )
    _add_allow_terminate(serve, default=argparse.SUPPRESS)

    command("demo", _demo, demo=False)
    emulator = command("emulator", _emulator, demo=False)
    emulator.add_argument("--port", type=PORT, default=8765, help="port (default 8765)")
    command("doctor", _command("doctor"))
    setup = command("setup", _setup, demo=False)
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

    sites = command("sites", _command("sites"))
    sites.add_argument("--name", help="text in the site's name")
    _add_json(sites)

    job = command("job", _command("job"))
    job.add_argument("job_id", help="the job's id, a GUID")
    job.add_argument("--html", metavar="FILE", help="also write the job card, to open in a browser")
    _add_site(job)
    _add_json(job)

    jobs = command("jobs", _command("jobs"))
    jobs.add_argument("--status", nargs="+", metavar="STATUS", help="e.g. FAILED IN_PROGRESS")
    jobs.add_argument("--name", help="text in the job's name, collection or file name")
    jobs.add_argument(
        "--limit", type=_whole_number(1, 50), default=10, help="jobs per page, 1 to 50"
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

    logs = command("logs", _command("logs"))
    logs.add_argument("job_id", help="the job's id, a GUID")
    logs.add_argument(
        "--limit", type=_whole_number(1, 100), default=50, help="logs per page, 1 to 100"
    )
    logs.add_argument(
        "--export",
        metavar="FILE",
        help="write every rejected item (all pages) to a CSV file: item or row, code, description",
    )
    _add_site(logs)
    _add_paging(logs)
    _add_json(logs)

    schedules = command("schedules", _command("schedules"))
    _add_site(schedules)
    _add_json(schedules)

    retry = command("retry", _command("retry"))
    retry.add_argument("job_id", help="the finished job's id, a GUID")
    retry.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave items already in the destination collection alone",
    )
    retry.add_argument("--yes", action="store_true", help="do not ask first")
    _add_site(retry)
    _add_json(retry)

    watch = command("watch", _command("watch"))
    watch.add_argument("job_id", help="the job's id, a GUID")
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
        help="offer the tools that write: retry_data_movement_job and terminate",
    )


def _configure_logging(*, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    # httpx logs every request URL at INFO; keep stderr for what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _serve(args: argparse.Namespace) -> int:
    from ..serve.app import FATAL_EXIT_STATUS, build_server
    from ..serve.auth import OAuthConfigError, configure_audit, load_oauth_settings
    from ..serve.telemetry import configure_tracing

    if args.transport == "stdio" and (args.host or args.port or args.allowed_host):
        sys.stderr.write(
            "wix-data-mover-mcp serve: --host, --port and --allowed-host apply only with "
            "--transport http.\n"
        )
        return 2
    with _settings_source(args) as settings:
        if isinstance(settings, Exception):
            server_settings = settings
        else:
            allowed = {"allow_terminate": args.allow_terminate, "allow_writes": args.allow_writes}
            server_settings = settings.model_copy(update={k: True for k, v in allowed.items() if v})
        try:
            oauth = load_oauth_settings() if args.transport == "http" else None
            keep, audit_file = audit_trail(args.transport, os.environ)
            if keep:
                configure_audit(audit_file)
            configure_tracing()
        except OAuthConfigError as exc:
            sys.stderr.write(f"wix-data-mover-mcp serve: {exc}\n")
            return 2
        except OSError as exc:
            sys.stderr.write(
                f"wix-data-mover-mcp serve: cannot write the audit log WIX_MCP_AUDIT_LOG "
                f"({exc.strerror}); give a writable file, or unset it for stderr.\n"
            )
            return 2
        server = build_server(server_settings, demo=args.demo, oauth=oauth)
        if args.transport == "http":
            from ..serve.http_app import serve_http

            return serve_http(
                server,
                host=args.host or "127.0.0.1",
                port=args.port or 8000,
                allowed_hosts=args.allowed_host,
                insecure_no_auth=args.insecure_no_auth,
                oauth=oauth,
            )
        from ..serve.stdio import bound_stdin

        interactive = sys.stdin.isatty()
        bound_stdin()
        if interactive:
            log.warning(
                "Serving MCP over stdio: an assistant starts this command and talks to it. "
                "To look around yourself, try 'wix-data-mover-mcp demo'. Ctrl-C stops."
            )
        try:
            server.run()
        except Exception:
            if server.fatal is None:
                raise
            return FATAL_EXIT_STATUS  # the server logged why as it stopped
    return 0


def audit_trail(transport: str, env: Mapping[str, str]) -> tuple[bool, str | None]:
    """Whether to keep an audit trail, and the file for it (None: stderr). A shared HTTP server
    always keeps one; a personal stdio server only when WIX_MCP_AUDIT_LOG names a file."""
    audit_file = env.get("WIX_MCP_AUDIT_LOG", "").strip() or None
    return transport == "http" or audit_file is not None, audit_file


def _settings_source(args: argparse.Namespace) -> AbstractContextManager[Settings | SettingsError]:
    from .demo import demo_or_real_settings

    return demo_or_real_settings(demo=args.demo, real=_settings_or_problem)


def _settings_or_problem() -> Settings | SettingsError:
    """Bad settings do not stop the server: tool calls report them to the assistant."""
    from ..config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        log.error("%s Tool calls will report this until it is fixed.", exc)
        return exc


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_tour

    return run_tour()


def _emulator(args: argparse.Namespace) -> int:
    from ..emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator
    from ..serve.http_server import PortUnavailable

    try:
        emulator = Emulator(port=args.port)
    except PortUnavailable as exc:
        sys.stderr.write(f"wix-data-mover-mcp emulator: {exc}\n")
        return 1
    print(f"Data Mover emulator on {emulator.url} (Ctrl-C to stop). Point the server at it with:")
    print(
        f"  WIX_API_BASE_URL={emulator.url} WIX_API_KEY={DEMO_API_KEY} WIX_SITE_ID={DEMO_SITE_ID}"
    )
    emulator.serve_forever()
    return 0


def _setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import setup

    if args.write and not args.client:
        sys.stderr.write("wix-data-mover-mcp setup: name the client to --write, e.g. cursor.\n")
        return 2
    if not args.write:
        names = setup.clients(Path.home(), Path.cwd())
        for client in [args.client] if args.client else names:
            if not args.client:
                print(f"\n{names[client].title}:")
            print(setup.snippet(client))
        print(f"\nReplace {setup.KEY_PLACEHOLDER!r} with the key, then restart the client.")
        return 0
    try:
        path, before, after = setup.plan_write(args.client, Path.home(), Path.cwd())
    except setup.SetupError as exc:
        sys.stderr.write(f"wix-data-mover-mcp setup: {exc}\n")
        return 1
    if before == after:
        print(f"{path} already has this server; nothing to change.")
        return 0
    print(setup.diff(path, before, after))
    if not args.yes:
        if not sys.stdin.isatty():
            sys.stderr.write("wix-data-mover-mcp setup: add --yes to write without asking.\n")
            return 1
        if input(f"Write {path}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing written.")
            return 1
    setup.write(path, after)
    print(f"Wrote {path}. Replace {setup.KEY_PLACEHOLDER!r} with the key, then restart the client.")
    return 0


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from . import commands

        return commands.run(name, args)

    return run
