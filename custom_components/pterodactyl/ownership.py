"""Which entry provides a game server that several entries see (two accounts, one server)."""

from collections.abc import Mapping

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util.hass_dict import HassKey

from .api import Server
from .const import DOMAIN

# Servers claimed in this run, by uuid: the entry that listed a new server first provides it.
_CLAIMS: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_claims")


def owner_of(hass: HomeAssistant, server: Server) -> str | None:
    """Return the entry that provides a server, None when none does yet.

    The entry its entities are registered to keeps it, across restarts, while it exists; a
    server no entry has registered goes to the entry that listed it first in this run.
    """
    registry = er.async_get(hass)
    # Every server has a state sensor, whatever the panel.
    entity_id = registry.async_get_entity_id(Platform.SENSOR, DOMAIN, f"{server.uuid}_state")
    registered = registry.async_get(entity_id) if entity_id is not None else None
    if (
        registered is not None
        and registered.config_entry_id is not None
        and hass.config_entries.async_get_entry(registered.config_entry_id) is not None
    ):
        return registered.config_entry_id
    return hass.data.get(_CLAIMS, {}).get(server.uuid)


def async_claim(
    hass: HomeAssistant, entry_id: str, servers: Mapping[str, Server]
) -> tuple[dict[str, Server], dict[str, Server]]:
    """Split listed servers: those the entry provides (new ones claimed), those another does."""
    claims = hass.data.setdefault(_CLAIMS, {})
    own: dict[str, Server] = {}
    elsewhere: dict[str, Server] = {}
    for identifier, server in servers.items():
        if owner_of(hass, server) in (None, entry_id):
            claims[server.uuid] = entry_id
            own[identifier] = server
        else:
            elsewhere[identifier] = server
    return own, elsewhere


def async_release(hass: HomeAssistant, entry_id: str) -> None:
    """Give up the entry's claims: it is unloaded."""
    claims = hass.data.get(_CLAIMS, {})
    for uuid in [uuid for uuid, owner in claims.items() if owner == entry_id]:
        del claims[uuid]
