"""The sites of the account (account mode): the list, kept briefly, and `site` as a person names
it (an id, or a display name in any case) resolved to one site, with the candidates on a miss.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ..config import is_guid
from ..errors import WixApiError
from ..text import clean, plain_url, quote
from .models import paging_cursor

if TYPE_CHECKING:
    from .client import WixDataMoverClient
    from .upstream import Upstream

MAX_SITES = 1000  # Query Sites returns at most this many
SITES_PAGE = 100
SHOWN = 8


@dataclass(frozen=True)
class Site:
    id: str
    name: str | None = None
    url: str | None = None

    def label(self) -> str:
        """'"Harbor Dental" (f2a8…)' or the bare id when the name is not known."""
        return f"{quote(self.name, 80)} ({self.id})" if self.name else self.id

    def line(self) -> str:
        url = f" · {plain_url(self.url)}" if self.url else ""
        return f"{quote(self.name or '(no name)', 80)} · {self.id}{url}"


def site_from(raw: dict[str, Any]) -> Site | None:
    ident = raw.get("id")
    if not isinstance(ident, str) or not is_guid(ident):
        return None
    name, url = raw.get("displayName") or raw.get("name"), raw.get("viewUrl")
    return Site(
        ident.lower(),
        clean(name, 120) if isinstance(name, str) and name.strip() else None,
        url if isinstance(url, str) and url else None,
    )


class SiteDirectory:
    """The account's sites, fetched on first need and kept for `ttl` seconds."""

    def __init__(self, upstream: Upstream, *, default: str | None, ttl: float = 60.0) -> None:
        self._upstream = upstream
        self._default = default
        self._ttl = ttl
        self._sites: list[Site] = []
        self._fetched = -ttl
        self.shared_names: frozenset[str] = frozenset()  # case-folded, of two sites or more
        # What reads of each site's jobs have shown so far; a site in neither is not yet checked.
        self.readable: set[str] = set()
        self.unreadable: set[str] = set()  # its jobs answered 403

    async def sites(self) -> list[Site]:
        if time.monotonic() - self._fetched >= self._ttl:
            self._sites = await self._upstream.call(self._fetch_all)
            self._fetched = time.monotonic()
            named = Counter(site.name.casefold() for site in self._sites if site.name)
            self.shared_names = frozenset(name for name, count in named.items() if count > 1)
        return self._sites

    def jobs_readable(self, site_id: str) -> bool | None:
        """Whether the key can read the site's jobs: None until a read has shown it."""
        if site_id in self.unreadable:
            return False
        return True if site_id in self.readable else None

    def saw(self, site_id: str, error: WixApiError | None) -> None:
        """Note what a read of the site's jobs showed: readable, or 403 (not covered)."""
        if error is None:
            self.readable.add(site_id)
            self.unreadable.discard(site_id)
        elif error.status == 403:
            self.unreadable.add(site_id)
            self.readable.discard(site_id)

    @contextmanager
    def reading(self, site: Site | None) -> Generator[None]:
        """Around a read of one site's jobs: note what it showed, and let any error through."""
        try:
            yield
        except WixApiError as exc:
            if site is not None:
                self.saw(site.id, exc)
            raise
        if site is not None:
            self.saw(site.id, None)

    def names(self) -> dict[str, str]:
        """Display names of the sites known so far, by id (no request)."""
        return {site.id: site.name for site in self._sites if site.name}

    async def resolve(
        self, given: str | None, *, among: Callable[[Site], bool] | None = None
    ) -> Site:
        """The one site `given` names, the default site when it is None; otherwise a
        WixApiError that lists the candidates and says to pass `site`. With `among`, only the
        sites it accepts can be named or listed; naming another is a NotAmong, in the same
        words whether or not that site exists."""
        text = (given or "").strip()
        if not text:
            if self._default and ((site := await self._known(self._default)) and _ok(site, among)):
                return site
            sites = [site for site in await self.sites() if _ok(site, among)]
            if not sites and among is not None:
                raise NotAmong("You may use no site of this account.")
            raise WixApiError(
                f"Which site? {_yours(among)} {len(sites)} site{'s' * (len(sites) != 1)}: "
                f"{_listed(sites)}. Pass site as one of these names or ids."
            )
        if is_guid(text):
            site = await self._known(text.lower())
            if not _ok(site, among):
                raise NotAmong(await self._not_among(text, among))
            return site
        sites = [site for site in await self.sites() if _ok(site, among)]
        exact = [site for site in sites if (site.name or "").casefold() == text.casefold()]
        if len(exact) == 1:
            return exact[0]
        if exact:
            raise WixApiError(
                f"{quote(text, 80)} names {len(exact)} sites: {_listed(exact)}. Pass the id."
            )
        if among is not None:
            raise NotAmong(await self._not_among(text, among))
        near = [site for site in sites if text.casefold() in (site.name or "").casefold()]
        hint = f"Did you mean {_listed(near)}?" if near else f"The sites are {_listed(sites)}."
        raise WixApiError(f"No site is named {quote(text, 80)}. {hint} Pass site as a name or id.")

    async def _not_among(self, text: str, among: Callable[[Site], bool] | None) -> str:
        try:
            yours = [site for site in await self.sites() if _ok(site, among)]
        except WixApiError:
            yours = []
        listed = f"; yours are {_listed(yours)}" if yours else ""
        return f"No site you may use is {quote(text, 80)}{listed}."

    async def _known(self, site_id: str) -> Site:
        """The site with its name when the account lists it; the id alone otherwise."""
        try:
            sites = await self.sites()
        except WixApiError:
            return Site(site_id)
        return next((site for site in sites if site.id == site_id), Site(site_id))

    async def _fetch_all(self) -> list[Site]:
        return await fetch_sites(self._upstream.client)


async def fetch_sites(client: WixDataMoverClient) -> list[Site]:
    """Every site of the account, page by page, up to Query Sites' 1,000."""
    found: list[Site] = []
    cursor: str | None = None
    while len(found) < MAX_SITES:
        body = await client.query_sites(limit=SITES_PAGE, cursor=cursor)
        raws = [cast(dict[str, Any], raw) for raw in body["sites"] if isinstance(raw, dict)]
        found += [site for raw in raws if (site := site_from(raw))]
        cursor = paging_cursor(body)
        if cursor is None:
            break
    return found[:MAX_SITES]


class NotAmong(WixApiError):
    """The site named is not among those the caller may use, or does not exist."""


def _ok(site: Site, among: Callable[[Site], bool] | None) -> bool:
    return among is None or among(site)


def _yours(among: Callable[[Site], bool] | None) -> str:
    return "The account has" if among is None else "You may use"


def _listed(sites: list[Site]) -> str:
    shown = ", ".join(site.label() for site in sites[:SHOWN])
    return shown + (f" and {len(sites) - SHOWN} more" if len(sites) > SHOWN else "")
