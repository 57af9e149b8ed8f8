from __future__ import annotations

import pytest

from wix_data_mover_mcp.config import Settings, SettingsError, load_settings

from . import payloads


def test_settings_come_from_wix_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIX_API_KEY", f"  {payloads.API_KEY}\n")
    monkeypatch.setenv("WIX_SITE_ID", payloads.SITE_ID.upper())
    monkeypatch.setenv("WIX_API_BASE_URL", "http://127.0.0.1:8123/")
    monkeypatch.setenv("WIX_API_TIMEOUT", "2.5")
    settings = load_settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == payloads.API_KEY
    assert settings.site_id == payloads.SITE_ID
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.api_timeout == 2.5


def test_defaults_need_nothing_set():
    settings = load_settings()
    assert settings.api_key is None and settings.site_id is None
    assert settings.base_url == "https://www.wixapis.com"
    assert settings.api_timeout == 10


def test_blank_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIX_API_KEY", "   ")
    monkeypatch.setenv("WIX_SITE_ID", "")
    settings = load_settings()
    assert settings.api_key is None and settings.site_id is None


def test_malformed_settings_are_named_with_the_fix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIX_SITE_ID", "my-site")
    monkeypatch.setenv("WIX_API_TIMEOUT", "0")
    monkeypatch.setenv("WIX_API_BASE_URL", "wixapis")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == (
        "Invalid configuration. WIX_SITE_ID: must be a GUID like "
        "0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60. Copy the site id from the site's dashboard URL: "
        "the GUID after /dashboard/. WIX_API_BASE_URL: must be a full URL such as "
        "https://www.wixapis.com. Unset it to use Wix's own. WIX_API_TIMEOUT: must be a number "
        "of seconds above 0 and at most 120 (default 10)."
    )


TIMEOUT_RULE = "must be a number of seconds above 0 and at most 120 (default 10)."
RATE_RULE = "must be a whole number of requests a minute, from 1 to 1,000,000 (default 150)."
GUID_RULE = "must be a GUID like 0a3c5f2e-8b1d-4c6e-9f7a-1b2c3d4e5f60."
BAD_VALUES = [
    (
        "WIX_API_KEY",
        "IST.abc def",
        "must be one token with no spaces (paste the key exactly as "
        "Wix shows it). Create an API key at https://manage.wix.com/account/api-keys.",
    ),
    (
        "WIX_SITE_ID",
        "my-site",
        f"{GUID_RULE} Copy the site id from the site's dashboard URL: the GUID after /dashboard/.",
    ),
    (
        "WIX_ACCOUNT_ID",
        "42",
        f"{GUID_RULE} Copy the account id from https://manage.wix.com/account/api-keys.",
    ),
    (
        "WIX_API_BASE_URL",
        "wixapis",
        "must be a full URL such as https://www.wixapis.com. Unset it to use Wix's own.",
    ),
    ("WIX_API_TIMEOUT", "soon", TIMEOUT_RULE),
    ("WIX_API_TIMEOUT", "0", TIMEOUT_RULE),
    ("WIX_API_TIMEOUT", "121", TIMEOUT_RULE),
    ("WIX_ALLOW_TERMINATE", "maybe", "must be true or false."),
    ("WIX_ALLOW_WRITES", "2", "must be true or false."),
    ("WIX_RATE_LIMIT_PER_MINUTE", "1.5", RATE_RULE),
    ("WIX_RATE_LIMIT_PER_MINUTE", "0", RATE_RULE),
    ("WIX_JOB_CACHE_SECONDS", "a minute", "must be a number of seconds from 0 to 60 (default 1)."),
    ("WIX_JOB_CACHE_SECONDS", "61", "must be a number of seconds from 0 to 60 (default 1)."),
    (
        "WIX_MCP_REDIS_URL",
        "localhost:6379",
        "must be a redis://, rediss:// or unix:// URL. Use a "
        "URL such as redis://localhost:6379/0, or unset it.",
    ),
    (
        "WIX_MCP_REQUEST_STATE_KEY",
        "short",
        "each key must be at least 32 bytes long. Make one "
        "with openssl rand -hex 32; to rotate, put the new key first and keep the old one after a "
        "comma for ten minutes.",
    ),
]


@pytest.mark.parametrize(
    ("name", "value", "said"), BAD_VALUES, ids=[f"{name}={value}" for name, value, _ in BAD_VALUES]
)
def test_every_setting_that_cannot_work_is_said_in_our_own_words(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == f"Invalid configuration. {name}: {said}"


def test_the_bad_values_above_cover_every_setting():
    assert {name for name, _, _ in BAD_VALUES} == {
        f"WIX_{field.upper()}" for field in Settings.model_fields
    }


def test_a_key_with_spaces_inside_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIX_API_KEY", "IST.abc def-secret")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "WIX_API_KEY: must be one token with no spaces" in str(caught.value)
    assert "secret" not in str(caught.value)


def test_the_key_never_shows_in_the_settings_repr():
    settings = Settings(api_key=payloads.API_KEY)  # pyright: ignore[reportArgumentType]
    assert payloads.API_KEY not in repr(settings) and payloads.API_KEY not in str(settings)


def test_the_key_is_never_sent_over_plain_http_to_another_machine(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("WIX_API_BASE_URL", "http://wixapis.example.com")
    with pytest.raises(
        SettingsError,
        match=r"WIX_API_BASE_URL: must use https \(plain http is allowed only for localhost\)",
    ):
        load_settings()
    for local in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        monkeypatch.setenv("WIX_API_BASE_URL", local)
        assert load_settings().base_url == local
