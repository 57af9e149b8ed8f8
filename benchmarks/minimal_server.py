"""The SDK's floor for cold start: a minimal MCPServer with one trivial tool, over stdio."""

from mcp.server import MCPServer

server = MCPServer("minimal", version="1")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    server.run()
