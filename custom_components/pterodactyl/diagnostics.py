"""Diagnostics: what the integration knows of the panel, without the key or personal data."""

from collections.abc import Set as AbstractSet
from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN
from .coordinator import PterodactylConfigEntry, PterodactylCoordinator
from .models import ServerData

# The key opens the account; the URL, title and unique ID name the panel's host and account,
# and the account's names and e-mail identify a person, a game server's host says where it is
# on the internet, and startup variables (and the command built from them) hold RCON and server
# passwords and Steam tokens: diagnostics are pasted into public issues.
TO_REDACT = {
    CONF_API_KEY,
    CONF_URL,
    "title",
    "unique_id",
    "id",
    "username",
    "email",
    "host",
    "address",
    "invocation",
    "variables",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PterodactylConfigEntry
) -> dict[str, Any]:
    """Return the entry, the panel's flavour and rate limit, the account and every server."""
    return _diagnostics(entry, entry.runtime_data.data.servers.keys())


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: PterodactylConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the same as for the entry, with only the device's own server."""
    identifiers = {identifier for domain, identifier in device.identifiers if domain == DOMAIN}
    return _diagnostics(entry, identifiers)


def _diagnostics(entry: PterodactylConfigEntry, identifiers: AbstractSet[str]) -> dict[str, Any]:
    """Return the entry's diagnostics with those of the given servers the panel still lists."""
    coordinator = entry.runtime_data
    client = coordinator.client
    servers = coordinator.data.servers
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "version": entry.version,
                "minor_version": entry.minor_version,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "panel": {
                "flavor": client.flavor,
                "rate_limit": asdict(client.rate_limit),
            },
            "coordinator": {
                "last_update_success": coordinator.last_update_success,
                "last_exception": _describe(coordinator.last_exception),
                "update_interval": coordinator.update_interval.total_seconds()
                if coordinator.update_interval
                else None,
                # The interval between full polls that the panel's rate limit allows.
                "effective_update_interval": coordinator.planner.effective_interval.total_seconds(),
                "requests_per_minute_budget": coordinator.planner.budget,
                # Backup and schedule reads, taken from the panel's limit before polls.
                "work_reads_per_minute": coordinator.extras.reads_per_minute(),
            },
            "account": asdict(coordinator.data.account),
            "servers": {
                identifier: _server_diagnostics(servers[identifier], coordinator)
                for identifier in sorted(identifiers & servers.keys())
            },
        },
        TO_REDACT,
    )


def _server_diagnostics(data: ServerData, coordinator: PterodactylCoordinator) -> dict[str, Any]:
    """Return one server's listing, status, usage, limits, push, players, work and health."""
    identifier = data.server.identifier
    push, health, extras = coordinator.push, coordinator.health, coordinator.extras
    known = extras.players.players_of(identifier)
    backups = extras.backups.backups_of(identifier)
    return {
        "status": data.status,
        # No socket: a 0.7 panel, which has none, or push not started yet.
        "push": {"live": push.is_live(identifier), "socket": push.state(identifier)},
        "player_query": {
            "protocol": known.target.protocol if known.target else None,
            "port": known.target.port if known.target else None,
            "answering": known.players is not None,
            "online": known.players.online if known.players else None,
            "max": known.players.max if known.players else None,
        },
        "backups": {
            "readable": identifier not in extras.backups.denied,
            "read": backups.backups is not None,
            "kept": len(backups.kept),
            "running": backups.running,
        },
        "schedules": {
            "readable": identifier not in extras.schedules.denied,
            "listed": len(extras.schedules.by_server.get(identifier, ())),
        },
        # Crashes today, since when it starts, and the repair issues it has open.
        "health": health.diagnostics(identifier),
        "server": asdict(data.server),
        "utilization": asdict(data.utilization) if data.utilization is not None else None,
        "limits": asdict(data.limits),
    }


def _describe(err: BaseException | None) -> str | None:
    """Return an error's type and translated message (the client never puts the key in one)."""
    return f"{type(err).__name__}: {err}" if err is not None else None
