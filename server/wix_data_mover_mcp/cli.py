"""Command line: `wix-data-mover-mcp` serves MCP over stdio; subcommands are for people."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .config import Settings, SettingsError

log = logging.getLogger("wix_data_mover_mcp")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _configure_logging(getattr(args, "verbose", False))
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wix-data-mover-mcp",
        description="MCP server for Wix Data Mover jobs. With no command, serves MCP over stdio.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser)
    parser.set_defaults(run=_serve)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve MCP over stdio (the default)")
    _add_common(serve)
    serve.set_defaults(run=_serve)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more on stderr"
    )


def _configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep stderr for what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _serve(args: argparse.Namespace) -> int:
    from .app import build_server

    build_server(_settings_or_problem()).run()
    return 0


def _settings_or_problem() -> Settings | SettingsError:
    """Bad settings do not stop the server: tool calls report them to the assistant."""
    from .config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        log.error("%s Tool calls will report this until it is fixed.", exc)
        return exc
