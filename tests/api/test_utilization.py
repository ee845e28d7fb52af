"""Tests of live usage: /resources, Pelican's states, 0.7's /utilization and the fan-out."""

import asyncio
import re
from typing import Any

import aiohttp
from aioresponses import CallbackResult, aioresponses
import pytest
from yarl import URL

from custom_components.pterodactyl.api import (
    PanelFlavor,
    PterodactylClient,
    PterodactylInvalidResponseError,
    PterodactylNodeUnavailableError,
    PterodactylNotFoundError,
    ServerLimits,
    ServerState,
    Utilization,
)

from .common import API_KEY, BASE_URL, SERVER_ID, api_url, calls, error_body, load_json

MIB = 1024 * 1024
MB = 1000 * 1000
RESOURCES_URL = api_url(f"servers/{SERVER_ID}/resources")
UTILIZATION_URL = api_url(f"servers/{SERVER_ID}/utilization")
NOT_FOUND = error_body(
    "NotFoundHttpException", 404, "The requested resource could not be found on the server."
)


def resources(state: str = "running", **values: Any) -> dict[str, Any]:
    """Return a /resources answer with the given state and resource values."""
    payload = load_json("pterodactyl_resources")
    payload["attributes"]["current_state"] = state
    payload["attributes"]["resources"].update(values)
    return payload


async def test_pterodactyl_resources(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read bytes and cpu as sent, uptime from ms to s, and detect Pterodactyl 1.x."""
    mock_panel.get(RESOURCES_URL, payload=load_json("pterodactyl_resources"))
    assert await client.get_utilization(SERVER_ID) == Utilization(
        state=ServerState.RUNNING,
        is_suspended=False,
        memory_bytes=1662955520,
        disk_bytes=1027670266,
        cpu_percent=47.934,
        network_rx_bytes=38911,
        network_tx_bytes=25681,
        uptime_seconds=3726.312,
        limits=None,
    )
    assert client.flavor is PanelFlavor.PTERODACTYL


@pytest.mark.parametrize(
    ("raw_state", "state"),
    [
        ("offline", ServerState.OFFLINE),
        ("starting", ServerState.STARTING),
        ("running", ServerState.RUNNING),
        ("stopping", ServerState.STOPPING),
        ("stopped", ServerState.OFFLINE),
        # Pelican passes Docker's container states through.
        ("created", ServerState.OFFLINE),
        ("exited", ServerState.OFFLINE),
        ("dead", ServerState.OFFLINE),
        ("paused", ServerState.OFFLINE),
        ("restarting", ServerState.STARTING),
        ("removing", ServerState.STOPPING),
    ],
)
async def test_states(
    client: PterodactylClient, mock_panel: aioresponses, raw_state: str, state: ServerState
) -> None:
    """Map every state Wings or Pelican reports."""
    mock_panel.get(RESOURCES_URL, payload=resources(raw_state))
    assert (await client.get_utilization(SERVER_ID)).state is state


async def test_absent_state_and_uptime(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Read an absent state as the panel's 'stopped' and an absent uptime as unknown."""
    payload = resources(is_suspended=True)
    del payload["attributes"]["current_state"]
    del payload["attributes"]["resources"]["uptime"]
    payload["attributes"]["is_suspended"] = True
    mock_panel.get(RESOURCES_URL, payload=payload)
    utilization = await client.get_utilization(SERVER_ID)
    assert utilization.state is ServerState.OFFLINE
    assert utilization.uptime_seconds is None
    assert utilization.is_suspended is True


async def test_pelican_missing_node(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Turn Pelican's 200 'missing' into NodeUnavailable and learn the panel is Pelican."""
    mock_panel.get(RESOURCES_URL, payload=load_json("pelican_resources_missing"))
    with pytest.raises(PterodactylNodeUnavailableError) as excinfo:
        await client.get_utilization(SERVER_ID)
    assert excinfo.value.status == 200
    assert excinfo.value.detail
    assert client.flavor is PanelFlavor.PELICAN


@pytest.mark.parametrize(
    "change",
    [
        {"current_state": "exploded"},
        {"current_state": None},
        {"current_state": ["running"]},
        {"resources": None},
        {"resources": {"memory_bytes": 1}},
    ],
)
async def test_invalid_attributes(
    client: PterodactylClient, mock_panel: aioresponses, change: dict[str, Any]
) -> None:
    """Refuse unknown states and missing resources."""
    payload = resources()
    payload["attributes"].update(change)
    mock_panel.get(RESOURCES_URL, payload=payload)
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_utilization(SERVER_ID)


@pytest.mark.parametrize(
    "values",
    [
        {"memory_bytes": -1},
        {"disk_bytes": float("nan")},
        {"cpu_absolute": float("inf")},
        {"network_rx_bytes": 2**63},
        {"network_tx_bytes": 10**400},
        {"uptime": -5},
        {"memory_bytes": "1662955520"},
        {"cpu_absolute": True},
        {"disk_bytes": None},
    ],
)
async def test_invalid_numbers(
    client: PterodactylClient, mock_panel: aioresponses, values: dict[str, Any]
) -> None:
    """Refuse negative, NaN, infinite, huge and non-numeric usage (json.dumps writes NaN)."""
    mock_panel.get(RESOURCES_URL, payload=resources(**values))
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_utilization(SERVER_ID)


async def test_largest_valid_number(client: PterodactylClient, mock_panel: aioresponses) -> None:
    """Accept a counter just under the sanity bound."""
    mock_panel.get(RESOURCES_URL, payload=resources(network_rx_bytes=2**63 - 1))
    assert (await client.get_utilization(SERVER_ID)).network_rx_bytes == 2**63 - 1


async def test_legacy_detected_and_remembered(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Fall back to /utilization on a 404 once, then go straight to it.

    Memory is MiB; disk is the 0.7 daemon's decimal MB, its limit enforced as MB too.
    """
    mock_panel.get(RESOURCES_URL, status=404, payload=NOT_FOUND)
    mock_panel.get(UTILIZATION_URL, payload=load_json("legacy_utilization"), repeat=True)
    expected = Utilization(
        state=ServerState.RUNNING,
        is_suspended=False,
        memory_bytes=375 * MIB,
        disk_bytes=119 * MB,
        cpu_percent=1.522,
        network_rx_bytes=None,
        network_tx_bytes=None,
        uptime_seconds=None,
        limits=ServerLimits(memory_bytes=1024 * MIB, disk_bytes=5000 * MB, cpu_percent=200.0),
    )
    assert await client.get_utilization(SERVER_ID) == expected
    assert client.flavor is PanelFlavor.LEGACY
    assert await client.get_utilization(SERVER_ID) == expected
    assert len(calls(mock_panel, "GET", RESOURCES_URL)) == 1
    assert len(calls(mock_panel, "GET", UTILIZATION_URL)) == 2


@pytest.mark.parametrize(
    ("raw_state", "state"),
    [
        ("off", ServerState.OFFLINE),
        ("on", ServerState.RUNNING),
        ("starting", ServerState.STARTING),
        ("stopping", ServerState.STOPPING),
    ],
)
async def test_legacy_states_and_unlimited(
    client: PterodactylClient, mock_panel: aioresponses, raw_state: str, state: ServerState
) -> None:
    """Map 0.7's states, and limits of 0 to unlimited."""
    client.flavor = PanelFlavor.LEGACY
    payload = load_json("legacy_utilization")
    attributes = payload["attributes"]
    attributes["state"] = raw_state
    for part in ("memory", "cpu", "disk"):
        attributes[part]["limit"] = 0
    mock_panel.get(UTILIZATION_URL, payload=payload)
    utilization = await client.get_utilization(SERVER_ID)
    assert utilization.state is state
    assert utilization.limits == ServerLimits(memory_bytes=None, disk_bytes=None, cpu_percent=None)
    assert calls(mock_panel, "GET", RESOURCES_URL) == []


@pytest.mark.parametrize(
    "change",
    [
        {"state": "running"},
        {"state": ["on"]},
        {"state": {"on": True}},
        {"memory": None},
        {"cpu": {"current": -1.0, "limit": 0}},
        {"disk": {"current": float("nan"), "limit": 0}},
        {"memory": {"current": 10**400, "limit": 0}},
    ],
)
async def test_legacy_invalid(
    client: PterodactylClient, mock_panel: aioresponses, change: dict[str, Any]
) -> None:
    """Refuse a 0.7 answer with an unknown (even unhashable) state or broken numbers."""
    client.flavor = PanelFlavor.LEGACY
    payload = load_json("legacy_utilization")
    payload["attributes"].update(change)
    mock_panel.get(UTILIZATION_URL, payload=payload)
    with pytest.raises(PterodactylInvalidResponseError):
        await client.get_utilization(SERVER_ID)


async def test_not_found_on_both_routes(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Report a server missing from both routes as not found, without settling the flavour."""
    mock_panel.get(RESOURCES_URL, status=404, payload=NOT_FOUND)
    mock_panel.get(UTILIZATION_URL, status=404, payload=NOT_FOUND)
    with pytest.raises(PterodactylNotFoundError) as excinfo:
        await client.get_utilization(SERVER_ID)
    assert excinfo.value.detail == NOT_FOUND["errors"][0]["detail"]
    assert client.flavor is None


@pytest.mark.parametrize("flavor", [PanelFlavor.PTERODACTYL, PanelFlavor.PELICAN])
async def test_known_flavor_does_not_probe_legacy(
    client: PterodactylClient, mock_panel: aioresponses, flavor: PanelFlavor
) -> None:
    """Report a 404 as not found when the panel is known to have /resources."""
    client.flavor = flavor
    mock_panel.get(RESOURCES_URL, status=404, payload=NOT_FOUND)
    with pytest.raises(PterodactylNotFoundError):
        await client.get_utilization(SERVER_ID)
    assert calls(mock_panel, "GET", UTILIZATION_URL) == []
    assert client.flavor is flavor


async def test_pelican_account_then_resources(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Keep the Pelican flavour the account revealed after a normal /resources answer."""
    mock_panel.get(api_url("account"), payload=load_json("pelican_account"))
    mock_panel.get(RESOURCES_URL, payload=resources("exited", uptime=0))
    await client.get_account()
    utilization = await client.get_utilization(SERVER_ID)
    assert (utilization.state, utilization.uptime_seconds) == (ServerState.OFFLINE, 0.0)
    assert client.flavor is PanelFlavor.PELICAN


def _any_server(route: str) -> re.Pattern[str]:
    """Match one usage route of any server."""
    return re.compile(rf"^{re.escape(BASE_URL)}/api/client/servers/\w+/{route}$")


async def test_get_utilizations_bounds_concurrency(
    session: aiohttp.ClientSession, mock_panel: aioresponses
) -> None:
    """Never have more requests in flight than max_concurrency, but use all of it."""
    client = PterodactylClient(BASE_URL, API_KEY, session=session, max_concurrency=3)
    client.flavor = PanelFlavor.PTERODACTYL
    in_flight = 0
    peak = 0

    async def slow_panel(url: URL, **kwargs: Any) -> CallbackResult:
        """Answer after a pause, counting the requests being answered at once."""
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        # The panel's answer time, not a wait for a condition: it keeps requests in flight.
        await asyncio.sleep(0.02)
        in_flight -= 1
        return CallbackResult(payload=resources())

    mock_panel.get(_any_server("resources"), callback=slow_panel, repeat=True)
    identifiers = [f"srv{number:05d}" for number in range(10)]
    results = await client.get_utilizations(identifiers)
    assert list(results) == identifiers
    assert all(isinstance(result, Utilization) for result in results.values())
    assert peak == 3


async def test_get_utilizations_detects_once_before_fan_out(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Probe the API generation with the first server alone, then fan out to /utilization."""
    events: list[str] = []

    async def legacy_panel(url: URL, **kwargs: Any) -> CallbackResult:
        """Answer 0.7's /utilization, recording when each request starts and ends."""
        events.append(f"start {url.parts[-2]}")
        # The panel's answer time, not a wait for a condition: a fan-out would overlap it.
        await asyncio.sleep(0.01)
        events.append(f"end {url.parts[-2]}")
        return CallbackResult(payload=load_json("legacy_utilization"))

    mock_panel.get(_any_server("resources"), status=404, payload=NOT_FOUND, repeat=True)
    mock_panel.get(_any_server("utilization"), callback=legacy_panel, repeat=True)
    identifiers = ["aaaa0001", "aaaa0002", "aaaa0003", "aaaa0004"]
    results = await client.get_utilizations(identifiers)
    assert all(isinstance(result, Utilization) for result in results.values())
    assert events[:2] == ["start aaaa0001", "end aaaa0001"]
    # The others ran together after the probe: all three started before any ended.
    assert sorted(events[2:5]) == [f"start {identifier}" for identifier in identifiers[1:]]
    resource_calls = [key for key in mock_panel.requests if key[1].path.endswith("/resources")]
    assert resource_calls == [("GET", URL(api_url("servers/aaaa0001/resources")))]
    assert client.flavor is PanelFlavor.LEGACY


async def test_get_utilizations_isolates_failures(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Return each server's error in place of its usage without hiding the others."""
    gateway = error_body(
        "DaemonConnectionException",
        504,
        "Could not establish a connection to the machine running this server. Please try again.",
    )
    mock_panel.get(api_url("servers/aaaa0001/resources"), payload=resources())
    mock_panel.get(api_url("servers/aaaa0002/resources"), status=504, payload=gateway)
    mock_panel.get(api_url("servers/aaaa0003/resources"), body="{", content_type="application/json")
    mock_panel.get(api_url("servers/aaaa0004/resources"), payload=resources("starting"))
    results = await client.get_utilizations(iter(["aaaa0001", "aaaa0002", "aaaa0003", "aaaa0004"]))
    assert isinstance(results["aaaa0001"], Utilization)
    assert isinstance(results["aaaa0002"], PterodactylNodeUnavailableError)
    assert isinstance(results["aaaa0003"], PterodactylInvalidResponseError)
    assert isinstance(results["aaaa0004"], Utilization)
    assert results["aaaa0004"].state is ServerState.STARTING


async def test_get_utilizations_of_nothing(
    client: PterodactylClient, mock_panel: aioresponses
) -> None:
    """Make no request for no servers."""
    assert await client.get_utilizations([]) == {}
    assert mock_panel.requests == {}
