"""Command line: `wix-data-mover-mcp` serves MCP over stdio; subcommands are for people.

Imports are deferred to the command that needs them, so the stdio path starts quickly.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    from .config import Settings, SettingsError

log = logging.getLogger("wix_data_mover_mcp")

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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wix-data-mover-mcp",
        description="MCP server for Wix Data Mover jobs: imports, exports and copies.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, default=False)
    _add_allow_terminate(parser, default=False)
    parser.set_defaults(run=_serve, transport="stdio")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, text: str, run: Callable[[argparse.Namespace], int]) -> Any:
        sub = commands.add_parser(name, help=text)
        # SUPPRESS: a flag given before the command is not overwritten by the command's default.
        _add_common(sub, default=argparse.SUPPRESS)
        sub.set_defaults(run=run)
        return sub

    serve = command("serve", "serve MCP (stdio by default)", _serve)
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
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

    command("demo", "a guided tour on demo data, no Wix account needed", _demo)
    emulator = command("emulator", "run the Data Mover emulator on loopback", _emulator)
    emulator.add_argument("--port", type=int, default=8765)
    command("doctor", "check settings and access", _command("doctor"))

    job = command("job", "show one job", _command("job"))
    job.add_argument("job_id")
    job.add_argument("--json", action="store_true", help="print the raw job")

    jobs = command("jobs", "list recent jobs", _command("jobs"))
    jobs.add_argument("--status", nargs="+", metavar="STATUS", help="e.g. FAILED IN_PROGRESS")
    jobs.add_argument("--name", help="text in the job's name, collection or file name")
    jobs.add_argument("--limit", type=int, default=10)
    jobs.add_argument("--json", action="store_true", help="print the raw jobs")

    logs = command("logs", "why a job's items were rejected", _command("logs"))
    logs.add_argument("job_id")
    logs.add_argument("--limit", type=int, default=50)
    logs.add_argument("--json", action="store_true", help="print the raw logs")

    watch = command("watch", "follow a job to its end", _command("watch"))
    watch.add_argument("job_id")
    return parser


def _add_common(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--demo",
        action="store_true",
        default=default,
        help="use the built-in emulator and its demo jobs",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log more on stderr"
    )


def _add_allow_terminate(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--allow-terminate",
        action="store_true",
        default=default,
        help="offer terminate_data_movement_job",
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
    from .app import build_server

    with _settings_source(args) as settings:
        if isinstance(settings, Exception) or not args.allow_terminate:
            server_settings = settings
        else:
            server_settings = settings.model_copy(update={"allow_terminate": True})
        server = build_server(server_settings, demo=args.demo)
        if args.transport == "http":
            from .http_transport import serve_http

            return serve_http(
                server,
                host=args.host,
                port=args.port,
                allowed_hosts=args.allowed_host,
                insecure_no_auth=args.insecure_no_auth,
            )
        from .stdio_limit import bound_stdin

        bound_stdin()
        if sys.stdin.isatty():
            log.warning(
                "Serving MCP over stdio: an assistant starts this command and talks to it. "
                "To look around yourself, try 'wix-data-mover-mcp demo'. Ctrl-C stops."
            )
        server.run()
    return 0


def _settings_source(args: argparse.Namespace) -> AbstractContextManager[Settings | SettingsError]:
    from .demo import demo_or_real_settings

    return demo_or_real_settings(demo=args.demo, real=_settings_or_problem)


def _settings_or_problem() -> Settings | SettingsError:
    """Bad settings do not stop the server: tool calls report them to the assistant."""
    from .config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        log.error("%s Tool calls will report this until it is fixed.", exc)
        return exc


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_tour

    return run_tour()


def _emulator(args: argparse.Namespace) -> int:
    from .emulator import DEMO_API_KEY, DEMO_SITE_ID, Emulator

    emulator = Emulator(port=args.port)
    print(f"Data Mover emulator on {emulator.url} (Ctrl-C to stop). Point the server at it with:")
    print(
        f"  WIX_API_BASE_URL={emulator.url} WIX_API_KEY={DEMO_API_KEY} WIX_SITE_ID={DEMO_SITE_ID}"
    )
    emulator.serve_forever()
    return 0


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from . import commands

        return commands.run(name, args)

    return run
