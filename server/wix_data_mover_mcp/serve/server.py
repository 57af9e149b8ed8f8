"""The SDK's MCP server as this one needs it (WixDataMoverServer): arguments that fail the schema
said in one sentence, writing tools shown only to a token that may write, and an audit line per
tool call."""

from __future__ import annotations

import time
from typing import Any

from mcp.server import MCPServer
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from ..tools.state import AppState
from ..words.arguments import describe_arguments
from .auth import WRITE_SCOPE, audit_on, audit_record, may_write, write_audit


class WixDataMoverServer(MCPServer[AppState]):
    """The SDK's server, with arguments that fail the schema said in one sentence instead of a
    validation dump (still a tool error the model can correct), writing tools shown only to a
    token that may write, and an audit line per tool call."""

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
        try:
            tool = self._tool_manager.get_tool(name)
            if tool is not None and writes(tool.annotations) and not may_write(token):
                raise ToolError(f"{name} needs the {WRITE_SCOPE} scope, which this token lacks.")
            result = await super().call_tool(name, arguments, context)
            outcome = "error" if isinstance(result, CallToolResult) and result.is_error else "ok"
            return result
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                outcome = "invalid_arguments"
                raise ToolError(describe_arguments(name, exc.__cause__)) from exc.__cause__
            raise
        finally:
            if audit_on():  # the record is built only when someone keeps it
                seconds = time.monotonic() - started
                write_audit(
                    audit_record(
                        tool=name,
                        arguments=arguments,
                        token=token,
                        outcome=outcome,
                        seconds=seconds,
                    )
                )


def writes(annotations: ToolAnnotations | None) -> bool:
    """A tool that is not marked read-only changes something at Wix."""
    return not (annotations is not None and annotations.read_only_hint)
