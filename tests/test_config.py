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
        "the GUID after /dashboard/. WIX_API_BASE_URL: Input should be a valid URL, relative URL "
        "without a base. Use a full URL such as https://www.wixapis.com, or unset it. "
        "WIX_API_TIMEOUT: Input should be greater than 0. Give the seconds per request, a number "
        "above 0 and at most 120 (default 10)."
    )


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
