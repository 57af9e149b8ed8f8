"""Settings from the environment (WIX_*), validated once at start-up."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, HttpUrl, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

GUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
GUID_EXAMPLE = "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60"
API_KEYS_URL = "https://manage.wix.com/account/api-keys"

_GUID = re.compile(GUID_PATTERN)


def is_guid(value: str) -> bool:
    return bool(_GUID.fullmatch(value))


def _guid_or_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not is_guid(value):
        raise ValueError(f"must be a GUID like {GUID_EXAMPLE}")
    return value.lower()


def _key_or_none(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value().strip():
        return None
    key = value.get_secret_value().strip()
    if any(ch.isspace() for ch in key):
        raise ValueError("must be one token with no spaces (paste the key exactly as Wix shows it)")
    return SecretStr(key)


def https_unless_local(url: HttpUrl) -> HttpUrl:
    """The key travels in a header: plain http only to this machine (the emulator)."""
    if url.scheme != "https" and url.host not in ("localhost", "127.0.0.1", "[::1]", "::1"):
        raise ValueError("must use https (plain http is allowed only for localhost)")
    return url


def _redis_url_or_none(value: SecretStr | None) -> SecretStr | None:
    if value is None or not value.get_secret_value().strip():
        return None
    url = value.get_secret_value().strip()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return SecretStr(url)


MIN_STATE_KEY_BYTES = 32


def state_keys(value: SecretStr | None) -> list[str]:
    """WIX_MCP_REQUEST_STATE_KEY as its keys: the first seals, every one unseals (rotation)."""
    if value is None:
        return []
    return [key.strip() for key in value.get_secret_value().split(",") if key.strip()]


def _state_key_or_none(value: SecretStr | None) -> SecretStr | None:
    keys = state_keys(value)
    if not keys:
        return None
    if any(len(key.encode()) < MIN_STATE_KEY_BYTES for key in keys):
        raise ValueError(f"each key must be at least {MIN_STATE_KEY_BYTES} bytes long")
    return SecretStr(",".join(keys))


OptionalGuid = Annotated[str | None, AfterValidator(_guid_or_none)]


class Settings(BaseSettings):
    """Connection to the Wix REST API. Every field maps to a WIX_* environment variable."""

    # An empty variable counts as unset: hosts fill a setting the user left blank with "".
    model_config = SettingsConfigDict(
        env_prefix="WIX_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    api_key: Annotated[SecretStr | None, AfterValidator(_key_or_none)] = None
    site_id: OptionalGuid = None
    account_id: OptionalGuid = None
    api_base_url: Annotated[HttpUrl, AfterValidator(https_unless_local)] = HttpUrl(
        "https://www.wixapis.com"
    )
    api_timeout: float = Field(default=10.0, gt=0, le=120)
    allow_terminate: bool = False
    allow_writes: bool = False  # retry_data_movement_job (and terminate)
    # Wix allows 200 requests a minute per app instance (the Data Mover API reference's rate
    # limits): stay below it, so one busy team never uses up the site's limit for everyone.
    rate_limit_per_minute: int = Field(default=150, ge=1, le=1_000_000)
    job_cache_seconds: float = Field(default=1.0, ge=0, le=60)
    mcp_redis_url: Annotated[SecretStr | None, AfterValidator(_redis_url_or_none)] = None
    # Seals the state of a question to the person between rounds, so any instance can resume it.
    mcp_request_state_key: Annotated[SecretStr | None, AfterValidator(_state_key_or_none)] = None

    @property
    def base_url(self) -> str:
        return str(self.api_base_url).rstrip("/")


class SettingsError(Exception):
    """The environment holds a setting that cannot work; the text names it and says what to do."""


# What each setting must be, in our words: said in place of pydantic's own when a value
# cannot be read (a number that is not one, out of bounds, not true or false, not a URL).
_RULES = {
    "api_key": "must be one token with no spaces",
    "site_id": f"must be a GUID like {GUID_EXAMPLE}",
    "account_id": f"must be a GUID like {GUID_EXAMPLE}",
    "api_base_url": "must be a full URL such as https://www.wixapis.com",
    "api_timeout": "must be a number of seconds above 0 and at most 120 (default 10)",
    "allow_terminate": "must be true or false",
    "allow_writes": "must be true or false",
    "rate_limit_per_minute": "must be a whole number of requests a minute, from 1 to "
    "1,000,000 (default 150)",
    "job_cache_seconds": "must be a number of seconds from 0 to 60 (default 1)",
    "mcp_redis_url": "must be a redis://, rediss:// or unix:// URL",
    "mcp_request_state_key": f"must be keys of at least {MIN_STATE_KEY_BYTES} bytes, "
    "separated by commas",
}
# What to do about it, where there is more to say than the rule.
_HINTS = {
    "api_key": f"Create an API key at {API_KEYS_URL}.",
    "site_id": "Copy the site id from the site's dashboard URL: the GUID after /dashboard/.",
    "account_id": f"Copy the account id from {API_KEYS_URL}.",
    "api_base_url": "Unset it to use Wix's own.",
    "mcp_redis_url": "Use a URL such as redis://localhost:6379/0, or unset it.",
    "mcp_request_state_key": "Make one with openssl rand -hex 32; to rotate, put the new key "
    "first and keep the old one after a comma for ten minutes.",
}


def load_settings() -> Settings:
    """Read the WIX_* variables, turning a validation failure into one readable SettingsError."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError, *, only: str | None = None) -> str:
    problems: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        if only is not None and field != only:
            continue
        # Our own validators' reasons are already ours; pydantic's are replaced by the rule.
        ours = error["type"] == "value_error"
        reason = error["msg"].removeprefix("Value error, ") if ours else None
        reason = reason or _RULES.get(field, "is not valid")
        problems.append(f"WIX_{field.upper()}: {reason}. {_HINTS.get(field, '')}".strip())
    text = " ".join(problems)
    return text if only is not None else "Invalid configuration. " + text
