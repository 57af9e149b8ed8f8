"""The floor for the same work: a one-tool MCPServer that GETs a job from the emulator with
httpx and returns Wix's JSON, and nothing else (no checks, no summary, no retries).

    python floor_server.py               # stdio
    python floor_server.py http PORT     # stateless streamable HTTP on 127.0.0.1:PORT
"""

import logging
import os
import sys
from typing import Any

import httpx
from mcp.server import MCPServer

logging.getLogger("httpx").setLevel(logging.WARNING)
server = MCPServer("floor", version="1")
http = httpx.AsyncClient(
    base_url=os.environ["WIX_API_BASE_URL"],
    headers={
        "authorization": os.environ["WIX_API_KEY"],
        "wix-site-id": os.environ["WIX_SITE_ID"],
    },
)


@server.tool()
async def get_data_movement_job(job_id: str) -> dict[str, Any]:
    """Fetch one job."""
    return (await http.get(f"/data-mover/v1/jobs/{job_id}")).json()


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run(
            transport="streamable-http",
            host="127.0.0.1",
            port=int(sys.argv[2]),
            stateless_http=True,
        )
    else:
        server.run()
