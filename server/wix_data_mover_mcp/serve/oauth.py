"""Access tokens from the team's identity provider, checked as JWTs.

The server is a resource server only: the identity provider signs people in and issues tokens;
this module checks a token's signature against the provider's published keys (found through its
RFC 8414 or OpenID Connect metadata), its issuer, audience, expiry and not-before, and reads its
scopes. PyJWT does the JOSE work; the keys are fetched here with httpx, cached, and fetched again
when a token names a key not seen yet (a rotation), at most once per KEY_REFETCH_SECONDS.
Imported only when OAuth is on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import anyio
import httpx
import jwt
from mcp.server.auth.provider import AccessToken

from .auth import OAuthConfigError, OAuthSettings

log = logging.getLogger(__name__)

# Asymmetric algorithms only: a shared-secret (HS*) or unsigned ("none") token is never accepted.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 30
KEY_REFETCH_SECONDS = 30
FETCH_TIMEOUT_SECONDS = 10
MAX_METADATA_BYTES = 256 * 1024


def metadata_urls(issuer: str) -> list[str]:
    """Where an issuer publishes its metadata: RFC 8414 (the well-known segment before the
    issuer's path), then OpenID Connect Discovery (after it)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        f"{origin}/.well-known/oauth-authorization-server{path}",
        f"{origin}{path}/.well-known/openid-configuration",
    ]


@dataclass
class IssuerKeys:
    """The issuer's signing keys, found through its metadata and cached by key id."""

    issuer: str
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict[str, jwt.PyJWK])
    _jwks_uri: str | None = None
    _fetched_at: float | None = None
    _lock: anyio.Lock = field(default_factory=anyio.Lock)

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        if (found := self._find(kid)) is not None:
            return found
        async with self._lock:
            if (found := self._find(kid)) is not None:
                return found
            recent = self._fetched_at is not None and (
                self.clock() - self._fetched_at < KEY_REFETCH_SECONDS
            )
            if recent:
                return None  # an unknown key id again so soon: not a rotation, refuse
            try:
                await self.refresh()
            except (httpx.HTTPError, OAuthConfigError, ValueError) as exc:
                log.warning("Could not fetch the signing keys of %s: %s", self.issuer, exc)
                self._fetched_at = self.clock()
                return None
            return self._find(kid)

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    @property
    def count(self) -> int:
        """How many signing keys the last fetch found."""
        return len(self._keys)

    async def refresh(self) -> None:
        """Fetch the issuer's metadata (once) and its keys now."""
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as http:
            if self._jwks_uri is None:
                self._jwks_uri = await self._discover(http)
            jwks = await _get_object(http, self._jwks_uri)
        listed = jwks.get("keys")
        entries = cast("list[Any]", listed) if isinstance(listed, list) else []
        keys: dict[str, jwt.PyJWK] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            jwk = cast("dict[str, Any]", entry)
            if jwk.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK.from_dict(jwk)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue  # a key type this library cannot use; the others still work
            keys[str(jwk.get("kid", len(keys)))] = key
        self._keys = keys
        self._fetched_at = self.clock()

    async def _discover(self, http: httpx.AsyncClient) -> str:
        for url in metadata_urls(self.issuer):
            try:
                metadata = await _get_object(http, url)
            except httpx.HTTPStatusError:
                continue
            if metadata.get("issuer") != self.issuer:
                raise OAuthConfigError(f"the metadata at {url} names another issuer")
            jwks_uri = metadata.get("jwks_uri")
            if isinstance(jwks_uri, str) and jwks_uri.startswith(("https://", "http://")):
                return jwks_uri
            raise OAuthConfigError(f"the metadata at {url} has no jwks_uri")
        raise OAuthConfigError("the issuer publishes no OAuth or OpenID Connect metadata")


async def _get_object(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    async with http.stream("GET", url, headers={"accept": "application/json"}) as response:
        response.raise_for_status()
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_METADATA_BYTES:
                raise ValueError(f"{url} answered more than {MAX_METADATA_BYTES} bytes")
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError(f"{url} answered something other than a JSON object")
    return cast("dict[str, Any]", data)


class JwtVerifier:
    """The SDK's TokenVerifier for JWT access tokens from one issuer, for one audience."""

    def __init__(self, settings: OAuthSettings, keys: IssuerKeys | None = None) -> None:
        self.issuer = settings.issuer
        self.audience = settings.audience
        self.resource = settings.resource
        self.keys = keys or IssuerKeys(settings.issuer)

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            return None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            return None
        kid = header.get("kid")
        key = await self.keys.key(kid if isinstance(kid, str) else None)
        if key is None:
            return None
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            log.info("Refused an access token: %s", type(exc).__name__)
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or ""),
            scopes=token_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=self.resource,
            subject=str(claims["sub"]) if "sub" in claims else None,
            claims=dict(claims),  # WIX_MCP_SITE_ACCESS matches its grants against them
        )


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """`scope` (RFC 9068, space-separated) or `scp` (a list, as some providers send it)."""
    raw = claims.get("scope") or claims.get("scp") or ""
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list):
        return [str(item) for item in cast("list[Any]", raw)]
    return []
