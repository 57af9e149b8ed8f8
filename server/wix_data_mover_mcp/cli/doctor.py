"""`doctor`: every check of the settings, the sign-in and the access to Wix, each ✓ or ✗ with
the fix under each failure; exit 0 only when all pass, 2 when the settings stop it from asking
Wix at all, 1 when Wix (or the identity provider) says no."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import anyio
import httpx
from pydantic import ValidationError

from ..config import API_KEYS_URL, Settings, describe_validation_error
from ..errors import WixApiError
from ..wix.client import WixDataMoverClient, create_http_client
from .output import print_text, styled
from .wording import Say

if TYPE_CHECKING:
    from ..tools.access import SitePolicy

BAD_SETTINGS = 2  # the command line's exit code for bad usage or settings


def lenient_settings() -> tuple[Settings, list[tuple[str, str]]]:
    """The settings with each invalid one left at its default, and what was wrong with each."""
    try:
        return Settings(), []
    except ValidationError as exc:
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        defaults = {name: Settings.model_fields[name].default for name in bad}
        problems = [
            (f"WIX_{name.upper()} is not valid", describe_validation_error(exc, only=name))
            for name in sorted(bad)
        ]
        return Settings(**defaults), problems


async def doctor(settings: Settings, problems: list[tuple[str, str]], *, demo: bool) -> int:
    """Every check, ✓ or ✗ with the fix under each failure; exit 0 only when all pass."""
    signing_in = await _oauth_checks()
    wix = await _wix_checks(settings, problems, demo=demo)
    access = await _site_access_checks(settings) if not problems else 0
    return max(wix, signing_in, access)


async def _site_access_checks(settings: Settings) -> int:
    """With WIX_MCP_SITE_ACCESS: the file, that OAuth is on, and the site names it uses."""
    from ..serve.auth import OAuthConfigError, load_oauth_settings
    from ..tools.access import PolicyError, SitePolicy

    path = os.environ.get("WIX_MCP_SITE_ACCESS", "").strip()
    if not path:
        return 0
    try:
        policy = SitePolicy.load(path)
    except PolicyError as exc:
        _check(False, "WIX_MCP_SITE_ACCESS cannot be used", str(exc))
        return BAD_SETTINGS
    try:
        oauth = load_oauth_settings()
    except OAuthConfigError:
        oauth = None  # reported by the OAuth checks
    if oauth is None:
        _check(
            False,
            "WIX_MCP_SITE_ACCESS is set, but OAuth is not",
            "Site access is per signed-in person: set WIX_MCP_OAUTH_ISSUER and "
            "WIX_MCP_PUBLIC_URL, and serve with --transport http.",
        )
        return BAD_SETTINGS
    try:
        problem = await site_names_problem(settings, policy)
    except WixApiError as exc:
        _check(False, "The site names in WIX_MCP_SITE_ACCESS could not be checked", str(exc))
        return 1
    grants = len(policy.grants)
    _check(
        problem is None,
        f"WIX_MCP_SITE_ACCESS ({path}) holds {grants} grant{'s' * (grants != 1)}"
        + (", and every site it names exists" if policy.named_sites() else ""),
        problem or "",
    )
    return 0 if problem is None else BAD_SETTINGS


async def site_names_problem(settings: Settings, policy: SitePolicy) -> str | None:
    """Why the grants name a site the account does not have, or None; a WixApiError when
    the account's sites cannot be read."""
    from ..tools.access import unknown_names
    from ..wix.sites import fetch_sites

    if not settings.account_id:
        return unknown_names(policy, None)
    if not policy.named_sites():
        return None
    async with WixDataMoverClient(create_http_client(settings), settings) as client:
        return unknown_names(policy, await fetch_sites(client))


async def _oauth_checks() -> int:
    """With WIX_MCP_OAUTH_* set (HTTP sign-in): the settings, and the provider's keys."""
    from ..serve.auth import OAuthConfigError, load_oauth_settings

    try:
        oauth = load_oauth_settings()
    except OAuthConfigError as exc:
        _check(False, "The OAuth settings are not valid", str(exc))
        return BAD_SETTINGS
    if oauth is None:
        return 0
    from ..serve.oauth import IssuerKeys

    keys = IssuerKeys(oauth.issuer)
    try:
        await keys.refresh()
    except (httpx.HTTPError, OAuthConfigError, ValueError) as exc:
        _check(
            False,
            f"The identity provider {oauth.issuer} does not publish its signing keys",
            f"{exc}. Check WIX_MCP_OAUTH_ISSUER: it must be the issuer exactly as tokens name it.",
        )
        return 1
    _check(
        keys.count > 0,
        f"The identity provider {oauth.issuer} publishes {keys.count} signing key(s); tokens "
        f"must be for {oauth.audience}",
        "Its key set has no signing key this server can use (RSA or EC).",
    )
    return 0 if keys.count else 1


async def _wix_checks(settings: Settings, problems: list[tuple[str, str]], *, demo: bool) -> int:
    if demo:
        _check(True, f"Demo mode: the built-in emulator at {settings.base_url} stands in for Wix")
    else:
        for text, fix in problems:
            _check(False, text, fix)
        checks = _setting_checks(settings, skip={text.split()[0] for text, _ in problems})
        for passed, text, fix in checks:
            _check(passed, text, fix)
        if problems or not all(passed for passed, _, _ in checks):
            _check(False, "Wix was not asked", "Fix the settings above first, then run again.")
            return BAD_SETTINGS
    http = create_http_client(settings)
    if settings.account_id:
        async with WixDataMoverClient(http, settings) as client:
            return await _account_access(client, demo=demo)
    async with WixDataMoverClient(http, settings) as client:
        try:
            body = await client.query_jobs(limit=1)
        except WixApiError as exc:
            return _report_access(exc)
    for text in (
        "Wix is reachable",
        "Wix accepts the API key",
        "The key may read data movement jobs",
    ):
        _check(True, text)
    has = "has data movement jobs" if body["jobs"] else "has no data movement jobs yet"
    site = "The demo site" if demo else f"Site {settings.site_id or '(named by the token)'}"
    _check(True, f"{site} {has}")
    return 0


async def _account_access(client: WixDataMoverClient, *, demo: bool) -> int:
    """Account mode: the account-level call, then whether each site's jobs can be read. The
    demo's account has one site its key does not cover, on purpose: not a failure there."""
    from ..wix.sites import Site, fetch_sites

    hidden: str | None = None
    if demo:
        from ..emulator.seed import HIDDEN_SITE_ID as hidden

    try:
        sites = await fetch_sites(client)
    except WixApiError as exc:
        return _report_access(exc)
    _check(True, "Wix is reachable")
    _check(True, "Wix accepts the API key")
    _check(True, f"The key has account-level access: it covers {len(sites)} sites")
    unreadable: list[Site] = []
    limiter = anyio.CapacityLimiter(8)

    async def probe(site: Site) -> None:
        async with limiter:
            try:
                await client.query_jobs(limit=1, site=site.id)
            except WixApiError:
                unreadable.append(site)

    async with anyio.create_task_group() as group:
        for site in sites:
            group.start_soon(probe, site)
    readable = len(sites) - len(unreadable)
    on_purpose = [site for site in unreadable if site.id == hidden]
    failed = [site for site in unreadable if site not in on_purpose]
    names = ", ".join(site.label() for site in failed[:5])
    text = f"The key reads data movement jobs on {readable} of {len(sites)} sites"
    if on_purpose and not failed:
        text += f"; the demo's key leaves out {on_purpose[0].label()} on purpose"
    them = "them" if len(failed) > 1 else "it"
    _check(
        not failed,
        text,
        f"Not readable: {names}. Add {them} to the key, with the 'Data Mover Manage Jobs' "
        f"permission, at {API_KEYS_URL}.",
    )
    if on_purpose and not failed:
        site = Say(demo=True, site=on_purpose[0].name or on_purpose[0].id)
        print_text(
            "It shows what a site the key does not cover looks like: "
            f"{site.command('jobs')} answers 403 with the fix, "
            f'{site.command("jobs", "--all-sites", site=False)} lists it under "could not be '
            'read", and with a real key this check fails, with the fix: add the site to the key.',
            indent="    ",
            subsequent="    ",
        )
    return 1 if failed else 0


def _setting_checks(settings: Settings, *, skip: set[str]) -> list[tuple[bool, str, str]]:
    """Checks of the settings, leaving out those already reported invalid (by variable)."""
    key = settings.api_key.get_secret_value() if settings.api_key else ""
    checks = [
        (
            bool(key),
            "WIX_API_KEY is set" if key else "WIX_API_KEY is not set",
            f"Create an API key at {API_KEYS_URL} and set WIX_API_KEY to it.",
        ),
        (
            len(key) >= 20,
            f"WIX_API_KEY looks like a key ({len(key)} characters)"
            if len(key) >= 20
            else f"WIX_API_KEY is too short to be a key ({len(key)} characters)",
            "Paste the whole key as Wix shows it; keys are long and start with 'IST.'.",
        ),
        (
            bool(settings.site_id or settings.account_id),
            f"WIX_SITE_ID is {settings.site_id}"
            if settings.site_id
            else (
                f"WIX_ACCOUNT_ID is {settings.account_id} (every site of the account)"
                if settings.account_id
                else "WIX_SITE_ID is not set"
            ),
            "Set it to the site's id: the GUID after /dashboard/ in the site's dashboard URL "
            "(or set WIX_ACCOUNT_ID for every site of the account).",
        ),
        (True, f"WIX_API_BASE_URL is {settings.base_url}", ""),
    ]
    if not key:  # "not set" above says it; a length of 0 would say it twice
        checks.pop(1)
    return [check for check in checks if check[1].split()[0] not in skip]


def _report_access(error: WixApiError) -> int:
    status = error.status
    reachable = status is not None
    _check(reachable, "Wix is reachable" if reachable else "Wix is not reachable", str(error))
    if reachable:
        accepted = status != 401
        text = "Wix accepts the API key" if accepted else "Wix does not accept the API key"
        _check(accepted, text, "" if accepted else str(error))
        if accepted:
            _check(False, "The key may not read data movement jobs on this site", str(error))
    return 1


def _check(passed: bool, text: str, fix: str = "") -> None:
    print(f"{styled('✓', 'green') if passed else styled('✗', 'red')} {text}")
    if not passed and fix:
        print_text(fix, indent="    Fix: ", subsequent="    ")
