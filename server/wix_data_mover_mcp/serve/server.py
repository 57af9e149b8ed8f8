"""The SDK's MCP server as this one needs it (WixDataMoverServer): arguments that fail the schema
said in one sentence, any crash an incident with an id, writing tools shown only to a token that
may write, an audit line per tool call, and whether it can serve at all."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ToolError,
    UnexpectedResourceError,
    UnexpectedToolError,
)
from mcp.types import (
    INTERNAL_ERROR,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    ToolAnnotations,
)
from mcp.types import Tool as MCPTool
from pydantic import AnyUrl, ValidationError

from ..errors import incident
from ..tools.outcome import Noted, Refused, noting
from ..tools.state import AppState
from ..words.arguments import describe_arguments
from ..words.writes import unreadable_answer
from .auth import WRITE_SCOPE, audit_on, audit_record, may_write, write_audit

log = logging.getLogger(__name__)

HEALTH_PROBE_SECONDS = 1.0
FATAL_EXIT_STATUS = 70  # EX_SOFTWARE: the server cannot go on; its supervisor should restart it


class CallMetrics(Protocol):
    """What the server tells the metrics (serve/metrics.py) of each call."""

    def tool_call(self, tool: str, outcome: str, refusal: str | None = None) -> None: ...

    def refused(self, reason: str) -> None: ...


class WixDataMoverServer(MCPServer[AppState]):
    """The SDK's server, with arguments that fail the schema said in one sentence instead of a
    validation dump (still a tool error the model can correct), writing tools shown only to a
    token that may write, and an audit line per tool call.

    It also knows whether it can serve: `live` holds the state of each running lifespan, and
    `fatal` what ended one for good; `on_fatal` is how the transport is told to stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: list[AppState] = []
        self.fatal: BaseException | None = None
        self.on_fatal: Callable[[BaseException], None] | None = None
        # Why this server cannot be one of several behind a load balancer, if it cannot.
        self.shared_state_problem: str | None = None
        self.metrics: CallMetrics | None = None  # WIX_MCP_METRICS_PORT

    def writing_tools(self) -> set[str]:
        return {t.name for t in self._tool_manager.list_tools() if writes(t.annotations)}

    async def list_tools(self) -> list[MCPTool]:
        tools = await super().list_tools()
        if may_write(get_access_token()):
            return tools
        return [tool for tool in tools if not writes(tool.annotations)]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        token = get_access_token()
        started = time.monotonic()
        outcome = "error"
        noted = noting()
        try:
            tool = self._tool_manager.get_tool(name)
            if tool is not None and writes(tool.annotations) and not may_write(token):
                message = f"{name} needs the {WRITE_SCOPE} scope, which this token lacks."
                raise Refused(message, reason="insufficient_scope")
            result = await super().call_tool(name, arguments, context)
            outcome = call_outcome(result, noted)
            return result
        except UnexpectedToolError as exc:
            outcome = "incident"
            raise ToolError(str(incident(exc.__cause__ or exc, f"running {name}"))) from None
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                outcome = "invalid_arguments"
                raise ToolError(describe_arguments(name, exc.__cause__)) from exc.__cause__
            if isinstance(exc.__cause__, ToolError) and str(exc.__cause__).startswith("Resolver "):
                # The SDK's words for a client's answer that fails the question's schema name
                # our resolver; what the model needs is that nothing was done, and what next.
                raise ToolError(f"Error executing tool {name}: {unreadable_answer(name)}") from exc
            outcome = "refused" if refusal(noted) else outcome
            raise
        finally:
            reason = refusal(noted)
            if self.metrics is not None:
                self.metrics.tool_call(name, outcome, reason)
            if audit_on():  # the record is built only when someone keeps it
                seconds = time.monotonic() - started
                write_audit(
                    audit_record(
                        tool=name,
                        arguments=arguments,
                        token=token,
                        outcome=outcome,
                        seconds=seconds,
                        reason=reason,
                    )
                )

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[AppState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        started, noted = time.monotonic(), noting()
        try:
            return await super().read_resource(uri, context)
        except UnexpectedResourceError as exc:
            raise ResourceError(str(incident(exc.__cause__ or exc, "reading a resource"))) from None
        finally:
            if (reason := refusal(noted)) is not None:
                self._refused_read(reason, time.monotonic() - started)

    def _refused_read(self, reason: str, seconds: float) -> None:
        """A read of the job resource refused by site access: counted, and audited."""
        if self.metrics is not None:
            self.metrics.refused(reason)
        if audit_on():
            token = get_access_token()
            record = audit_record(
                tool="resources/read",
                arguments={},
                token=token,
                outcome="refused",
                seconds=seconds,
                reason=reason,
            )
            write_audit(record | {"event": "resource_read"})

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Any = None
    ) -> GetPromptResult | InputRequiredResult:
        try:
            return await super().get_prompt(name, arguments, context)
        except ValueError as exc:
            if exc.__cause__ is None or isinstance(exc.__cause__, ValueError):
                raise  # an unknown prompt, or a bad argument: already a sentence
            sentence = str(incident(exc.__cause__, f"rendering the prompt {name}"))
            raise MCPError(code=INTERNAL_ERROR, message=sentence) from None

    async def health(self) -> str | None:
        """Why calls cannot be served right now, or None when they can: work is run through the
        task group that runs every caller's requests, within HEALTH_PROBE_SECONDS."""
        if self.fatal is not None:
            return "the server's task group stopped; the server is exiting"
        if not self.live:
            return "the server is not running: it has not started or has stopped"
        for state in self.live:
            if (problem := settings_problem(state)) is not None:
                return problem
            if (trouble := state.trouble()) is not None:
                return trouble
            if not await state.responsive(within=HEALTH_PROBE_SECONDS):
                return "the server's task group does not run new work"
        return None

    def died(self, exc: BaseException) -> None:
        """The task group that runs callers' requests ended with an error: no call can be served
        any more, so say why and stop, for a supervisor to restart the process."""
        self.fatal = exc
        log.critical(
            "The server's task group stopped, so no call can be served; exiting (status %d) "
            "for a supervisor to restart it.",
            FATAL_EXIT_STATUS,
            exc_info=exc,
        )
        if self.on_fatal is not None:
            self.on_fatal(exc)


def settings_problem(state: AppState) -> str | None:
    """Why this server's settings cannot reach Wix, so that every call would fail: in the words
    the calls would use, which name variables, never their values."""
    if state.problem is not None:
        return f"the settings cannot reach Wix: {state.problem}"
    if not state.account and state.default_site is None:
        return (
            "the settings cannot reach Wix: WIX_SITE_ID is not set (nor WIX_ACCOUNT_ID), so Wix "
            "cannot tell which site a call is for. Set it to the GUID after /dashboard/ in the "
            "site's dashboard URL."
        )
    return None


def call_outcome(result: CallToolResult | InputRequiredResult, noted: list[Noted]) -> str:
    """How a call that returned ended: 'error', 'input_required' (a question went back to the
    client), what a writing tool noted ('dry_run', 'declined'), or 'ok'."""
    if isinstance(result, InputRequiredResult):
        return "input_required"
    if refusal(noted) is not None:
        return "refused"
    if result.is_error:
        return "error"
    return noted[-1].outcome if noted else "ok"


def refusal(noted: list[Noted]) -> str | None:
    """Why the call was refused, if it was."""
    return next((n.reason for n in noted if n.outcome == "refused"), None)


def writes(annotations: ToolAnnotations | None) -> bool:
    """A tool that is not marked read-only changes something at Wix."""
    return not (annotations is not None and annotations.read_only_hint)
