"""Tests of what the client sends: headers, bodies, timeout, TLS and redirect settings."""

import logging
import traceback

import aiohttp
from aioresponses import aioresponses
import pytest

from custom_components.pterodactyl.api import (
    PowerSignal,
    PterodactylClient,
    PterodactylError,
    RateLimitStatus,
)

from .common import API_KEY, BASE_URL, SERVER_ID, api_url, error_body, load_json, only_call

RESOURCES_URL = api_url(f"servers/{SERVER_ID}/resources")


async def test_headers_timeout_tls_and_redirects_on_a_get(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Send the bearer key and JSON Accept, a timeout, verified TLS and no redirect following."""
    mock_panel.get(RESOURCES_URL, payload=load_json("pterodactyl_resources"))
    await client.get_utilization(SERVER_ID)
    kwargs = only_call(mock_panel, "GET", RESOURCES_URL)
    assert kwargs["headers"] == {
        "Authorization": f"Bearer {API_KEY}",
        "Accept": "application/json",
    }
    assert kwargs["json"] is None
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=10.0)
    assert kwargs["ssl"] is True
    assert kwargs["allow_redirects"] is False


@pytest.mark.parametrize("signal", list(PowerSignal))
async def test_power_signal_body(
    client: PterodactylClient, mock_panel: aioresponses, signal: PowerSignal
) -> None:
    """POST the signal as a JSON body, with the same headers and settings as a GET."""
    url = api_url(f"servers/{SERVER_ID}/power")
    mock_panel.post(url, status=204)
    await client.send_power_signal(SERVER_ID, signal)
    kwargs = only_call(mock_panel, "POST", url)
    assert kwargs["json"] == {"signal": signal.value}
    assert kwargs["headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert kwargs["headers"]["Accept"] == "application/json"
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=10.0)
    assert kwargs["allow_redirects"] is False


async def test_command_body(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """POST the console command verbatim as a JSON body."""
    url = api_url(f"servers/{SERVER_ID}/command")
    mock_panel.post(url, status=204)
    await client.send_command(SERVER_ID, 'say "hello" & goodbye')
    kwargs = only_call(mock_panel, "POST", url)
    assert kwargs["json"] == {"command": 'say "hello" & goodbye'}
    assert kwargs["ssl"] is True


async def test_list_requests_full_pages(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Ask for the largest page the panel allows, starting at page 1, with each server's egg."""
    url = api_url(page="1", per_page="100", include="egg")
    mock_panel.get(url, payload={"object": "list", "data": []})
    assert await client.list_servers() == []
    kwargs = only_call(mock_panel, "GET", url)
    assert kwargs["params"] == {"page": "1", "per_page": "100", "include": "egg"}


async def test_options_verify_ssl_and_timeout(
    session: aiohttp.ClientSession, mock_panel: aioresponses
) -> None:
    """Turn TLS verification off and use the given timeout when asked to."""
    client = PterodactylClient(
        BASE_URL, API_KEY, session=session, verify_ssl=False, request_timeout=3.5
    )
    mock_panel.get(api_url("account"), payload=load_json("pterodactyl_account"))
    await client.get_account()
    kwargs = only_call(mock_panel, "GET", api_url("account"))
    assert kwargs["ssl"] is False
    assert kwargs["timeout"] == aiohttp.ClientTimeout(total=3.5)


async def test_key_is_stripped_of_pasted_whitespace(
    session: aiohttp.ClientSession, mock_panel: aioresponses
) -> None:
    """Send a key pasted with a trailing newline without it (aiohttp refuses newlines)."""
    client = PterodactylClient(BASE_URL, f" {API_KEY}\n", session=session)
    mock_panel.get(api_url("account"), payload=load_json("pterodactyl_account"))
    await client.get_account()
    headers = only_call(mock_panel, "GET", api_url("account"))["headers"]
    assert headers["Authorization"] == f"Bearer {API_KEY}"


async def test_sub_path_panel_urls(
    session: aiohttp.ClientSession, mock_panel: aioresponses
) -> None:
    """Put the API under the panel's sub-path."""
    client = PterodactylClient("https://example.com/panel/", API_KEY, session=session)
    url = "https://example.com/panel/api/client/account"
    mock_panel.get(url, payload=load_json("pterodactyl_account"))
    await client.get_account()
    only_call(mock_panel, "GET", url)


async def test_rate_limit_headers(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read X-RateLimit-Limit and -Remaining from answers other than 429; keep them when absent."""
    assert client.rate_limit == RateLimitStatus(limit=None, remaining=None)
    mock_panel.get(
        RESOURCES_URL,
        payload=load_json("pterodactyl_resources"),
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "719"},
    )
    await client.get_utilization(SERVER_ID)
    assert client.rate_limit == RateLimitStatus(limit=720, remaining=719)

    # A response without the headers (a proxy's, a cached one) says nothing new.
    mock_panel.get(RESOURCES_URL, payload=load_json("pterodactyl_resources"))
    await client.get_utilization(SERVER_ID)
    assert client.rate_limit == RateLimitStatus(limit=720, remaining=719)

    mock_panel.get(
        RESOURCES_URL,
        status=429,
        payload=error_body("ThrottleRequestsException", 429, "Too Many Attempts."),
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "0", "Retry-After": "9"},
    )
    with pytest.raises(PterodactylError):
        await client.get_utilization(SERVER_ID)
    # A 429's headers may be a route's own, smaller limit: the account's limit stays as read.
    assert client.rate_limit == RateLimitStatus(limit=720, remaining=719)

    # Garbage in one header does not hide the other.
    mock_panel.get(
        RESOURCES_URL,
        payload=load_json("pterodactyl_resources"),
        headers={"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "12"},
    )
    await client.get_utilization(SERVER_ID)
    assert client.rate_limit == RateLimitStatus(limit=None, remaining=12)


async def test_key_never_in_repr_errors_or_logs(
    client: PterodactylClient, mock_panel: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    """Keep the key out of repr(client), the errors (with their causes) and the debug log."""
    caplog.set_level(logging.DEBUG)
    mock_panel.get(
        api_url("account"),
        status=401,
        payload=error_body("AuthenticationException", 401, "Unauthenticated."),
    )
    mock_panel.get(RESOURCES_URL, exception=aiohttp.ClientConnectionError("reset by peer"))
    mock_panel.get(RESOURCES_URL, payload=load_json("pterodactyl_resources"))
    errors: list[PterodactylError] = []
    for call in (client.get_account, lambda: client.get_utilization(SERVER_ID)):
        with pytest.raises(PterodactylError) as excinfo:
            await call()
        errors.append(excinfo.value)
    await client.get_utilization(SERVER_ID)

    assert API_KEY not in repr(client)
    assert BASE_URL in repr(client)
    for err in errors:
        rendered = "".join(traceback.format_exception(err))
        assert API_KEY not in rendered
        assert API_KEY not in repr(err)
        assert API_KEY not in str(err)
    # The log has the requests (so the check below looks at something) but not the key.
    assert f"GET {api_url('account')} -> HTTP 401" in caplog.text
    assert f"GET {RESOURCES_URL} -> HTTP 200" in caplog.text
    assert API_KEY not in caplog.text
    assert all(API_KEY not in str(record.args) for record in caplog.records)


async def test_identifier_is_escaped_in_the_path(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Escape a server identifier from the panel so it cannot reach another route."""
    url = api_url("servers/..%2Faccount/power")
    mock_panel.post(url, status=204)
    await client.send_power_signal("../account", PowerSignal.START)
    only_call(mock_panel, "POST", url)
