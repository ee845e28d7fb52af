"""Tests of power signals, console commands and websocket credentials on every flavour."""

from typing import Any

from aioresponses import aioresponses
import pytest

from custom_components.pterodactyl.api import (
    PowerSignal,
    PterodactylClient,
    PterodactylInvalidResponseError,
    PterodactylNotFoundError,
    PterodactylServerOfflineError,
    WebsocketCredentials,
)

from .common import SERVER_ID, api_url, error_body, load_json, load_text, only_call

POWER_URL = api_url(f"servers/{SERVER_ID}/power")
COMMAND_URL = api_url(f"servers/{SERVER_ID}/command")
WEBSOCKET_URL = api_url(f"servers/{SERVER_ID}/websocket")


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (204, ""),  # Pterodactyl 1.x and Pelican
        (200, ""),  # 0.7 answers an empty 200
        (200, '{"object": "ok"}'),
    ],
)
async def test_power_success(
    client: PterodactylClient, mock_panel: aioresponses, status: int, body: str
) -> None:
    """Accept any 2xx answer to a power signal."""
    mock_panel.post(POWER_URL, status=status, body=body)
    await client.send_power_signal(SERVER_ID, PowerSignal.RESTART)
    assert only_call(mock_panel, "POST", POWER_URL)["json"] == {"signal": "restart"}


async def test_power_refuses_a_login_page(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Not report success when a proxy answered 200 with its login page."""
    mock_panel.post(POWER_URL, body=load_text("login_page.html"), content_type="text/html")
    with pytest.raises(PterodactylInvalidResponseError, match="text/html"):
        await client.send_power_signal(SERVER_ID, PowerSignal.START)


@pytest.mark.parametrize("status", [204, 200])
async def test_command_success(
    client: PterodactylClient, mock_panel: aioresponses, status: int
) -> None:
    """Send a command; Pelican answers 204 even for an offline server."""
    mock_panel.post(COMMAND_URL, status=status)
    await client.send_command(SERVER_ID, "say hi")
    assert only_call(mock_panel, "POST", COMMAND_URL)["json"] == {"command": "say hi"}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (412, error_body("PreconditionFailedHttpException", 412, "Server is not online.")),
        (502, error_body("HttpException", 502, "Server must be online in order to send commands.")),
    ],
    ids=["legacy-0.7", "pterodactyl-1.x"],
)
async def test_command_to_offline_server(
    client: PterodactylClient, mock_panel: aioresponses, status: int, body: dict[str, Any]
) -> None:
    """Report an offline server the way each generation says it."""
    mock_panel.post(COMMAND_URL, status=status, payload=body)
    with pytest.raises(PterodactylServerOfflineError) as excinfo:
        await client.send_command(SERVER_ID, "list")
    assert excinfo.value.status == status
    assert excinfo.value.detail == body["errors"][0]["detail"]


@pytest.mark.parametrize(
    "socket_url",
    [
        "wss://node01.example.com:8080/api/servers/1a7ce997-259b-452e-8b4e-cecc464142ca/ws",
        "ws://10.0.0.5:8080/api/servers/9f3b2c1d-8e7f-4a6b-9c5d-4e3f2a1b0c9d/ws",
    ],
)
async def test_websocket_credentials(
    client: PterodactylClient, mock_panel: aioresponses, socket_url: str
) -> None:
    """Read the token and the ws:// or wss:// URL from the bare data object."""
    payload = load_json("websocket")
    payload["data"]["socket"] = socket_url
    mock_panel.get(WEBSOCKET_URL, payload=payload)
    assert await client.get_websocket_credentials(SERVER_ID) == WebsocketCredentials(
        token=payload["data"]["token"], socket_url=socket_url
    )


@pytest.mark.parametrize(
    "data",
    [
        {"socket": "https://node01.example.com:8080/api/servers/x/ws"},
        {"socket": "wss://"},
        {"socket": "wss:///api/servers/x/ws"},
        {"socket": "ws://[::1/ws"},
        {"socket": "node01.example.com/ws"},
        {"socket": ""},
        {"socket": None},
        {"token": ""},
        {"token": None},
    ],
)
async def test_websocket_credentials_invalid(
    client: PterodactylClient, mock_panel: aioresponses, data: dict[str, Any]
) -> None:
    """Refuse a socket that is not a ws(s) URL with a host, or a missing token."""
    payload = load_json("websocket")
    payload["data"].update(data)
    mock_panel.get(WEBSOCKET_URL, payload=payload)
    with pytest.raises(PterodactylInvalidResponseError, match="websocket"):
        await client.get_websocket_credentials(SERVER_ID)


async def test_websocket_credentials_wrapped_in_attributes(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Refuse an answer without the data object."""
    mock_panel.get(WEBSOCKET_URL, payload={"object": "websocket", "attributes": {}})
    with pytest.raises(PterodactylInvalidResponseError, match="websocket"):
        await client.get_websocket_credentials(SERVER_ID)


async def test_websocket_on_legacy_panel(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Report 0.7's missing websocket route as not found."""
    mock_panel.get(
        WEBSOCKET_URL,
        status=404,
        payload=error_body(
            "NotFoundHttpException", 404, "The requested resource could not be found on the server."
        ),
    )
    with pytest.raises(PterodactylNotFoundError):
        await client.get_websocket_credentials(SERVER_ID)
