"""A test identity provider on loopback: RSA keys made at test time, its metadata and JWKS
served over HTTP, and access tokens signed the way a real provider signs them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wix_data_mover_mcp.serve.http_server import BackgroundServer


@cache
def pooled_key(number: int) -> RSAPrivateKey:
    """RSA keys made at test time, once per number and process (making one takes a while)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SigningKey:
    kid: str
    private: RSAPrivateKey = field(default_factory=lambda: pooled_key(0))

    def jwk(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return public | {"kid": self.kid, "use": "sig", "alg": "RS256"}


class TestIssuer(BackgroundServer):
    """Serves /.well-known/oauth-authorization-server (or only the OpenID Connect document)
    and /jwks; `published` is what the JWKS lists now, so a test can rotate keys."""

    __test__ = False

    def __init__(self, *, openid_only: bool = False) -> None:
        self.keys = [SigningKey("key-1")]
        self.published: list[SigningKey] = list(self.keys)
        self.jwks_requests = 0
        routes = [Route("/jwks", self._jwks)]
        well_known = "openid-configuration" if openid_only else "oauth-authorization-server"
        if openid_only:
            routes.append(Route("/tenant/.well-known/openid-configuration", self._metadata))
        else:
            routes.append(Route(f"/.well-known/{well_known}/tenant", self._metadata))
        super().__init__(Starlette(routes=routes))
        self.issuer = f"{self.url}/tenant"

    async def _metadata(self, _: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
            }
        )

    async def _jwks(self, _: Request) -> Response:
        self.jwks_requests += 1
        return JSONResponse({"keys": [key.jwk() for key in self.published]})

    def rotate(self) -> SigningKey:
        """A new signing key replaces the old one in the JWKS."""
        key = SigningKey(f"key-{len(self.keys) + 1}", pooled_key(len(self.keys)))
        self.keys.append(key)
        self.published = [key]
        return key

    def token(
        self,
        audience: str,
        *,
        scope: str = "wix-data-mover:read",
        key: SigningKey | None = None,
        lifetime: float = 300,
        not_before: float | None = None,
        subject: str = "ana@example.com",
        **claims: Any,
    ) -> str:
        now = time.time()
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "client_id": "claude-desktop",
            "scope": scope,
            "iat": int(now),
            "exp": int(now + lifetime),
            "jti": str(uuid.uuid4()),
        }
        if not_before is not None:
            payload["nbf"] = int(now + not_before)
        payload |= claims
        signer = key or self.published[0]
        return jwt.encode(payload, signer.private, algorithm="RS256", headers={"kid": signer.kid})
