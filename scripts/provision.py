"""Set a running Home Assistant up for development: log in, add the panel, write the dashboard.

The dashboard then follows the entities (`follow_dashboard`) while Home Assistant runs.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
import subprocess
import sys

import aiohttp

from scripts.dashboard import DASHBOARD_TITLE, DASHBOARD_URL, dashboard
from scripts.ha_client import DevelopError, HomeAssistantClient

DOMAIN = "pterodactyl"
DEFAULT_USERNAME = "dev"
DEFAULT_PASSWORD = "dev"  # noqa: S105 - a local development login, printed on start


@dataclass(frozen=True, slots=True)
class PanelTarget:
    """The panel the integration is configured against."""

    url: str
    api_key: str
    verify_ssl: bool = True


@dataclass(slots=True)
class Provisioned:
    """What `provision` set up: a logged-in client and the servers' entities."""

    client: HomeAssistantClient
    entry_id: str
    # Server (device) name -> {key: entity_id}, keys as in DASHBOARD_KEYS and the rest.
    servers: dict[str, dict[str, str]] = field(default_factory=dict)
    device_ids: dict[str, str] = field(default_factory=dict)


async def wait_until_up(client: HomeAssistantClient, process: subprocess.Popen[bytes]) -> bool:
    """Wait for the HTTP server; return whether the owner user still has to be created."""
    while True:
        if process.poll() is not None:
            raise DevelopError(f"Home Assistant exited with status {process.returncode}")
        try:
            status, body = await client.request("GET", "/api/onboarding")
        except aiohttp.ClientError:
            await asyncio.sleep(0.25)
            continue
        if status == 404:  # onboarding done: its API is gone
            return False
        if status == 200:
            return not any(step["step"] == "user" and step["done"] for step in body)
        await asyncio.sleep(0.25)


async def wait_until_running(client: HomeAssistantClient) -> None:
    """Wait until Home Assistant has finished starting."""
    while True:
        if (await client.call("GET", "/api/config"))["state"] == "RUNNING":
            return
        await asyncio.sleep(0.25)


async def add_panel(client: HomeAssistantClient, panel: PanelTarget) -> str:
    """Add the panel through the config flow (unless configured) and return its entry ID."""
    flow = await client.call(
        "POST",
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    result = await client.call(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"url": panel.url, "api_key": panel.api_key, "verify_ssl": panel.verify_ssl},
    )
    if result["type"] == "create_entry":
        return str(result["result"]["entry_id"])
    if result["type"] == "abort" and result["reason"] == "already_configured":
        entries = await client.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        if len(entries) == 1:
            return str(entries[0]["entry_id"])
        # Several accounts: the flow does not say which one it matched; any loaded one will do.
        return str(next(e for e in entries if e["state"] == "loaded")["entry_id"])
    errors = result.get("errors") or result.get("reason")
    raise DevelopError(f"the panel at {panel.url} was refused: {errors}")


async def wait_for_entry(client: HomeAssistantClient, entry_id: str) -> None:
    """Wait until the config entry is loaded; DevelopError with its reason when it fails."""
    while True:
        entries = await client.call("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
        entry = next(e for e in entries if e["entry_id"] == entry_id)
        if entry["state"] == "loaded":
            return
        if entry["state"] in ("setup_error", "migration_error", "failed_unload"):
            raise DevelopError(f"the integration failed to set up: {entry.get('reason')}")
        await asyncio.sleep(0.25)


async def server_entities(
    client: HomeAssistantClient, entry_id: str
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Return each server's enabled entities by key, and its device ID, keyed by server name."""
    devices = {
        d["id"]: d["name_by_user"] or d["name"]
        for d in await client.ws_result({"type": "config/device_registry/list"})
        if entry_id in d["config_entries"]
    }
    servers: dict[str, dict[str, str]] = {name: {} for name in devices.values()}
    for entity in await client.ws_result({"type": "config/entity_registry/list"}):
        if (
            entity["config_entry_id"] != entry_id
            or entity["device_id"] not in devices
            or entity["disabled_by"] is not None
        ):
            continue
        key = entity["unique_id"].split("_", 1)[1]
        servers[devices[entity["device_id"]]][key] = entity["entity_id"]
    return servers, {name: device_id for device_id, name in devices.items()}


async def provision(
    client: HomeAssistantClient,
    process: subprocess.Popen[bytes],
    panel: PanelTarget,
    *,
    username: str = DEFAULT_USERNAME,
    password: str = DEFAULT_PASSWORD,
    expected_servers: int | None = None,
    within: float = 120.0,
) -> Provisioned:
    """Log in (onboarding on the first start), add the panel and write the dashboard."""
    step = "waiting for Home Assistant to answer"
    try:
        async with asyncio.timeout(within):
            if await wait_until_up(client, process):
                await client.onboard(username, password)
            else:
                await client.login(username, password)
            step = "waiting for Home Assistant to finish starting"
            await wait_until_running(client)
            step = "adding the panel"
            entry_id = await add_panel(client, panel)
            await wait_for_entry(client, entry_id)
            step = f"waiting for the entities of {expected_servers or 'all'} servers"
            while True:
                servers, device_ids = await server_entities(client, entry_id)
                complete = all("power" in entities for entities in servers.values())
                if complete and expected_servers in (None, len(servers)):
                    break
                await asyncio.sleep(0.25)
    except TimeoutError as err:
        raise DevelopError(f"timed out after {within:.0f} s {step}") from err
    await save_dashboard(client, servers)
    return Provisioned(client, entry_id, servers, device_ids)


async def save_dashboard(
    client: HomeAssistantClient, servers: Mapping[str, Mapping[str, str]]
) -> None:
    """Write the dashboard of `servers`, creating it in the sidebar the first time."""
    dashboards = await client.ws_result({"type": "lovelace/dashboards/list"})
    if not any(d["url_path"] == DASHBOARD_URL for d in dashboards):
        await client.ws_result(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_URL,
                "title": DASHBOARD_TITLE,
                "icon": "mdi:server",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
    await client.ws_result(
        {"type": "lovelace/config/save", "url_path": DASHBOARD_URL, "config": dashboard(servers)}
    )


async def follow_dashboard(client: HomeAssistantClient, done: Provisioned) -> None:
    """Rewrite the dashboard whenever the entry's entities change, until cancelled.

    Backups and schedules are read after set-up, and servers come and go: their cards follow.
    """
    shown = done.servers
    try:
        async for _ in client.events("entity_registry_updated"):
            servers, _ = await server_entities(client, done.entry_id)
            if servers != shown:
                await save_dashboard(client, servers)
                shown = servers
    except (DevelopError, aiohttp.ClientError) as err:
        print(f"The dashboard no longer follows the entities: {err}", file=sys.stderr)  # noqa: T201
