"""The floor for the same work: a one-tool MCPServer that GETs a job from the emulator with
httpx, with no checks, no parsing into models, no summary logic and no retries.

    python floor_server.py                          # stdio
    python floor_server.py http PORT                # stateless streamable HTTP on 127.0.0.1:PORT
    python floor_server.py --same-shape [http PORT] # the same, answering in our result's shape

Bare, its tool returns Wix's JSON as it came. With `--same-shape` it answers in the shape
this server does, so the two pay the same SDK and client costs per call: a one-sentence
summary as the first text block, the job as compact JSON in a second one, and structured
content that the SDK validates against an output schema with the same fields and descriptions
as the server's JobResult. What stays ours alone is the work a floor leaves out: the checks,
the reading of the job into models and the summary's words.
"""

import json
import logging
import os
import sys
from typing import Annotated, Any

import httpx
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict, Field

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


def _without_titles(schema: dict[str, Any]) -> None:
    for field in schema.get("properties", {}).values():
        field.pop("title", None)


class JobResult(BaseModel):
    # The server's output model, field for field: its schema is the same on the wire.
    model_config = ConfigDict(json_schema_extra=_without_titles)
    summary: str = Field(description="Sentences to relay to the user as they are.")
    status: str | None = Field(description="The job's status exactly as Wix reports it.")
    finished: bool = Field(description="True once the job has ended, however it ended.")
    percent_complete: int | None = Field(description="0-100, or null when Wix gives no total.")
    job: dict[str, Any] = Field(description="The job exactly as Wix sent it.")


async def bare(job_id: str) -> dict[str, Any]:
    """Fetch one job."""
    return (await http.get(f"/data-mover/v1/jobs/{job_id}")).json()


async def shaped(job_id: str) -> Annotated[CallToolResult, JobResult]:
    """Fetch one job."""
    job: dict[str, Any] = (await http.get(f"/data-mover/v1/jobs/{job_id}")).json()["job"]
    status = job.get("status")
    progress = job.get("progress") or {}
    done, total = progress.get("current"), progress.get("total")
    percent = round(100 * done / total) if done is not None and total else None
    result = JobResult(
        summary=f'Job "{job.get("name")}" ({job_id}) is {status}: {done} of {total} items.',
        status=status,
        finished=status in ("COMPLETED", "FAILED", "PARTIALLY_SUCCESSFUL"),
        percent_complete=percent,
        job=job,
    )
    raw = json.dumps(job, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(
        content=[TextContent(type="text", text=result.summary), TextContent(type="text", text=raw)],
        structured_content=result.model_dump(mode="json"),
    )


server.tool(name="get_data_movement_job")(shaped if same_shape else bare)

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
