"""The tools that change something at Wix, offered only when the settings allow it: retry a
finished job, terminate a running one.

Each first makes every check (the site, the job's state, what would be sent) and words what it
will do. A dry run stops there and returns that. Otherwise the person is asked to confirm
through the protocol's own input request, when their client can ask (a Resolve parameter the
SDK fills before the body runs; its resolver may run again on each round, so it only reads);
a client that cannot ask keeps the host's own approval of a destructive tool. Declining
changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, cast

from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import CallToolResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field

from ..wix.claims import OutcomeUnknown, is_unknown
from ..wix.models import parse_job
from ..wix.retry import SAME_FILE, CannotRetry, retry_request
from ..words.job import is_finished
from ..words.writes import (
    other_site_refused,
    retry_consequence,
    retry_may_be_submitted,
    terminate_consequence,
)
from .arguments import JobId, SiteArg, checked_job_id
from .outcome import Noted, Refused, note
from .results import JobResult, demo_summary, job_result, tool_result, wix_errors
from .state import AppState

if TYPE_CHECKING:
    from ..wix.sites import Site

MODERN_PROTOCOL = "2026-07-28"  # asks through InputRequiredResult: no back-channel needed

DRY_RUN_RETRY = "Dry run: nothing was submitted."
SUBMIT_FOR_REAL = "Call retry_data_movement_job again with dry_run false to submit it."

DryRun = Annotated[
    bool,
    Field(description="Make every check and say what would be done, without doing it."),
]


class Confirm(BaseModel):
    confirm: bool = Field(description="Go ahead?")


class RetryResult(JobResult):
    retried_job_id: str = Field(description="The finished job that was submitted again.")
    repeated: bool = Field(description="True when this retry had already been submitted.")
    submitted: bool = Field(
        default=True,
        description="False when nothing was submitted: a dry run, or the user said no.",
    )
    plan: dict[str, Any] | None = Field(
        default=None, description="For a dry run: the Submit Job body a real call would send."
    )


def can_ask(ctx: Context[Any]) -> bool:
    """Whether a question can reach the person on this request: the client declares form
    input requests, and either speaks the modern protocol (the question comes back as an
    InputRequiredResult) or has a channel for the server's own requests (not stateless HTTP)."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False
    version = ctx.protocol_version
    if version is not None and is_version_at_least(version, MODERN_PROTOCOL):
        return True
    return ctx.session.can_send_request


def confirmed(answer: ElicitationResult[Confirm]) -> bool:
    return isinstance(answer, AcceptedElicitation) and answer.data.confirm


def _refusal(answer: ElicitationResult[Confirm]) -> str:
    return {"accept": "said no", "decline": "declined", "cancel": "cancelled"}[answer.action]


@dataclass(frozen=True)
class RetryPlan:
    where: Site | None
    old: dict[str, Any]
    body: dict[str, Any]
    caveats: list[str]
    consequence: str

    @property
    def site_id(self) -> str | None:
        return self.where.id if self.where is not None else None


async def plan_retry(
    state: AppState, job_id: str, site: str | None, skip_existing: bool
) -> RetryPlan:
    """Every check a retry makes before it submits, and what it would submit, in words."""
    job_id = checked_job_id(job_id)
    with wix_errors():
        where = await state.site(site, write=True)
        old = await state.wix().get_job(job_id, site=where and where.id)
    try:
        body, caveats = retry_request(old, skip_existing=skip_existing)
    except CannotRetry as exc:
        raise ToolError(str(exc)) from None
    await check_other_site(state, job_id, body)
    words = retry_consequence(
        parse_job(old)[0],
        parse_job(old | body)[0],
        site=where and where.label(),
        names=state.site_names(),
    )
    return RetryPlan(where, old, body, caveats, words)


async def check_other_site(
    state: AppState, job_id: str, job: dict[str, Any], *, stop: bool = False
) -> None:
    """A job may name one other site: the site it copies from (`sourceSiteId`), which a retry
    reads, or the one it copies into (`destinationSiteId`), which a retry or a stop changes.
    The job's own site is checked by state.site; that other site needs a grant here too (to
    read it, or to change it). Stopping reads nothing more from a source, so needs no grant
    for it."""
    source, destination = job.get("sourceSiteId"), job.get("destinationSiteId")
    with wix_errors():
        if isinstance(source, str) and source and not stop and not await state.may_use(source):
            raise Refused(other_site_refused(job_id, source, source=True), reason="site")
        if (
            isinstance(destination, str)
            and destination
            and not await state.may_use(destination, write=True)
        ):
            sentence = other_site_refused(job_id, destination, source=False, stop=stop)
            raise Refused(sentence, reason="write")


async def ask_before_retry(
    job_id: str, skip_existing: bool, site: str | None, dry_run: bool, ctx: Context[AppState]
) -> Confirm | Elicit[Confirm]:
    if dry_run or not can_ask(ctx):
        return Confirm(confirm=True)  # nothing to ask: a dry run, or a client that cannot ask
    plan = await plan_retry(ctx.request_context.lifespan_context, job_id, site, skip_existing)
    return Elicit(f"{plan.consequence} Submit it?", Confirm)


async def retry_data_movement_job(
    job_id: JobId,
    ctx: Context[AppState],
    answer: Annotated[ElicitationResult[Confirm], Resolve(ask_before_retry)],
    skip_existing: Annotated[
        bool,
        Field(description="Skip items already in the destination collection (SKIP_EXISTING)."),
    ] = False,
    site: SiteArg = None,
    dry_run: DryRun = False,
) -> Annotated[CallToolResult, RetryResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    plan = await plan_retry(state, job_id, site, skip_existing)
    wix = state.wix()
    key = f"{plan.site_id or ''}:{job_id}:{skip_existing}"
    if dry_run or not confirmed(answer):
        with wix_errors():
            earlier = await wix.claims.recent(key)
        return _retry_not_made(state, plan, job_id, answer, dry_run=dry_run, earlier=earlier)

    async def submit() -> tuple[dict[str, Any], dict[str, Any]]:
        new = await wix.call(lambda: wix.client.submit_job(plan.body, site=plan.site_id))
        return {"id": str(new.get("id")), "caveats": plan.caveats}, new

    with wix_errors():
        try:
            written = await wix.once(key, submit)
        except OutcomeUnknown:
            name = plan.body.get("name")
            raise ToolError(
                retry_may_be_submitted(job_id, name, minutes=wix.claims.seconds / 60)
            ) from None
        new_id = str(written.record["id"])
        raw = written.answer or await wix.call(
            lambda: wix.client.get_job(new_id, site=plan.site_id)
        )
    kept = written.record.get("caveats")
    caveats = [str(c) for c in cast(list[Any], kept)] if isinstance(kept, list) else []
    result = job_result(raw, demo=False, site=plan.where, names=state.site_names())
    head = (
        f"This retry of job {job_id} was already submitted a moment ago as job {new_id}; "
        "nothing new was submitted."
        if written.repeated
        else f"Submitted a retry of job {job_id} as job {new_id}."
    )
    follow = f" Follow it with wait_for_data_movement_job (job_id {new_id})."
    summary = demo_summary(" ".join([head, *caveats, result.summary]) + follow, state.demo)
    outcome = RetryResult.model_validate(
        result.model_dump()
        | {"summary": summary, "retried_job_id": job_id, "repeated": written.repeated}
    )
    return tool_result(outcome.summary, outcome, raw)


def _retry_not_made(
    state: AppState,
    plan: RetryPlan,
    job_id: str,
    answer: ElicitationResult[Confirm],
    *,
    dry_run: bool,
    earlier: dict[str, Any] | None,
) -> CallToolResult:
    """A dry run's plan, or what the person said no to: nothing was submitted."""
    if dry_run:
        note(Noted("dry_run"))
        head, tail = DRY_RUN_RETRY, SUBMIT_FOR_REAL
        if earlier is not None and is_unknown(earlier):
            minutes = state.wix().claims.seconds / 60
            tail = retry_may_be_submitted(job_id, plan.body.get("name"), minutes=minutes)
        elif earlier is not None:
            tail = (
                f"A retry of this job was already submitted a moment ago as job "
                f"{earlier['id']}: a real call now would return that one."
            )
    else:
        note(Noted("declined"))
        head = f"Nothing was submitted: the user {_refusal(answer)} when asked to confirm."
        tail = f"Job {job_id} stays as it is."
    # The consequence already says what the write policy does; the file may be gone.
    notes = [caveat for caveat in plan.caveats if caveat == SAME_FILE]
    summary = demo_summary(" ".join([head, plan.consequence, *notes, tail]), state.demo)
    old = job_result(plan.old, demo=False, site=plan.where, names=state.site_names())
    outcome = RetryResult.model_validate(
        old.model_dump()
        | {
            "summary": summary,
            "retried_job_id": job_id,
            "repeated": earlier is not None and not is_unknown(earlier),
            "submitted": False,
            "plan": plan.body if dry_run else None,
        }
    )
    return tool_result(outcome.summary, outcome, plan.body if dry_run else plan.old)


@dataclass(frozen=True)
class StopPlan:
    where: Site | None
    job: dict[str, Any]
    consequence: str


async def plan_terminate(state: AppState, job_id: str, site: str | None) -> StopPlan:
    """Every check a stop makes before it is sent, and what it would do, in words."""
    job_id = checked_job_id(job_id)
    with wix_errors():
        where = await state.site(site, write=True)
        # Read afresh, and not kept as the job's shared answer: the job is about to change.
        wix = state.wix()
        raw = await wix.call(lambda: wix.client.get_job(job_id, site=where and where.id))
    current, _ = parse_job(raw)
    if is_finished(current):
        raise ToolError(
            f"Job {job_id} has already finished ({current.status}); there is nothing to terminate."
        )
    await check_other_site(state, job_id, raw, stop=True)
    words = terminate_consequence(current, site=where and where.label(), names=state.site_names())
    return StopPlan(where, raw, words)


async def ask_before_terminate(
    job_id: str, site: str | None, dry_run: bool, ctx: Context[AppState]
) -> Confirm | Elicit[Confirm]:
    if dry_run or not can_ask(ctx):
        return Confirm(confirm=True)  # nothing to ask: a dry run, or a client that cannot ask
    plan = await plan_terminate(ctx.request_context.lifespan_context, job_id, site)
    return Elicit(f"{plan.consequence} Stop it?", Confirm)


async def terminate_data_movement_job(
    job_id: JobId,
    ctx: Context[AppState],
    answer: Annotated[ElicitationResult[Confirm], Resolve(ask_before_terminate)],
    site: SiteArg = None,
    dry_run: DryRun = False,
) -> Annotated[CallToolResult, JobResult]:
    state = ctx.request_context.lifespan_context
    job_id = checked_job_id(job_id)
    plan = await plan_terminate(state, job_id, site)
    if dry_run or not confirmed(answer):
        note(Noted("dry_run" if dry_run else "declined"))
        head = (
            "Dry run: nothing was stopped."
            if dry_run
            else f"Nothing was stopped: the user {_refusal(answer)} when asked to confirm."
        )
        tail = (
            "Call terminate_data_movement_job again with dry_run false to stop it."
            if dry_run
            else f"Job {job_id} goes on."
        )
        result = job_result(plan.job, demo=state.demo, site=plan.where, names=state.site_names())
        result.summary = demo_summary(f"{head} {plan.consequence} {tail}", state.demo)
        return tool_result(result.summary, result, plan.job)
    wix = state.wix()
    site_id = plan.where and plan.where.id
    with wix_errors():
        raw = await wix.call(lambda: wix.client.terminate_job(job_id, site=site_id))
        await wix.remember_stopped(job_id, site=site_id)
    result = job_result(
        raw, demo=state.demo, site=plan.where, names=state.site_names(), stopped_here=True
    )
    return tool_result(result.summary, result, raw)
