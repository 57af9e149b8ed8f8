"""The floor for the same work: a one-tool MCPServer that GETs a job from the emulator with
httpx, with no checks, no parsing into models, no summary logic and no retries.

    python floor_server.py                          # stdio
    python floor_server.py http PORT                # stateless streamable HTTP on 127.0.0.1:PORT
    python floor_server.py --same-shape [http PORT] # the same, answering in our result's shape

Bare, its tool returns Wix's JSON as it came. With `--same-shape` it answers in the shape
this server does, so the two pay the same SDK and client costs per call: a one-sentence
summary as the first text block, the job as compact JSON in a second one, and structured
content that the SDK validates against the server's own output model (JobResult). What stays
the server's alone is the work a floor leaves out: the checks, the supervised request, the rate
budget, the bounded and scrubbed body, the reading of the job into models and the summary's
words.
"""

import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import httpx
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent

logging.getLogger("httpx").setLevel(logging.WARNING)
args = sys.argv[1:]
same_shape = "--same-shape" in args
args = [arg for arg in args if arg != "--same-shape"]
server = MCPServer("floor", version="1")
http = httpx.AsyncClient(
    base_url=os.environ["WIX_API_BASE_URL"],
    headers={
        "authorization": os.environ["WIX_API_KEY"],
        "wix-site-id": os.environ["WIX_SITE_ID"],
    },
)


async def bare(job_id: str) -> dict[str, Any]:
    """Fetch one job."""
    return (await http.get(f"/data-mover/v1/jobs/{job_id}")).json()


def shaped() -> Callable[[str], Awaitable[CallToolResult]]:
    """The tool in the server's shape, with the server's own output model, so the schema is
    the same by construction. Loaded only in this mode: the bare floor, which is also the
    cold-start reference, imports nothing of the project."""
    from wix_data_mover_mcp.tools.results import JobResult

    async def get_data_movement_job(job_id: str) -> Annotated[CallToolResult, JobResult]:
        """Fetch one job."""
        job: dict[str, Any] = (await http.get(f"/data-mover/v1/jobs/{job_id}")).json()["job"]
        status = job.get("status")
        progress = job.get("progress") or {}
        done, total = progress.get("current"), progress.get("total")
        result = JobResult(
            summary=f'Job "{job.get("name")}" ({job_id}) is {status}: {done} of {total} items.',
            status=status,
            finished=status in ("COMPLETED", "FAILED", "PARTIALLY_SUCCESSFUL"),
            percent_complete=round(100 * done / total) if done is not None and total else None,
            job=job,
        )
        raw = json.dumps(job, ensure_ascii=False, separators=(",", ":"))
        return CallToolResult(
            content=[
                TextContent(type="text", text=result.summary),
                TextContent(type="text", text=raw),
            ],
            structured_content=result.model_dump(mode="json"),
        )

    return get_data_movement_job


server.tool(name="get_data_movement_job")(shaped() if same_shape else bare)

if __name__ == "__main__":
    if args[:1] == ["http"]:
        server.run(
            transport="streamable-http",
            host="127.0.0.1",
            port=int(args[1]),
            stateless_http=True,
        )
    else:
        server.run()
