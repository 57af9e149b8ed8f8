"""Command line: `wix-data-mover-mcp` serves MCP over stdio; subcommands are for people.

Imports are deferred to the command that needs them, so the stdio path starts quickly. The
commands and their arguments are in parser.py; this module runs them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .parser import Runner, build_parser
from .wording import program

if TYPE_CHECKING:
    from ..config import Settings, SettingsError
    from ..serve.auth import OAuthSettings
    from ..tools.access import SiteAccess

log = logging.getLogger("wix_data_mover_mcp")


INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(_runner).parse_command_line(argv)
    _configure_logging(verbose=args.verbose)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        if getattr(args, "command", None) == "retry" and not getattr(args, "dry_run", False):
            sys.stderr.write(
                "Stopped. The retry may already have been sent to Wix: look for it with "
                f"'{program()} jobs --name \"(retry)\"' before running the retry again.\n"
            )
        return INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and nowhere to say it; what
        # is still buffered goes nowhere rather than failing again at exit.
        with contextlib.suppress(OSError, ValueError, AttributeError):  # no file behind it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _runner(name: str) -> Runner:
    """What runs a command: serve, demo, emulator and setup are here; the rest, commands.py."""
    own: dict[str, Runner] = {
        "serve": _serve,
        "demo": _demo,
        "emulator": _emulator,
        "setup": _setup,
    }
    return own.get(name) or _command(name)


def _configure_logging(*, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    from ..wix.scrub import SecretsFilter

    for handler in logging.getLogger().handlers:
        handler.addFilter(SecretsFilter())  # the key, whole or in part, never reaches a log
    # httpx logs every request URL at INFO; keep stderr for what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _serve(args: argparse.Namespace) -> int:
    from ..serve.app import build_server
    from ..serve.auth import OAuthConfigError, configure_audit, load_oauth_settings
    from ..serve.server import FATAL_EXIT_STATUS
    from ..serve.telemetry import configure_tracing
    from ..tools.access import PolicyError

    if args.transport == "stdio" and (
        args.host or args.port or args.allowed_host or args.metrics_port or args.metrics_host
    ):
        sys.stderr.write(
            "wix-data-mover-mcp serve: --host, --port, --allowed-host and --metrics-* apply "
            "only with --transport http.\n"
        )
        return 2
    try:
        metrics_at = metrics_address(args, os.environ)
    except ValueError as exc:
        sys.stderr.write(f"wix-data-mover-mcp serve: {exc}\n")
        return 2
    with _settings_source(args) as settings:
        if isinstance(settings, Exception):
            server_settings = settings
        else:
            allowed = {"allow_terminate": args.allow_terminate, "allow_writes": args.allow_writes}
            server_settings = settings.model_copy(update={k: True for k, v in allowed.items() if v})
        try:
            oauth = load_oauth_settings() if args.transport == "http" else None
            site_access = load_site_access(args.transport, oauth, server_settings, os.environ)
            keep, audit_file = audit_trail(args.transport, os.environ)
            if keep:
                configure_audit(audit_file)
            configure_tracing()
        except (OAuthConfigError, PolicyError) as exc:
            sys.stderr.write(f"wix-data-mover-mcp serve: {exc}\n")
            return 2
        except OSError as exc:
            sys.stderr.write(
                f"wix-data-mover-mcp serve: Cannot write the audit log WIX_MCP_AUDIT_LOG "
                f"({exc.strerror}); give a writable file, or unset it for stderr.\n"
            )
            return 2
        metrics = None
        if metrics_at is not None:
            from ..serve.metrics import Metrics

            metrics = Metrics()
        server = build_server(
            server_settings,
            demo=args.demo,
            oauth=oauth,
            site_access=site_access,
            metrics=metrics,
        )
        if args.transport == "http":
            from ..serve.http_app import serve_http

            return serve_http(
                server,
                host=args.host or "127.0.0.1",
                port=args.port or 8000,
                allowed_hosts=args.allowed_host,
                insecure_no_auth=args.insecure_no_auth,
                oauth=oauth,
                metrics_at=metrics_at,
            )
        from ..serve.stdio import bound_stdin, stop_on_ctrl_c

        interactive = sys.stdin.isatty()
        stdin = bound_stdin()
        stop_on_ctrl_c(stdin)
        if interactive:
            log.warning(
                "Serving MCP over stdio: an assistant starts this command and talks to it. "
                f"To look around yourself, try '{program()} demo'. Ctrl-C stops."
            )
        try:
            server.run()
        except Exception:
            if server.fatal is None:
                raise
            return FATAL_EXIT_STATUS  # the server logged why as it stopped
    return INTERRUPTED if stdin.stopped else 0


def metrics_address(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[str, int] | None:
    """Where to serve /metrics over HTTP: --metrics-port or WIX_MCP_METRICS_PORT, on
    --metrics-host (default 127.0.0.1); None when neither is set, or when serving stdio."""
    port = args.metrics_port
    given = env.get("WIX_MCP_METRICS_PORT", "").strip()
    if port is None and given and args.transport == "http":
        if not given.isdigit() or not 0 < int(given) <= 65535:
            raise ValueError(
                f"WIX_MCP_METRICS_PORT must be a port number from 1 to 65535, not {given[:20]!r}."
            )
        port = int(given)
    if port is None:
        if args.metrics_host:
            raise ValueError("--metrics-host goes with --metrics-port (or WIX_MCP_METRICS_PORT).")
        return None
    return args.metrics_host or "127.0.0.1", port


def load_site_access(
    transport: str,
    oauth: OAuthSettings | None,
    settings: Settings | SettingsError,
    env: Mapping[str, str],
) -> SiteAccess | None:
    """WIX_MCP_SITE_ACCESS, read and checked (every site it names by name exists), or None when
    it is not set; a PolicyError says what is wrong. Only an HTTP server with OAuth knows who
    calls, so it is refused anywhere else."""
    import anyio

    from ..config import Settings
    from ..errors import WixApiError
    from ..tools.access import PolicyError, SiteAccess, SitePolicy

    path = env.get("WIX_MCP_SITE_ACCESS", "").strip()
    if not path:
        return None
    if transport != "http" or oauth is None:
        raise PolicyError(
            "WIX_MCP_SITE_ACCESS needs --transport http with OAuth (WIX_MCP_OAUTH_ISSUER): "
            "only then does each caller carry the claims its grants are matched against."
        )
    policy = SitePolicy.load(path)
    if isinstance(settings, Settings):
        from .doctor import site_names_problem

        try:
            problem = anyio.run(site_names_problem, settings, policy)
        except WixApiError as exc:  # checked again on each reload; unknown names match nothing
            log.warning("The site names in WIX_MCP_SITE_ACCESS could not be checked: %s", exc)
            problem = None
        if problem:
            raise PolicyError(problem)
    return SiteAccess(path, policy)


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
    from ..emulator.seed import DEMO_ACCOUNT_ID
    from ..serve.http_server import PortUnavailable

    try:
        emulator = Emulator(port=args.port)
    except PortUnavailable as exc:
        sys.stderr.write(f"wix-data-mover-mcp emulator: {exc}\n")
        return 1
    print(
        f"Data Mover emulator on {emulator.url} (Ctrl-C to stop). Point the server or the "
        "commands at it with:",
        f"  WIX_API_BASE_URL={emulator.url} WIX_API_KEY={DEMO_API_KEY} WIX_SITE_ID={DEMO_SITE_ID}",
        f"and, for every site of the demo account (account mode): WIX_ACCOUNT_ID={DEMO_ACCOUNT_ID}",
        "Jobs you submit and export links last as long as it runs.",
        sep="\n",
        flush=True,
    )
    emulator.serve_forever()
    return 0


def _setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import setup

    demo = bool(getattr(args, "demo", False))
    if args.write and not args.client:
        sys.stderr.write(
            "wix-data-mover-mcp setup: Name the client to --write, e.g. "
            f"'{program()} setup cursor --write'.\n"
        )
        return 2
    if not args.write:
        names = setup.clients(Path.home(), Path.cwd())
        shown: list[str] = []
        for client in [args.client] if args.client else names:
            if not args.client:
                print(f"\n{names[client].title}:")
            shown.append(setup.snippet(client, demo=demo))
            print(shown[-1])
        where = names[args.client] if args.client else None
        if where is not None and where.path is not None:
            again = f"{program()} setup {args.client}{' --demo' if demo else ''} --write"
            print(
                f"It goes under \"{where.section}\" in {where.path}; or run '{again}' to add "
                "it there, keeping what the file already has.",
                file=sys.stderr,
            )
        for line in setup.hints(args.client, demo=demo, text="\n".join(shown)):
            print(line, file=sys.stderr)
        return 0
    if setup.clients(Path.home(), Path.cwd())[args.client].path is None:
        sys.stderr.write(
            "wix-data-mover-mcp setup: Claude Code is configured with a command: run "
            f"'{program()} setup claude-code' and then the command it prints.\n"
        )
        return 2
    try:
        path, before, after = setup.plan_write(args.client, Path.home(), Path.cwd(), demo=demo)
    except setup.SetupError as exc:
        sys.stderr.write(f"wix-data-mover-mcp setup: {exc}\n")
        return 1
    if before == after:
        print(f"{path} already has this server; nothing to change.")
        return 0
    print(setup.diff(path, before, after))
    if not args.yes:
        if not sys.stdin.isatty():
            sys.stderr.write("wix-data-mover-mcp setup: Add --yes to write without asking.\n")
            return 2
        if input(f"Write {path}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing written.")
            return 1
    setup.write(path, after)
    print(f"Wrote {path}.")
    for line in setup.hints(args.client, demo=demo, text=after):
        print(line, file=sys.stderr)
    return 0


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from . import commands

        return commands.run(name, args)

    return run
