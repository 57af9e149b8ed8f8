"""What the lifespan hands every request (AppState): the way to Wix, made on first use, the
account's sites, and the sync schedules kept a minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from ..config import is_guid
from ..errors import WixApiError
from .outcome import Refused

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from ..wix.sites import Site, SiteDirectory
    from ..wix.upstream import Upstream
    from .access import Access, SiteAccess

SCHEDULES_KEPT_SECONDS = 60.0


@dataclass
class AppState:
    """What the lifespan hands every request: a way to Wix, or why there is none.

    The way to Wix is made on first use, so that answering initialize and tools/list (what an
    assistant waits for when it starts the server) does not load the HTTP stack. Requests to
    Wix run in `tasks`, the server's own task group, never in a caller's task."""

    connect: Callable[[TaskGroup], Upstream] | None
    problem: str | None
    demo: bool
    tasks: TaskGroup | None = None
    account: bool = False  # every site of the account, not one pinned site
    default_site: str | None = None
    access: SiteAccess | None = None  # WIX_MCP_SITE_ACCESS: the sites each caller may use
    _upstream: Upstream | None = None
    _directory: SiteDirectory | None = None
    _schedules: dict[str, tuple[float, list[dict[str, Any]]]] = field(
        default_factory=dict[str, tuple[float, list[dict[str, Any]]]]
    )

    def wix(self) -> Upstream:
        if self._upstream is None:
            if self.connect is None or self.tasks is None:
                raise ToolError(self.problem or "The server has no Wix connection.")
            self._upstream = self.connect(self.tasks)
        return self._upstream

    def directory(self) -> SiteDirectory:
        if self._directory is None:
            from ..wix.sites import SiteDirectory

            self._directory = SiteDirectory(self.wix(), default=self.default_site)
        return self._directory

    async def site(self, given: str | None, *, write: bool = False) -> Site | None:
        """The site a call is for: None when pinned to WIX_SITE_ID. With a site access policy,
        only a site the caller may use (and, to `write`, change); otherwise a Refused."""
        access = await self._access_now()
        if access is None:
            return await self.directory().resolve(given) if self.account else None
        from ..wix.sites import NotAmong, Site

        if not self.account:
            target = Site(self.default_site or "")
            if not access.sees(target):
                raise Refused(
                    "This server's site is not among the sites you may use.", reason="site"
                )
            where = None
        else:
            try:
                where = await self.directory().resolve(given, among=access.sees)
            except NotAmong as exc:
                raise Refused(str(exc), reason="site") from None
            target = where
        if write and not access.writes(target):
            raise Refused(
                f"You may read {'site ' + where.label() if where else 'this site'} but not change "
                'its jobs: that needs a grant with "write": true in WIX_MCP_SITE_ACCESS.',
                reason="write",
            )
        return where

    async def may_use(self, site_id: str, *, write: bool = False) -> bool:
        """Whether the caller may read (with `write`: change) the site with this id, which a
        job names beside its own; always, without a site access policy."""
        access = await self._access_now()
        if access is None:
            return True
        if not is_guid(site_id):
            return False
        from ..wix.sites import NotAmong, Site

        allowed = access.writes if write else access.sees
        if not self.account:  # no list of sites to name it: only its id can match
            return allowed(Site(site_id.lower()))
        try:
            await self.directory().resolve(site_id, among=allowed)
        except NotAmong:
            return False
        return True

    def caller_access(self) -> Access | None:
        """What the caller may use under WIX_MCP_SITE_ACCESS; None when there is no policy. A
        display name that several of the account's sites share matches none of them."""
        if self.access is None:
            return None
        token = get_access_token()
        access = self.access.policy.access(token.claims if token is not None else None)
        if self._directory is not None:
            access = access.without_names(self._directory.shared_names)
        return access

    async def _access_now(self) -> Access | None:
        """The caller's access, its display names checked against the account's current list
        of sites (read if it is not fresh), so that a name two sites share matches neither."""
        access = self.caller_access()
        if access is not None and self.account and (access.names or access.write_names):
            await self.directory().sites()
            access = self.caller_access()
        return access

    def visible(self, sites: list[Site]) -> list[Site]:
        """The sites the caller may use, of these."""
        access = self.caller_access()
        return sites if access is None else [site for site in sites if access.sees(site)]

    def site_names(self) -> dict[str, str]:
        """Display names of the sites known so far that the caller may use, by id: summaries
        name another site (a copy's source) only when the caller may see it."""
        if self._directory is None:
            return {}
        names = self._directory.names()
        access = self.caller_access()
        if access is None:
            return names
        from ..wix.sites import Site

        return {ident: name for ident, name in names.items() if access.sees(Site(ident, name))}

    async def schedule(self, schedule_id: str, site: str | None) -> dict[str, Any] | None:
        """The sync schedule that started a job, from a list kept a minute; None when it
        cannot be had (the job's answer does not depend on it)."""
        kept = self._schedules.get(site or "")
        if kept is None or time.monotonic() - kept[0] > SCHEDULES_KEPT_SECONDS:
            wix = self.wix()
            try:
                listed = await wix.call(lambda: wix.client.list_schedules(site=site))
            except WixApiError:
                return None
            kept = self._schedules[site or ""] = (time.monotonic(), listed)
        return next((s for s in kept[1] if s.get("id") == schedule_id), None)

    async def budget_left(self) -> int | None:
        """Requests the rate budget has left this minute; None before the first call to Wix."""
        if self._upstream is None:
            return None
        budget = self._upstream.budget
        return round(await budget.remaining_share() * budget.per_minute)

    def stalled(self) -> bool:
        return self._upstream is not None and self._upstream.stalled()

    async def responsive(self, *, within: float) -> bool:
        """Whether the task group that runs callers' requests still starts and runs work."""
        if self.tasks is None:
            return True
        ran = anyio.Event()

        async def probe() -> None:
            ran.set()

        try:
            self.tasks.start_soon(probe)
        except RuntimeError:  # the group has ended
            return False
        with anyio.move_on_after(within):
            await ran.wait()
        return ran.is_set()

    async def finish_writes(self) -> None:
        """For a shutdown: let the writes in flight end first (Upstream.finish_writes)."""
        if self._upstream is not None:
            await self._upstream.finish_writes()

    async def aclose(self) -> None:
        if self._upstream is not None:
            await self._upstream.aclose()
