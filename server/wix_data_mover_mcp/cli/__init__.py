"""The command line: `wix-data-mover-mcp` serves MCP over stdio; its subcommands are for
people."""

from .main import main

__all__ = ["main"]
