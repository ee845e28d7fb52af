"""Tests of normalize_url and of the client's URL validation."""

import aiohttp
import pytest

from custom_components.pterodactyl.api import (
    PterodactylClient,
    PterodactylInvalidURLError,
    normalize_url,
)

from .common import API_KEY


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://panel.example.com", "https://panel.example.com"),
        ("https://panel.example.com/", "https://panel.example.com"),
        ("http://panel.example.com", "http://panel.example.com"),
        ("http://panel.example.com/", "http://panel.example.com"),
        ("https://example.com/pterodactyl", "https://example.com/pterodactyl"),
        ("https://example.com/pterodactyl/", "https://example.com/pterodactyl"),
        ("https://example.com/games/panel//", "https://example.com/games/panel"),
        ("HTTPS://Panel.Example.COM:8443/", "https://panel.example.com:8443"),
        ("  https://panel.example.com/\n", "https://panel.example.com"),
        ("http://192.168.1.20:8080", "http://192.168.1.20:8080"),
        ("http://[fd00::20]:8080/", "http://[fd00::20]:8080"),
        ("http://pterodactyl_panel", "http://pterodactyl_panel"),
        ("https://bücher.example/", "https://xn--bcher-kva.example"),
        ("https://panel.example.com./", "https://panel.example.com."),
    ],
)
def test_normalize_url_accepts(url: str, expected: str) -> None:
    """Accept http(s) URLs, dropping trailing slashes and keeping a sub-path."""
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "panel.example.com",
        "ftp://panel.example.com",
        "ws://panel.example.com",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "https:///panel",
        "https://admin:hunter2@panel.example.com",
        "https://admin@panel.example.com",
        "https://panel.example.com/?page=1",
        "https://panel.example.com/#servers",
        "https://panel.example.com:99999",
        "http://[::1",
        "https://pan el.example.com",
        "https://panel.exa$mple.com",
        "https://-panel.example.com",
        "https://panel..example.com",
        "not a url at all",
    ],
)
def test_normalize_url_rejects(url: str) -> None:
    """Refuse other schemes, credentials, queries, fragments and garbage."""
    with pytest.raises(PterodactylInvalidURLError):
        normalize_url(url)


def test_invalid_url_error_is_value_error() -> None:
    """Let callers that only know ValueError catch a bad URL."""
    with pytest.raises(ValueError, match="credentials"):
        normalize_url("https://user:secret@panel.example.com")


async def test_client_normalizes_and_validates_url(session: aiohttp.ClientSession) -> None:
    """Store the normalised URL and refuse a bad one before any request."""
    client = PterodactylClient("https://example.com/panel/", API_KEY, session=session)
    assert client.base_url == "https://example.com/panel"
    assert client.server_url("1a7ce997") == "https://example.com/panel/server/1a7ce997"
    assert client.account_url() == "https://example.com/panel/account"
    with pytest.raises(PterodactylInvalidURLError):
        PterodactylClient("ftp://example.com", API_KEY, session=session)
