"""This entry's server devices: removed when their server leaves, renamed as on the panel."""

from collections.abc import Iterable, Mapping

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import Server
from .const import DOMAIN, LOGGER


def name_and_model(server: Server) -> tuple[str, str | None]:
    """Return what a server's device shows of it: its name, and its egg as the model.

    The egg names the game ("Paper", "Valheim"); 0.7 does not list it.
    """
    return server.name, server.egg


@callback
def async_sync_devices(
    hass: HomeAssistant, entry_id: str, gone: Iterable[str], servers: Mapping[str, Server]
) -> None:
    """Remove the devices of servers gone; give the others the name and egg the panel lists."""
    registry = dr.async_get(hass)
    for identifier in gone:
        if device := registry.async_get_device_by_identifier((DOMAIN, identifier), entry_id):
            LOGGER.info("Server %s is no longer this entry's; removing its device", identifier)
            # A device belongs to one config entry: another entry's device of the same server,
            # and its entities, stay as they are.
            registry.async_remove_device(device.id)
    for identifier, server in servers.items():
        device = registry.async_get_device_by_identifier((DOMAIN, identifier), entry_id)
        name, model = name_and_model(server)
        if device is not None and (device.name, device.model) != (name, model):
            # Renamed (or reinstalled with another egg) on the panel; a name the user gave the
            # device in Home Assistant (name_by_user) stays in front.
            registry.async_update_device(device.id, name=name, model=model)
