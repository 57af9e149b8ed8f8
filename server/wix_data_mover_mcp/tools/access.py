"""Which sites each signed-in person may use (WIX_MCP_SITE_ACCESS): grants in a JSON file,
matched against the claims of the caller's access token.

    {"grants": [
      {"claim": "sub", "equals": "alice@agency.example", "sites": ["*"], "write": true},
      {"claim": "groups", "equals": "bakeries", "sites": ["Riverside Bakery", "d3e0a5c1-…"]}
    ]}

A grant matches when the claim equals the value or, for a list claim, contains it. A caller's
sites are the union of the grants that match (ids, display names in any case, or "*" for all);
writing on a site also needs a matching grant with "write": true. No matching grant: no sites.
A display name must name one site: one that several sites share is refused when the file is
read, and matches none of them if sites come to share it later. Grants are indexed by claim and
value, so a call costs a few lookups, however many grants.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config import is_guid
from ..errors import WixApiError, incident
from ..text import quote

if TYPE_CHECKING:
    from ..wix.sites import Site

AccountSites = Callable[[], Awaitable[list["Site"]]]

log = logging.getLogger(__name__)

EVERY_SITE = "*"
MAX_POLICY_BYTES = 4 * 1024 * 1024
READ_SECONDS = 5.0  # a reload gives up reading the file after this (a hung mount)


class PolicyError(Exception):
    """The grants cannot be used; the text says which and what to do, in one sentence."""


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    claim: str = Field(min_length=1, max_length=200)
    equals: str = Field(min_length=1, max_length=1000)
    sites: list[str] = Field(min_length=1)
    write: bool = False


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    grants: list[Grant]


@dataclass(frozen=True)
class Access:
    """What one caller may use: every site, or these ids and display names (case-folded)."""

    every_site: bool = False
    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    write_every_site: bool = False
    write_ids: frozenset[str] = frozenset()
    write_names: frozenset[str] = frozenset()

    def sees(self, site: Site) -> bool:
        return (
            self.every_site
            or site.id in self.ids
            or (site.name is not None and site.name.casefold() in self.names)
        )

    def writes(self, site: Site) -> bool:
        return (
            self.write_every_site
            or site.id in self.write_ids
            or (site.name is not None and site.name.casefold() in self.write_names)
        )

    def without_names(self, shared: frozenset[str]) -> Access:
        """This access less the display names (case-folded) that several sites share."""
        if not (self.names & shared or self.write_names & shared):
            return self
        return replace(self, names=self.names - shared, write_names=self.write_names - shared)


NO_ACCESS = Access()


class SitePolicy:
    """The grants, indexed by claim and value."""

    def __init__(self, grants: Sequence[Grant]) -> None:
        self.grants = list(grants)
        self._index: dict[str, dict[str, list[int]]] = {}
        for number, grant in enumerate(self.grants):
            self._index.setdefault(grant.claim, {}).setdefault(grant.equals, []).append(number)
        self._unions: dict[tuple[int, ...], Access] = {}

    @classmethod
    def parse(cls, text: str | bytes, *, source: str) -> SitePolicy:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise PolicyError(f"{source} is not valid JSON ({_reason(exc)}).") from None
        try:
            grants = PolicyFile.model_validate(data).grants
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "the top level"
            raise PolicyError(
                f"{source} does not hold grants as expected: at {where}, {first['msg'].lower()} "
                '(each grant is {"claim": "…", "equals": "…", "sites": ["…"], "write": false}).'
            ) from None
        return cls(grants)

    @classmethod
    def load(cls, path: str) -> SitePolicy:
        """The grants in the file at `path`, a regular file (opened without waiting, so a FIFO
        put in its place is refused rather than waited on)."""
        source = f"WIX_MCP_SITE_ACCESS ({path})"
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(descriptor, "rb") as file:
                if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                    raise PolicyError(f"{source} is not a regular file: point it at a JSON file.")
                text = file.read(MAX_POLICY_BYTES + 1)
        except OSError as exc:
            raise PolicyError(f"{source} cannot be read ({exc.strerror}).") from None
        if len(text) > MAX_POLICY_BYTES:
            raise PolicyError(f"{source} is larger than {MAX_POLICY_BYTES // 1024 // 1024} MiB.")
        return cls.parse(text, source=source)

    def named_sites(self) -> set[str]:
        """The sites the grants name by display name (not by id, not "*")."""
        return {
            site.strip()
            for grant in self.grants
            for site in grant.sites
            if site.strip() != EVERY_SITE and not is_guid(site.strip())
        }

    def access(self, claims: Mapping[str, Any] | None) -> Access:
        """What a caller whose token carries `claims` may use."""
        if not claims:
            return NO_ACCESS
        matched: list[int] = []
        for claim, by_value in self._index.items():
            value = claims.get(claim)
            if isinstance(value, str):
                matched += by_value.get(value, ())
            elif isinstance(value, list):
                for item in cast(list[Any], value):
                    if isinstance(item, str):
                        matched += by_value.get(item, ())
        if not matched:
            return NO_ACCESS
        key = tuple(sorted(set(matched)))
        if (known := self._unions.get(key)) is None:
            if len(self._unions) > 4096:
                self._unions.clear()
            known = self._unions[key] = self._union(key)
        return known

    def _union(self, numbers: tuple[int, ...]) -> Access:
        ids: set[str] = set()
        names: set[str] = set()
        write_ids: set[str] = set()
        write_names: set[str] = set()
        every = write_every = False
        for number in numbers:
            grant = self.grants[number]
            for site in (entry.strip() for entry in grant.sites):
                if site == EVERY_SITE:
                    every = True
                    write_every = write_every or grant.write
                    continue
                by_id = is_guid(site)
                value = site.lower() if by_id else site.casefold()
                (ids if by_id else names).add(value)
                if grant.write:
                    (write_ids if by_id else write_names).add(value)
        return Access(
            every,
            frozenset(ids),
            frozenset(names),
            write_every,
            frozenset(write_ids),
            frozenset(write_names),
        )


def unknown_names(policy: SitePolicy, sites: Sequence[Site] | None) -> str | None:
    """Why the grants name a site that cannot be found, or a name that several sites share,
    or None. `sites` is the account's sites, or None for a server pinned to one site (which
    knows it only by its id)."""
    named = sorted(policy.named_sites())
    if not named:
        return None
    if sites is None:
        return (
            f"WIX_MCP_SITE_ACCESS names the site {quote(named[0], 80)}, but a server pinned to one "
            'site (WIX_SITE_ID) knows it only by its id: grant it by id, or with "*".'
        )
    known = Counter(site.name.casefold() for site in sites if site.name)
    missing = [name for name in named if name.casefold() not in known]
    if missing:
        shown = ", ".join(quote(name, 80) for name in missing[:5])
        return (
            f"WIX_MCP_SITE_ACCESS names {'a site' if len(missing) == 1 else 'sites'} the account "
            f"does not have: {shown}; use the names list_wix_sites shows, or the sites' ids."
        )
    shared = [name for name in named if known[name.casefold()] > 1]
    if not shared:
        return None
    ids = ", ".join(s.id for s in sites if (s.name or "").casefold() == shared[0].casefold())
    return (
        f"WIX_MCP_SITE_ACCESS grants the site {quote(shared[0], 80)} by name, but "
        f"{known[shared[0].casefold()]} sites of the account have that name ({ids}): grant the "
        "one you mean by its id."
    )


@dataclass
class SiteAccess:
    """The policy in force and the file it came from. A reload that fails keeps the old one."""

    path: str
    policy: SitePolicy
    reloads: int = field(default=0)
    _reading: threading.Event | None = field(default=None, repr=False)  # set once read

    async def reload(self, sites_of: AccountSites | None) -> bool:
        """Read the file again and use it, if it is good; say why not otherwise. `sites_of`
        reads the account's sites (None for a server pinned to one site)."""
        try:
            policy = await self._read()
            sites = await sites_of() if sites_of is not None else None
            if problem := unknown_names(policy, sites):
                raise PolicyError(problem)
        except (PolicyError, WixApiError) as exc:
            log.error("%s The grants in force are kept.", exc)
            return False
        self.policy = policy
        self.reloads += 1
        log.warning("WIX_MCP_SITE_ACCESS reloaded: %d grants.", len(policy.grants))
        return True

    async def _read(self) -> SitePolicy:
        """The file's grants, read in a worker thread so that a file that never answers (a
        hung mount) cannot stop the server; given up after READ_SECONDS, and not read again
        while that read is still stuck."""
        source = f"WIX_MCP_SITE_ACCESS ({self.path})"
        if self._reading is not None and not self._reading.is_set():
            raise PolicyError(f"{source} is still being read from an earlier reload.")
        done = self._reading = threading.Event()

        def read() -> SitePolicy:
            try:
                return SitePolicy.load(self.path)
            finally:
                done.set()

        with anyio.move_on_after(READ_SECONDS):
            return await anyio.to_thread.run_sync(read, abandon_on_cancel=True)
        raise PolicyError(f"{source} could not be read within {READ_SECONDS:g} s.")


async def reload_on_hangup(access: SiteAccess, sites_of: AccountSites | None) -> None:
    """Read the grants again on each SIGHUP, for as long as the server runs. Signals reach only
    the main thread's loop: a server run in another thread (tests) reloads when told to."""
    if threading.current_thread() is not threading.main_thread():
        return
    with anyio.open_signal_receiver(signal.SIGHUP) as hangups:
        async for _ in hangups:
            try:
                await access.reload(sites_of)
            except Exception as exc:  # noqa: BLE001 - a bug here must not end the task group
                incident(exc, "reloading WIX_MCP_SITE_ACCESS")


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return "nested too deep" if isinstance(exc, RecursionError) else str(exc)
