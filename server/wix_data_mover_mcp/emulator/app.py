"""The Data Mover REST API as Wix serves it: same paths, headers, bodies and error shapes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..config import is_guid
from .files import export_csv
from .query import matches, sorted_jobs
from .state import FINAL, EmulatorState, Fault, JobTimeline

PREFIX = "/data-mover/v1"
SCHEDULER = "/data-move-scheduler/v1/scheduled-data-workflows"
MAX_PAGE = 100
QUERY_FIELDS = {"id", "name", "status", "startedAt", "finishedAt", "scheduleId", "workflowId"}
OPERATORS = {"$eq", "$ne", "$in", "$gt", "$gte", "$lt", "$lte", "$exists", "$startsWith"}
# As the SDK's query builder allows: status takes no ranges, and only text ids and names
# take $startsWith (case-insensitive, as Wix's query language matches it).
SUBMITTED_FIELDS = {
    "name",
    "source",
    "destination",
    "sourceSiteId",
    "destinationSiteId",
    "transformations",
}
FIELD_OPERATORS = {
    "status": {"$eq", "$ne", "$in", "$exists"},
    "startedAt": OPERATORS - {"$startsWith"},
    "finishedAt": OPERATORS - {"$startsWith"},
}

Handler = Callable[[Request, EmulatorState, str], Awaitable[Response]]


class WixError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any) -> None:
        self.status, self.message, self.code, self.extra = status, message, code, extra

    def response(self) -> Response:
        details: dict[str, Any] = {}
        if self.code:
            details["applicationError"] = {
                "code": self.code,
                "description": self.message,
                "data": {},
            }
        details |= self.extra
        return JSONResponse({"message": self.message, "details": details}, status_code=self.status)


def invalid(field: str, description: str) -> WixError:
    violation = {"field": field, "description": description, "violatedRule": "VALIDATION"}
    return WixError(400, "Invalid request", validationError={"fieldViolations": [violation]})


def create_app(state: EmulatorState) -> Starlette:
    def wix(handler: Handler, *, account: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state.count(handler.__name__)
            state.refresh()
            job_id = request.path_params.get("job_id")
            try:
                site_id = _authenticate(request, state, account=account)
                fault = state.take_fault(job_id)
                response = await _apply(fault) if fault else None
                if response is None:
                    response = await handler(request, state, site_id)
            except WixError as error:
                response = error.response()
            response.headers["x-wix-request-id"] = uuid.uuid4().hex
            return response

        return endpoint

    routes = [
        Route(f"{PREFIX}/jobs/query", wix(query_jobs), methods=["POST"]),
        Route(f"{PREFIX}/jobs/list", wix(list_jobs), methods=["POST"]),
        Route(f"{PREFIX}/jobs", wix(list_jobs), methods=["GET"]),
        Route(f"{PREFIX}/jobs", wix(submit_job), methods=["POST"]),
        Route(f"{PREFIX}/jobs/{{job_id}}", wix(get_job), methods=["GET"]),
        Route(f"{PREFIX}/jobs/{{job_id}}/logs", wix(list_logs), methods=["GET"]),
        Route(f"{PREFIX}/jobs/{{job_id}}/terminate", wix(terminate_job), methods=["POST"]),
        Route("/site-list/v2/sites/query", wix(query_sites, account=True), methods=["POST"]),
        Route(SCHEDULER, wix(list_schedules), methods=["GET"]),
        Route("/_emulator/faults", _control(state, _add_fault), methods=["POST"]),
        Route("/_emulator/faults", _control(state, _clear_faults), methods=["DELETE"]),
        Route("/_emulator/stats", _control(state, _stats), methods=["GET"]),
        Route("/_emulator/files/{job_id}/{name}", _control(state, _file), methods=["GET"]),
    ]
    return Starlette(routes=routes)


def _authenticate(request: Request, state: EmulatorState, *, account: bool = False) -> str:
    """The site (or, for an account-level call, the account) the request is for."""
    key = request.headers.get("authorization", "")
    if not key:
        raise WixError(401, "Missing authorization header", "UNAUTHENTICATED")
    if key not in state.api_keys:
        raise WixError(401, "Invalid or expired token", "UNAUTHENTICATED")
    site_id = request.headers.get("wix-site-id", "").lower()
    account_id = request.headers.get("wix-account-id", "").lower()
    if site_id and account_id:
        raise WixError(400, "Send wix-site-id or wix-account-id, not both", "AMBIGUOUS_IDENTITY")
    if account:
        if not account_id:
            raise WixError(428, "wix-account-id header is required", "MISSING_ACCOUNT_ID")
        if account_id != state.account_id:
            raise WixError(403, "The API key does not belong to this account", "FORBIDDEN")
        return account_id
    if not site_id:
        raise WixError(428, "wix-site-id header is required", "MISSING_METASITE_ID")
    if site_id in state.uncovered:
        raise WixError(403, "The API key does not have access to this site", "FORBIDDEN")
    return site_id


async def _apply(fault: Fault) -> Response | None:
    """The response a fault calls for, or None to answer normally (after any delay)."""
    match fault.kind:
        case "latency":
            await anyio.sleep(fault.delay)
            return None
        case "hang":
            await anyio.sleep(fault.delay or 60)
            return None
        case "rate_limit":
            headers = {"retry-after": fault.retry_after} if fault.retry_after else {}
            body: dict[str, Any] = {"message": "Too many requests", "details": {}}
            return JSONResponse(body, status_code=429, headers=headers)
        case "server_error":
            return JSONResponse({"message": "", "details": {}}, status_code=fault.status)
        case "malformed_json":
            return Response(b'{"job": {"id": "', media_type="application/json")
        case "html":
            page = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
            return Response(page, status_code=502, media_type="text/html")
        case "no_job":
            return JSONResponse({"result": {}})
        case "empty":
            return Response(b"", media_type="application/json")
        case "reset":
            return _HalfResponse()
        case "oversized":
            return Response(b'{"job": {"name": "' + b"x" * (5 * 1024 * 1024) + b'"}}')


class _HalfResponse(Response):
    """Promises a body, sends half of it, and ends: the connection closes mid-body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"400")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"job": {"id": "', "more_body": True})


async def get_job(request: Request, state: EmulatorState, site_id: str) -> Response:
    timeline = _job(request, state, site_id)
    return JSONResponse({"job": timeline.render(state.now())})


async def list_logs(request: Request, state: EmulatorState, site_id: str) -> Response:
    timeline = _job(request, state, site_id)
    logs = timeline.logs(state.now())
    limit = _limit(request.query_params.get("paging.limit"), default=50)
    offset = _offset(request.query_params.get("paging.cursor"))
    return JSONResponse(_page("logs", logs, offset, limit))


async def terminate_job(request: Request, state: EmulatorState, site_id: str) -> Response:
    timeline = _job(request, state, site_id)
    now = state.now()
    if timeline.render(now)["status"] in FINAL:
        # The emulator's own code: Wix does not document what terminating a finished job does.
        raise WixError(400, "The job has already finished", "JOB_ALREADY_FINISHED")
    timeline.terminated_at = now
    state.changed(timeline)
    return JSONResponse({"job": timeline.render(now)})


async def submit_job(request: Request, state: EmulatorState, site_id: str) -> Response:
    body = await _json_body(request)
    spec = cast(dict[str, Any], body.get("job", body))
    if not isinstance(spec.get("source"), dict) or not isinstance(spec.get("destination"), dict):
        raise invalid("job.source", "source and destination are required")
    fields = {k: v for k, v in spec.items() if k in SUBMITTED_FIELDS}
    fields["id"] = str(uuid.uuid4())
    pace = state.pace
    # The job moves what its source holds: as many items as an earlier job from the same
    # source (a retry of a 340-item import moves 340), or 200 for a source never seen.
    earlier = state.same_source(site_id, fields)
    file = cast(dict[str, Any], fields["destination"]).get("file")
    export = None
    if isinstance(file, dict):
        name = str(cast(dict[str, Any], file).get("fileName") or "export.csv")
        export = f"{str(request.base_url).rstrip('/')}/_emulator/files/{fields['id']}/{name}"
    timeline = state.add_job(
        JobTimeline(
            site_id,
            fields,
            submitted_at=state.now(),
            pending=2 * pace,
            initializing=3 * pace,
            running=20 * pace,
            items=earlier.items if earlier else 200,
            units=earlier.units if earlier else "ITEMS",
            size_bytes=earlier.size_bytes if earlier else 0,
            export_url=export,
        )
    )
    state.changed(timeline)
    return JSONResponse({"job": timeline.render(state.now())})


async def list_jobs(request: Request, state: EmulatorState, site_id: str) -> Response:
    if request.method == "POST":
        paging = _object((await _json_body(request)).get("paging"))
        limit_text, cursor = paging.get("limit"), paging.get("cursor")
    else:
        limit_text = request.query_params.get("paging.limit")
        cursor = request.query_params.get("paging.cursor")
    jobs = sorted_jobs(state.site_jobs(site_id), [{"fieldName": "startedAt", "order": "DESC"}])
    return JSONResponse(_page("jobs", jobs, _offset(cursor), _limit(limit_text, default=50)))


async def query_jobs(request: Request, state: EmulatorState, site_id: str) -> Response:
    query = _object((await _json_body(request)).get("query"))
    paging = _object(query.get("cursorPaging"))
    limit = _limit(paging.get("limit"), default=50)
    if paging.get("cursor"):
        remembered = state.cursors.get(str(paging["cursor"]))
        if remembered is None:
            raise invalid("query.cursorPaging.cursor", "unknown or expired cursor")
        query, offset = remembered
    else:
        offset = 0
        _check_query(query)
    jobs = [job for job in state.site_jobs(site_id) if matches(job, _object(query.get("filter")))]
    jobs = sorted_jobs(jobs, cast(list[dict[str, str]], query.get("sort") or []))
    page = _page("jobs", jobs, offset, limit)
    if page["pagingMetadata"]["hasNext"]:
        page["pagingMetadata"]["cursors"]["next"] = state.remember_cursor(query, offset + limit)
    return JSONResponse(page)


async def list_schedules(request: Request, state: EmulatorState, site_id: str) -> Response:
    """List Scheduled Data Workflows; the next run only when `fields` asks for it."""
    with_next = "NEXT_SCHEDULE_EXECUTION" in request.query_params.getlist("fields")
    schedules = [
        {k: v for k, v in schedule.items() if with_next or k != "nextExecutionDate"}
        for schedule in state.schedules.get(site_id, [])
    ]
    return JSONResponse({"scheduledDataWorkflows": schedules})


async def query_sites(request: Request, state: EmulatorState, _: str) -> Response:
    """Query Sites: the account's sites, by cursor, at most 100 a page."""
    query = _object((await _json_body(request)).get("query"))
    paging = _object(query.get("cursorPaging"))
    limit = _limit(paging.get("limit"), default=50)
    offset = 0
    if paging.get("cursor"):
        remembered = state.cursors.get(str(paging["cursor"]))
        if remembered is None:
            raise invalid("query.cursorPaging.cursor", "unknown or expired cursor")
        offset = remembered[1]
    page = _page("sites", state.sites, offset, limit)
    if page["pagingMetadata"]["hasNext"]:
        page["pagingMetadata"]["cursors"]["next"] = state.remember_cursor({}, offset + limit)
    return JSONResponse(page)


def _job(request: Request, state: EmulatorState, site_id: str) -> JobTimeline:
    job_id = str(request.path_params["job_id"]).lower()
    timeline = state.job(site_id, job_id) if is_guid(job_id) else None
    if timeline is None:
        raise WixError(404, f"Job {job_id[:64]} not found", "JOB_NOT_FOUND")
    return timeline


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise invalid("body", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("body", "the body must be a JSON object")
    return cast(dict[str, Any], body)


def _limit(value: Any, *, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise invalid("paging.limit", "must be a number") from None
    if not 1 <= limit <= MAX_PAGE:
        raise invalid("paging.limit", f"must be between 1 and {MAX_PAGE}")
    return limit


def _offset(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(str(cursor).removeprefix("offset-")))
    except ValueError:
        raise invalid("paging.cursor", "unknown or expired cursor") from None


def _page(name: str, items: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    page = items[offset : offset + limit]
    has_next = offset + limit < len(items)
    cursors = {"next": f"offset-{offset + limit}" if has_next else None}
    return {
        name: page,
        "pagingMetadata": {"count": len(page), "hasNext": has_next, "cursors": cursors},
    }


def _check_query(query: dict[str, Any]) -> None:
    sort: Any = query.get("sort") or []
    if not isinstance(sort, list) or len(cast(list[Any], sort)) > 5:
        raise invalid("query.sort", "at most 5 sorts")
    for rule in cast(list[Any], sort):
        field = _object(rule).get("fieldName")
        if field not in QUERY_FIELDS:
            raise invalid("query.sort.fieldName", f"cannot sort on {field!r}")
    for field, condition in _object(query.get("filter")).items():
        if field not in QUERY_FIELDS:
            raise invalid("query.filter", f"cannot filter on {field!r}")
        unknown = set(_object(condition)) - FIELD_OPERATORS.get(field, OPERATORS)
        if unknown:
            raise invalid("query.filter", f"unsupported operator {sorted(unknown)[0]!r}")


def _object(value: Any) -> dict[str, Any]:
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def _control(
    state: EmulatorState, action: Callable[[Request, EmulatorState], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await action(request, state)

    return endpoint


async def _add_fault(request: Request, state: EmulatorState) -> Response:
    body = await request.json()
    state.inject(
        body["kind"],
        job_id=body.get("job_id", "*"),
        count=body.get("count"),
        status=int(body.get("status", 503)),
        retry_after=body.get("retry_after"),
        delay=float(body.get("delay", 0)),
    )
    return JSONResponse({"ok": True})


async def _clear_faults(request: Request, state: EmulatorState) -> Response:
    state.clear_faults()
    return JSONResponse({"ok": True})


async def _stats(request: Request, state: EmulatorState) -> Response:
    return JSONResponse({"requests": dict(state.requests)})


async def _file(request: Request, state: EmulatorState) -> Response:
    """The file a finished export wrote: one row per item it moved, the fields it asked for."""
    timeline = state.jobs.get(str(request.path_params["job_id"]).lower())
    job = timeline.render(state.now()) if timeline else {}
    url = job.get("destination", {}).get("file", {}).get("url", "")
    if timeline is None or not url.endswith(f"/{request.path_params['name']}"):
        return PlainTextResponse("No such file.\n", status_code=404)
    return PlainTextResponse(export_csv(job), media_type="text/csv")
